"""The scheduler process: every job registered in every process, standby for silent jobs,
production start checks; the schema matches the models."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, update

from coach.config import get_settings
from coach.scheduler.jobs import JOBS, last_started, run_job
from coach.scheduler.service import JOB_DEFAULTS, build_scheduler
from coach.scheduler.settings import scheduler_settings
from coach.storage.db import make_engine, session_factory, transaction
from coach.storage.models import Base, SchedulerJobRun

REPO = Path(__file__).resolve().parents[2]


def test_every_process_schedules_every_job_its_own_and_the_rest_as_standby(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCHEDULER_JOBS", "outbox")
    scheduler = build_scheduler(scheduler_settings(sqlite_url))
    scheduler.start(paused=True)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(jobs) == set(JOBS)  # nothing is dropped, whatever SCHEDULER_JOBS says
    assert {name for name, job in jobs.items() if not job.kwargs["standby"]} == {"outbox"}
    outbox = jobs["outbox"]
    assert (outbox.coalesce, outbox.misfire_grace_time, outbox.max_instances) == (
        JOB_DEFAULTS["coalesce"],
        JOB_DEFAULTS["misfire_grace_time"],
        JOB_DEFAULTS["max_instances"],
    )


def test_standby_job_runs_only_when_no_process_ran_it_lately(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SCHEDULER_LADDER_INTERVAL_S", "30")
    monkeypatch.setenv("SCHEDULER_STANDBY_AFTER", "3")
    get_settings.cache_clear()
    factory = session_factory(db_url)
    assert run_job("ladder", standby=True) is not None  # never ran anywhere: stand in
    first = last_started(factory, "ladder")
    assert first is not None
    assert run_job("ladder", standby=True) is None  # someone ran it just now
    with transaction(db_url) as s:  # ... 91 s ago (3 intervals of 30 s)
        s.execute(update(SchedulerJobRun).values(last_started_at=first - timedelta(seconds=91)))
    assert run_job("ladder", standby=True) is not None
    with session_factory(db_url)() as s:
        row = s.scalars(select(SchedulerJobRun)).one()
        assert row.name == "ladder" and row.last_finished_at is not None


def test_production_start_refuses_without_a_duty_inbox(sqlite_url: str) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": sqlite_url,
        "COACH_ENV": "production",
        "COACH_SECRET_KEY": "k" * 32,
    }
    starts = (
        ["-m", "coach.cli", "scheduler"],
        ["-m", "coach.cli", "portal", "--port", "0"],
        ["-m", "rasa_sdk", "--actions", "actions", "--port", "0"],
    )
    for command in starts:
        result = subprocess.run(
            [sys.executable, *command],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0
        assert "refusing to start in production" in result.stderr
        assert "CLINIC_DUTY_EMAIL" in result.stderr
    same = {**env, "CLINIC_DUTY_EMAIL": "duty@clinic.test", "WEBHOOK_SIGNING_SECRET": "k" * 32}
    result = subprocess.run(
        [sys.executable, "-m", "coach.cli", "scheduler"],
        cwd=REPO,
        env=same,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "WEBHOOK_SIGNING_SECRET must differ" in result.stderr


def test_migrations_match_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_job_run_bookkeeping_uses_utc(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    before = datetime.now(timezone.utc)
    run_job("spool")
    started = last_started(session_factory(sqlite_url), "spool")
    assert started is not None and started >= before - timedelta(seconds=1)
