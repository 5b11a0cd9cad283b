"""Entry point of `coach scheduler`: one APScheduler process (any number may run).

Each process keeps its schedule in memory (every job is an interval job that catches up on
whatever is due, so nothing needs a persisted schedule) and records each run in the database
(`scheduler_job_run`). It runs the jobs in SCHEDULER_JOBS on their interval and stands in for
every other job that no process has run for SCHEDULER_STANDBY_AFTER intervals (jobs.py). Job
defaults, on purpose:

- `coalesce=True`: after a pause a job runs once, not once per missed interval. Every job is a
  catch-up query (due patients, due messages, due ladder steps), so one run does all the work.
- `misfire_grace_time=None`: a late run is never dropped, however late.
- `max_instances=1`: a slow run is not overlapped by the next one in this process. Overlap
  between processes is harmless: every job claims its rows atomically.
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import os
import signal
import threading
from datetime import datetime, timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from coach.config import get_settings, require_production_settings
from coach.scheduler.jobs import JOBS, interval_s, run_job
from coach.scheduler.settings import SchedulerSettings, scheduler_settings

log = logging.getLogger(__name__)
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}
SHUTDOWN_GRACE_S = 15.0


def build_scheduler(settings: SchedulerSettings) -> BackgroundScheduler:
    """A scheduler with every job registered: this process's own, and the others as standby."""
    unknown = set(settings.jobs) - set(JOBS)
    if unknown:
        raise SystemExit(f"unknown job(s) in SCHEDULER_JOBS: {', '.join(sorted(unknown))}")
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=len(JOBS))},
        job_defaults=JOB_DEFAULTS,
        timezone=timezone.utc,
    )
    now = datetime.now(timezone.utc)
    for name in JOBS:
        standby = name not in settings.jobs
        scheduler.add_job(
            run_job,
            IntervalTrigger(seconds=interval_s(name, settings), timezone=timezone.utc),
            args=[name],
            kwargs={"standby": standby},
            id=name,
            name=f"{name} (standby)" if standby else name,
            next_run_time=now,
        )
    return scheduler


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
        get_settings.cache_clear()
    if args.mode == "once":
        for name in args.jobs:
            print(f"{name}: {run_job(name)}")
        return 0
    require_production_settings("coach scheduler")
    settings = scheduler_settings()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 PID`: stacks to stderr
    scheduler = build_scheduler(settings)
    scheduler.start()
    log.info("scheduler started: jobs %s; standby for the others", ", ".join(settings.jobs) or "-")
    stop.wait()
    # Let running jobs finish, within a bound: a job cut short is a crash, which delivery is
    # built to survive (its claims expire and are redelivered with the same keys).
    stopping = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
    stopping.start()
    stopping.join(SHUTDOWN_GRACE_S)
    if stopping.is_alive():
        log.error("jobs still running %s s after the stop signal: leaving them", SHUTDOWN_GRACE_S)
        faulthandler.dump_traceback(all_threads=True)
        os._exit(1)
    return 0
