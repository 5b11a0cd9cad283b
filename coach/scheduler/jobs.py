"""The periodic jobs, as module-level functions (APScheduler stores them by reference)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from coach.scheduler.digest import run_digest
from coach.scheduler.ladder import run_ladder
from coach.scheduler.outbox import run_outbox
from coach.scheduler.recovery_nudges import run_recovery_nudges
from coach.scheduler.reminders import run_caregiver_reminders, run_missed_exercise_reminders
from coach.scheduler.settings import scheduler_settings
from coach.scheduler.sweep import run_sweep
from coach.storage.db import session_factory
from coach.triage.spool import replay_spool

log = logging.getLogger(__name__)


def _run(name: str, runner: Callable[..., Any]) -> Any:
    settings = scheduler_settings()
    stats = runner(session_factory(settings.database_url), settings)
    log.debug("%s: %s", name, stats)
    return stats


def sweep_job() -> Any:
    """Prompt every patient whose local check-in time has come."""
    return _run("sweep", run_sweep)


def outbox_job() -> Any:
    """Deliver due outbox messages."""
    return _run("outbox", run_outbox)


def ladder_job() -> Any:
    """Climb the ladder of unacknowledged escalations."""
    return _run("ladder", run_ladder)


def reminders_job() -> Any:
    """Queue caregiver reminders for missed check-ins and missed exercises."""
    return _run("reminders", run_caregiver_reminders), _run(
        "exercise reminders", run_missed_exercise_reminders
    )


def spool_job() -> Any:
    """Replay red flags spooled while the database was unreachable."""
    settings = scheduler_settings()
    return replay_spool(session_factory(settings.database_url))


def digest_job() -> Any:
    """Queue this week's therapist digests."""
    return _run("digest", run_digest)


def recovery_job() -> Any:
    """Send due recovery-stalled nudges (3 weeks, 3 months after onset)."""
    return _run("recovery", run_recovery_nudges)


JOBS: dict[str, Callable[[], Any]] = {
    "sweep": sweep_job,
    "outbox": outbox_job,
    "ladder": ladder_job,
    "reminders": reminders_job,
    "digest": digest_job,
    "spool": spool_job,
    "recovery": recovery_job,
}
