"""Caregiver reminders for missed check-ins and missed exercises (consented caregivers only,
no clinical detail)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from coach.content import load_content
from coach.scheduler.settings import SchedulerSettings
from coach.scheduler.sweep import local_now, zone_info
from coach.storage.models import Caregiver, CheckIn, Notification, Patient

MISSED_CHECKIN_CONSENT = "missed_checkin"
MISSED_EXERCISE_CONSENT = "missed_exercise"


@dataclass
class ReminderStats:
    candidates: int = 0
    queued: int = 0


def add_once(session: Session, row: Notification) -> bool:
    """Insert an outbox row unless its idempotency key exists (safe with two schedulers)."""
    if session.scalar(
        select(Notification.id).where(Notification.idempotency_key == row.idempotency_key)
    ):
        return False
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def _local_day_start_utc(zone: str, now: datetime) -> datetime:
    """Midnight of the patient's current local day, in UTC."""
    clock = local_now(zone, now)
    start = datetime.combine(clock.date, datetime.min.time(), tzinfo=zone_info(zone))
    return start.astimezone(timezone.utc)


def run_caregiver_reminders(
    factory: sessionmaker[Session], settings: SchedulerSettings, *, now: datetime | None = None
) -> ReminderStats:
    """Queue one missed-check-in reminder per consented caregiver per patient-local day."""
    now = now or datetime.now(timezone.utc)
    after = timedelta(
        hours=float(
            load_content("notifications")["caregiver_reminders"]["missed_checkin_after_hours"]
        )
    )
    stats = ReminderStats()
    with factory.begin() as session:
        zones = session.scalars(select(Patient.timezone).where(Patient.active).distinct()).all()
        clauses = []
        day_start: dict[str, datetime] = {}
        for zone in zones:
            clock = local_now(zone, now)
            wall = datetime.combine(clock.date, clock.time)
            threshold = wall - after
            if threshold.date() != clock.date:
                continue  # too early in the local day for anyone to have missed today's
            day_start[zone] = _local_day_start_utc(zone, now)
            clauses.append(
                and_(
                    Patient.timezone == zone,
                    Patient.last_prompted_on == clock.date,
                    Patient.checkin_time <= threshold.time(),
                )
            )
        if not clauses:
            return stats
        has_caregiver = select(Caregiver.patient_id).distinct()
        patients = session.execute(
            select(Patient.id, Patient.timezone).where(
                Patient.active, Patient.id.in_(has_caregiver), or_(*clauses)
            )
        ).all()
        by_patient = {pid: zone for pid, zone in patients}
        if not by_patient:
            return stats
        checked_in: set[int] = set()
        for pid, completed in session.execute(
            select(CheckIn.patient_id, CheckIn.completed_at).where(
                CheckIn.patient_id.in_(list(by_patient)),
                CheckIn.completed_at >= min(day_start.values()),
            )
        ):
            aware = completed if completed.tzinfo else completed.replace(tzinfo=timezone.utc)
            if aware >= day_start[by_patient[pid]]:
                checked_in.add(pid)
        caregivers: dict[int, list[Caregiver]] = defaultdict(list)
        for caregiver in session.scalars(
            select(Caregiver).where(Caregiver.patient_id.in_(list(by_patient)))
        ):
            if (
                MISSED_CHECKIN_CONSENT in (caregiver.consent_scope or [])
                and not caregiver.opted_out_at
            ):
                caregivers[caregiver.patient_id].append(caregiver)  # (opted out = replied STOP)
        for pid, zone in by_patient.items():
            if pid in checked_in:
                continue
            local_date = local_now(zone, now).date
            for caregiver in caregivers.get(pid, []):
                channel, address = (
                    ("sms", caregiver.phone) if caregiver.phone else ("email", caregiver.email)
                )
                if not address:
                    continue
                stats.candidates += 1
                row = Notification(
                    idempotency_key=f"caregiver:{caregiver.id}:missed_checkin:{local_date}",
                    recipient_kind="caregiver",
                    recipient_id=caregiver.id,
                    channel=channel,
                    address=address,
                    template="caregiver_missed_checkin",
                    payload={"patient_id": pid},
                )
                if add_once(session, row):
                    stats.queued += 1
    return stats


def _caregiver_address(caregiver: Caregiver) -> tuple[str, str | None]:
    return ("sms", caregiver.phone) if caregiver.phone else ("email", caregiver.email)


def run_missed_exercise_reminders(
    factory: sessionmaker[Session], settings: SchedulerSettings
) -> ReminderStats:
    """One reminder per consented caregiver when a patient's last N check-ins had no sessions.

    Keyed on the latest check-in, so a caregiver hears once per new zero-session check-in run.
    """
    needed = int(load_content("notifications")["caregiver_reminders"]["missed_exercise_checkins"])
    stats = ReminderStats()
    with factory.begin() as session:
        consented = session.scalars(select(Caregiver)).all()
        by_patient: dict[int, list[Caregiver]] = defaultdict(list)
        for caregiver in consented:
            if (
                MISSED_EXERCISE_CONSENT in (caregiver.consent_scope or [])
                and not caregiver.opted_out_at
            ):
                by_patient[caregiver.patient_id].append(caregiver)  # (opted out = replied STOP)
        for patient_id, caregivers in by_patient.items():
            recent = session.execute(
                select(CheckIn.id, CheckIn.sessions_done)
                .where(CheckIn.patient_id == patient_id)
                .order_by(CheckIn.completed_at.desc(), CheckIn.id.desc())
                .limit(needed)
            ).all()
            if len(recent) < needed or any(row.sessions_done != 0 for row in recent):
                continue
            for caregiver in caregivers:
                channel, address = _caregiver_address(caregiver)
                if not address:
                    continue
                stats.candidates += 1
                row = Notification(
                    idempotency_key=f"caregiver:{caregiver.id}:missed_exercise:{recent[0].id}",
                    recipient_kind="caregiver",
                    recipient_id=caregiver.id,
                    channel=channel,
                    address=address,
                    template="caregiver_missed_exercise",
                    payload={"patient_id": patient_id},
                )
                if add_once(session, row):
                    stats.queued += 1
    return stats
