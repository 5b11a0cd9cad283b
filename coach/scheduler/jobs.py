"""The periodic jobs, and the bookkeeping that lets any scheduler stand in for a silent one.

Every run is recorded in `scheduler_job_run` (started, finished, by which process). A process
runs the jobs named in SCHEDULER_JOBS on their interval; every other job it runs only when no
process has started it for SCHEDULER_STANDBY_AFTER of its intervals. So any set of scheduler
processes, whatever their SCHEDULER_JOBS, keeps every job running, and a process never stops
another's jobs. Running a job in two processes at once is harmless: every job claims its rows
atomically.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from coach.escalation.ladder import run_ladder
from coach.escalation.replay import replay_spool_stats
from coach.scheduler.digest import run_digest
from coach.scheduler.outbox import process_holder, run_outbox
from coach.scheduler.recovery_nudges import run_recovery_nudges
from coach.scheduler.reminders import run_caregiver_reminders, run_missed_exercise_reminders
from coach.scheduler.retention import run_retention
from coach.scheduler.settings import SchedulerSettings, scheduler_settings
from coach.scheduler.sweep import run_sweep
from coach.storage.db import session_factory
from coach.storage.models import SchedulerJobRun, as_utc

log = logging.getLogger(__name__)

Runner = Callable[[sessionmaker[Session], SchedulerSettings], Any]


def _ladder(factory: sessionmaker[Session], _settings: SchedulerSettings) -> Any:
    return run_ladder(factory)


def _reminders(factory: sessionmaker[Session], settings: SchedulerSettings) -> Any:
    return run_caregiver_reminders(factory, settings), run_missed_exercise_reminders(
        factory, settings
    )


def _spool(factory: sessionmaker[Session], _settings: SchedulerSettings) -> Any:
    return replay_spool_stats(factory)


JOBS: dict[str, Runner] = {
    "sweep": run_sweep,  # due check-in prompts
    "outbox": run_outbox,  # deliver messages
    "ladder": _ladder,  # unacknowledged escalations climb
    "reminders": _reminders,  # caregiver reminders
    "digest": run_digest,  # therapists' weekly digest
    "spool": _spool,  # replay spooled red flags
    "retention": run_retention,  # delete clip videos past retention
    "recovery": run_recovery_nudges,  # recovery-stalled nudges (3 weeks, 3 months)
}


def interval_s(name: str, settings: SchedulerSettings) -> float:
    """How often job `name` runs."""
    return {
        "sweep": settings.sweep_interval_s,
        "outbox": settings.outbox_interval_s,
        "spool": settings.outbox_interval_s,
        "ladder": settings.ladder_interval_s,
        "reminders": settings.reminder_interval_s,
        "digest": settings.reminder_interval_s,  # due per therapist's local time (digest.py)
        "retention": settings.retention_interval_s,
        "recovery": settings.reminder_interval_s,  # due per patient's local time
    }[name]


def _mark(factory: sessionmaker[Session], name: str, **values: Any) -> None:
    with factory.begin() as session:
        updated = session.execute(
            update(SchedulerJobRun).where(SchedulerJobRun.name == name).values(**values)
        )
        if updated.rowcount == 0:
            try:
                with session.begin_nested():
                    session.add(SchedulerJobRun(name=name, **values))
            except IntegrityError:  # another process inserted it first
                session.execute(
                    update(SchedulerJobRun).where(SchedulerJobRun.name == name).values(**values)
                )


def last_started(factory: sessionmaker[Session], name: str) -> datetime | None:
    """When any process last started job `name`."""
    with factory() as session:
        at = session.scalar(
            select(SchedulerJobRun.last_started_at).where(SchedulerJobRun.name == name)
        )
    return as_utc(at) if at is not None else None


def run_job(name: str, *, standby: bool = False) -> Any:
    """Run job `name` once and record it; with `standby`, only if nobody ran it lately."""
    settings = scheduler_settings()
    factory = session_factory(settings.database_url)
    now = datetime.now(timezone.utc)
    if standby:
        if settings.standby_after <= 0:
            return None  # stand-in disabled (SCHEDULER_STANDBY_AFTER=0)
        started = last_started(factory, name)
        patience = timedelta(seconds=interval_s(name, settings) * settings.standby_after)
        if started is not None and now - started < patience:
            return None
        log.warning("job %s has not run for a while: running it here as a stand-in", name)
    holder = process_holder()
    _mark(factory, name, last_started_at=now, last_holder=holder)
    stats = JOBS[name](factory, settings)
    _mark(factory, name, last_finished_at=datetime.now(timezone.utc), last_holder=holder)
    log.debug("%s: %s", name, stats)
    return stats
