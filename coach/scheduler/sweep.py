"""Due-check-in sweep: one query over patients, time-zone maths once per distinct time zone.

A patient is due when, in their own time zone, the wall clock has passed their check-in time
today and they have not been prompted today (`last_prompted_on` < local date). Comparing wall
clock times makes DST right without special cases: on a spring-forward night a 02:30 check-in
fires at 03:00 (the first minute that exists past it), and on a fall-back night the repeated
hour does not prompt twice because the local date is already marked.

Only patients who gave consent and have a channel that can carry a prompt (not stopped with
STOP) are due. Patients are claimed (`prompt_claimed_until`, a lease) before anything is sent,
so two schedulers never prompt the same patient; the prompt goes out on the patient's own
channel (coach.messaging.prompts) and `last_prompted_on` is set only when the provider accepted
it; a failure releases the claim so the next sweep retries (another channel after repeated
failures).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from coach.config import get_settings
from coach.content import load_content
from coach.messaging.prompts import NO_CHANNEL_LEFT, deliver_prompt, reachable_clause
from coach.scheduler.settings import SchedulerSettings
from coach.storage.models import Patient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalNow:
    """The wall clock in one time zone."""

    zone: str
    date: date
    time: time


@dataclass(frozen=True)
class DuePatient:
    patient_id: int
    zone: str
    clip_weekday: int | None = None  # the therapist's plan; None = the clinic's default


@dataclass
class SweepStats:
    due: int = 0
    claimed: int = 0
    prompted: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def zone_info(zone: str) -> ZoneInfo:
    """The zone, or DEFAULT_TIMEZONE when the stored name is unknown."""
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r; using the default", zone)
        return ZoneInfo(get_settings().default_timezone)


def local_now(zone: str, now: datetime) -> LocalNow:
    """`now` on the wall clock of `zone` (unknown zones fall back to DEFAULT_TIMEZONE)."""
    local = now.astimezone(zone_info(zone))
    return LocalNow(zone, local.date(), local.time().replace(tzinfo=None))


def _due_clause(clocks: list[LocalNow]):  # type: ignore[no-untyped-def]
    return or_(
        *(
            and_(
                Patient.timezone == clock.zone,
                Patient.checkin_time <= clock.time,
                or_(Patient.last_prompted_on.is_(None), Patient.last_prompted_on < clock.date),
            )
            for clock in clocks
        )
    )


def find_due(
    session: Session, now: datetime, limit: int | None = None
) -> tuple[list[DuePatient], dict[str, LocalNow]]:
    """Patients due for a prompt at `now`, and the wall clock of each zone involved."""
    zones = session.scalars(select(Patient.timezone).where(Patient.active).distinct()).all()
    clocks = {zone: local_now(zone, now) for zone in zones}
    if not clocks:
        return [], clocks
    consented = Patient.data_consent_version.is_not(None)
    query = (
        select(Patient.id, Patient.timezone, Patient.clip_weekday)
        .where(Patient.active, consented, reachable_clause(), _due_clause(list(clocks.values())))
        .where(or_(Patient.prompt_claimed_until.is_(None), Patient.prompt_claimed_until < now))
        .order_by(Patient.id)
    )
    if limit is not None:
        query = query.limit(limit)
    due = [DuePatient(pid, zone, day) for pid, zone, day in session.execute(query).all()]
    return due, clocks


def _claim(
    factory: sessionmaker[Session],
    due: list[DuePatient],
    clocks: dict[str, LocalNow],
    now: datetime,
    lease_s: float,
) -> list[DuePatient]:
    by_zone: dict[str, list[int]] = defaultdict(list)
    clip_days = {patient.patient_id: patient.clip_weekday for patient in due}
    for patient in due:
        by_zone[patient.zone].append(patient.patient_id)
    claimed: list[DuePatient] = []
    with factory.begin() as session:
        for zone, ids in by_zone.items():
            clock = clocks[zone]
            rows = session.execute(
                update(Patient)
                .where(
                    Patient.id.in_(ids),
                    or_(Patient.prompt_claimed_until.is_(None), Patient.prompt_claimed_until < now),
                    or_(Patient.last_prompted_on.is_(None), Patient.last_prompted_on < clock.date),
                )
                .values(prompt_claimed_until=now + timedelta(seconds=lease_s))
                .returning(Patient.id)
                .execution_options(synchronize_session=False)
            ).scalars()
            claimed += [DuePatient(pid, zone, clip_days.get(pid)) for pid in rows]
    return claimed


def intent_for(local_date: date, clip_weekday: int | None = None) -> str:
    """The weekly SAQ or the weekly clip request on their weekdays, the daily check-in otherwise
    (`clip_weekday`: the patient's clip day from their plan, else the clinic's)."""
    prompts = load_content("notifications")["prompts"]
    if local_date.weekday() == int(prompts["weekly_weekday"]):
        return str(prompts["weekly_intent"])
    clip_day = int(prompts["clip_weekday"]) if clip_weekday is None else clip_weekday
    if local_date.weekday() == clip_day:
        return str(prompts["clip_intent"])
    return str(prompts["daily_intent"])


def run_sweep(
    factory: sessionmaker[Session],
    settings: SchedulerSettings,
    *,
    now: datetime | None = None,
    client: httpx.Client | None = None,
) -> SweepStats:
    """Find due patients, claim them, trigger Rasa, mark the ones Rasa accepted."""
    now = now or datetime.now(timezone.utc)
    stats = SweepStats()
    with factory() as session:
        due, clocks = find_due(session, now, settings.sweep_batch)
    stats.due = len(due)
    if not due:
        return stats
    claimed = _claim(factory, due, clocks, now, settings.prompt_lease_s)
    stats.claimed = len(claimed)
    own_client = client is None
    http = client or httpx.Client(timeout=settings.rasa_timeout_s)

    def prompt(patient: DuePatient) -> tuple[DuePatient, str | None]:
        local_date = clocks[patient.zone].date
        outcome = deliver_prompt(
            factory,
            http,
            patient.patient_id,
            local_date,
            intent_for(local_date, patient.clip_weekday),
        )
        return patient, None if outcome.accepted else outcome.error or "not accepted"

    try:
        with ThreadPoolExecutor(max_workers=max(1, settings.rasa_concurrency)) as pool:
            outcomes = list(pool.map(prompt, claimed))
    finally:
        if own_client:
            http.close()
    with factory.begin() as session:
        for patient, error in outcomes:
            if error is None:
                stats.prompted += 1
            else:
                stats.failed += 1
                stats.errors.append(error)
            done = error is None or error == NO_CHANNEL_LEFT  # nothing more to try today
            values = (
                {"last_prompted_on": clocks[patient.zone].date}
                if done
                else {"prompt_claimed_until": None}
            )
            session.execute(
                update(Patient)
                .where(Patient.id == patient.patient_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
    if stats.failed:
        log.warning("sweep: %s prompts failed (%s)", stats.failed, stats.errors[0])
    return stats
