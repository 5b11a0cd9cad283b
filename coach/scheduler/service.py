"""Entry point of `coach scheduler`: the one APScheduler process.

Job store: APScheduler's SQLAlchemyJobStore on the application database (table
`apscheduler_jobs`), so the schedule survives restarts. Job defaults, on purpose:

- `coalesce=True`: after downtime a job runs once, not once per missed interval. Every job is a
  catch-up query (due patients, due messages, due ladder steps), so one run does all the work.
- `misfire_grace_time=None`: a late run is never dropped, however late; dropping a sweep or an
  outbox run would only delay prompts and alerts.
- `max_instances=1`: a slow run is not overlapped by the next one in this process. Overlap
  between processes is harmless: every job claims its rows atomically.
- The digest runs on an interval like the reminders: each therapist's digest is due at their
  local weekday and time, and is queued once per therapist and local ISO week.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from datetime import datetime, timezone
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from coach.scheduler.jobs import JOBS
from coach.scheduler.settings import SchedulerSettings, scheduler_settings
from coach.storage.db import make_engine

log = logging.getLogger(__name__)
JOBSTORE_TABLE = "apscheduler_jobs"
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}


def _trigger(name: str, settings: SchedulerSettings) -> Any:
    seconds = {
        "sweep": settings.sweep_interval_s,
        "outbox": settings.outbox_interval_s,
        "spool": settings.outbox_interval_s,
        "ladder": settings.ladder_interval_s,
        "reminders": settings.reminder_interval_s,
        "digest": settings.reminder_interval_s,  # due per therapist's local time (digest.py)
        "recovery": settings.reminder_interval_s,  # due per patient's local time
    }[name]
    return IntervalTrigger(seconds=seconds, timezone=timezone.utc)


def build_scheduler(settings: SchedulerSettings) -> BackgroundScheduler:
    """A scheduler with a persistent job store and this process's jobs registered."""
    unknown = set(settings.jobs) - set(JOBS)
    if unknown:
        raise SystemExit(f"unknown job(s) in SCHEDULER_JOBS: {', '.join(sorted(unknown))}")
    scheduler = BackgroundScheduler(
        jobstores={
            "default": SQLAlchemyJobStore(
                engine=make_engine(settings.jobstore_url), tablename=JOBSTORE_TABLE
            )
        },
        executors={"default": ThreadPoolExecutor(max_workers=len(JOBS))},
        job_defaults=JOB_DEFAULTS,
        timezone=timezone.utc,
    )
    return scheduler


def register_jobs(scheduler: BackgroundScheduler, settings: SchedulerSettings) -> None:
    """(Re)write this process's jobs in the store; drop the ones it is not configured for."""
    now = datetime.now(timezone.utc)
    for name, func in JOBS.items():
        if name not in settings.jobs:
            if scheduler.get_job(name):
                scheduler.remove_job(name)
            continue
        scheduler.add_job(
            func,
            _trigger(name, settings),
            id=name,
            name=name,
            replace_existing=True,
            next_run_time=now,
        )


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="coach scheduler",
        description="Run the scheduler (`run`, the default) or run jobs once (`once JOB ...`).",
    )
    parser.add_argument("mode", nargs="?", choices=["run", "once"], default="run")
    parser.add_argument("jobs", nargs="*", help=f"with `once`: any of {', '.join(JOBS)}")
    parser.add_argument("--database-url", default=None, help="override DATABASE_URL")
    args = parser.parse_args(argv)
    unknown = set(args.jobs) - set(JOBS)
    if unknown or (args.mode == "once" and not args.jobs):
        parser.error(f"`once` needs job names from: {', '.join(JOBS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the scheduler until SIGINT/SIGTERM (or `once JOB ...` and exit)."""
    args = _parse(list(argv or []))
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    settings = scheduler_settings()
    if args.mode == "once":
        for name in args.jobs:
            print(f"{name}: {JOBS[name]()}")
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    scheduler = build_scheduler(settings)
    scheduler.start(paused=True)
    register_jobs(scheduler, settings)
    scheduler.resume()
    log.info("scheduler started: jobs %s", ", ".join(settings.jobs))
    stop.wait()
    scheduler.shutdown(wait=True)
    return 0
