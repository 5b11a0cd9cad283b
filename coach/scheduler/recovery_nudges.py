"""Recovery-stalled nudges: 3 weeks and 3 months after onset, each sent once per patient.

A patient is due on their own local date (coach.triage.recovery.due_milestone) once their wall
clock passes the daily check-in time plus `recovery.nudge_delay_minutes` (so the nudge does not
land in the middle of the check-in); only patients who consented and have a channel that can
carry it (not stopped with STOP) get one. It goes out like a check-in prompt, on the patient's
own channel (coach.messaging.prompts). The (patient, milestone) row in `recovery_nudge` is
claimed (a lease, unique per pair) before anything is sent and marked sent only once the
channel accepted it; a failure releases the claim for the next run. The action that answers the
trigger (actions/recovery.py) writes the therapist's routine note, once per milestone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from coach.content import load_content
from coach.messaging.prompts import deliver_prompt, reachable_clause
from coach.scheduler.settings import SchedulerSettings
from coach.scheduler.sweep import local_now
from coach.storage.models import Patient, RecoveryNudge
from coach.triage.recovery import INTENT, due_milestone

log = logging.getLogger(__name__)
LAST_MINUTE = time(23, 59)


@dataclass
class NudgeStats:
    due: int = 0
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DueNudge:
    patient_id: int
    milestone: str
    local_date: date


def _send_after(checkin_time: time) -> time:
    """The patient's local time from which a nudge may go out (same local day)."""
    delay = timedelta(minutes=int(load_content("clinical")["recovery"]["nudge_delay_minutes"]))
    moment = datetime.combine(date.min, checkin_time) + delay
    return moment.time() if moment.date() == date.min else LAST_MINUTE


def find_due_nudges(session: Session, now: datetime) -> list[DueNudge]:
    """Patients whose milestone nudge is due at `now` and not yet sent or claimed."""
    rules = load_content("clinical")["recovery"]
    latest = int(rules["incomplete_after_days"]) + int(rules["nudge_window_days"])
    earliest_onset = now.date() - timedelta(days=latest + 1)
    latest_onset = now.date() - timedelta(days=int(rules["stalled_after_days"]) - 1)
    patients = session.scalars(
        select(Patient).where(
            Patient.active,
            Patient.data_consent_version.is_not(None),
            reachable_clause(),
            Patient.onset_date.is_not(None),
            Patient.onset_date.between(earliest_onset, latest_onset),
        )
    ).all()
    busy = {
        (row.patient_id, row.milestone)
        for row in session.scalars(
            select(RecoveryNudge).where(
                or_(RecoveryNudge.sent_at.is_not(None), RecoveryNudge.claimed_until > now)
            )
        )
    }
    due: list[DueNudge] = []
    for patient in patients:
        clock = local_now(patient.timezone, now)
        milestone = due_milestone(patient.onset_date, clock.date)  # type: ignore[arg-type]
        if milestone is None or (patient.id, milestone) in busy:
            continue
        if clock.time < _send_after(patient.checkin_time):
            continue
        due.append(DueNudge(patient.id, milestone, clock.date))
    return due


def claim(factory: sessionmaker[Session], nudge: DueNudge, now: datetime, lease_s: float) -> bool:
    """Take the (patient, milestone) lease; False when sent or held by another run."""
    until = now + timedelta(seconds=lease_s)
    mine = (RecoveryNudge.patient_id == nudge.patient_id) & (
        RecoveryNudge.milestone == nudge.milestone
    )
    with factory.begin() as session:
        taken = session.execute(
            update(RecoveryNudge)
            .where(mine, RecoveryNudge.sent_at.is_(None))
            .where(or_(RecoveryNudge.claimed_until.is_(None), RecoveryNudge.claimed_until < now))
            .values(claimed_until=until)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken:
            return True
        if session.scalar(select(RecoveryNudge.id).where(mine)) is not None:
            return False  # sent, or claimed by another run
        try:
            with session.begin_nested():
                session.add(
                    RecoveryNudge(
                        patient_id=nudge.patient_id, milestone=nudge.milestone, claimed_until=until
                    )
                )
        except IntegrityError:  # another scheduler claimed it first
            return False
    return True


def _finish(factory: sessionmaker[Session], nudge: DueNudge, sent_at: datetime | None) -> None:
    with factory.begin() as session:
        row = session.scalar(
            select(RecoveryNudge).where(
                RecoveryNudge.patient_id == nudge.patient_id,
                RecoveryNudge.milestone == nudge.milestone,
            )
        )
        if row is not None:
            row.sent_at, row.claimed_until = sent_at, None


def run_recovery_nudges(
    factory: sessionmaker[Session],
    settings: SchedulerSettings,
    *,
    now: datetime | None = None,
    client: httpx.Client | None = None,
) -> NudgeStats:
    """Send every due milestone nudge on the patient's channel, once per patient and milestone."""
    now = now or datetime.now(timezone.utc)
    stats = NudgeStats()
    with factory() as session:
        due = find_due_nudges(session, now)
    stats.due = len(due)
    if not due:
        return stats
    http = client or httpx.Client(timeout=settings.rasa_timeout_s)
    try:
        for nudge in due:
            if not claim(factory, nudge, now, settings.prompt_lease_s):
                continue
            outcome = deliver_prompt(
                factory, http, nudge.patient_id, nudge.local_date, INTENT[nudge.milestone]
            )
            if not outcome.accepted:
                stats.failed += 1
                stats.errors.append(outcome.error or "not accepted")
                _finish(factory, nudge, None)
                continue
            _finish(factory, nudge, now)
            stats.sent += 1
    finally:
        if client is None:
            http.close()
    if stats.failed:
        log.warning(
            "recovery nudges: %s failed (%s); retried next run", stats.failed, stats.errors[0]
        )
    return stats
