"""The scheduler process: persistent job store, job defaults, configured jobs only; schema."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from coach.scheduler.service import JOB_DEFAULTS, JOBSTORE_TABLE, build_scheduler, register_jobs
from coach.scheduler.settings import scheduler_settings
from coach.storage.db import make_engine
from coach.storage.models import Base


def test_jobs_persist_in_the_database_with_chosen_defaults(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCHEDULER_JOBS", "sweep,outbox,digest")
    scheduler = build_scheduler(scheduler_settings(db_url))
    scheduler.start(paused=True)
    register_jobs(scheduler, scheduler_settings(db_url))
    scheduler.shutdown(wait=False)
    assert JOBSTORE_TABLE in inspect(make_engine(db_url)).get_table_names()

    monkeypatch.setenv("SCHEDULER_JOBS", "outbox")  # restart with fewer jobs
    again = build_scheduler(scheduler_settings(db_url))
    again.start(paused=True)
    assert {job.id for job in again.get_jobs()} == {"sweep", "outbox", "digest"}  # persisted
    register_jobs(again, scheduler_settings(db_url))
    jobs = again.get_jobs()
    again.shutdown(wait=False)
    assert [job.id for job in jobs] == ["outbox"]
    outbox = jobs[0]
    assert (outbox.coalesce, outbox.misfire_grace_time, outbox.max_instances) == (
        JOB_DEFAULTS["coalesce"],
        JOB_DEFAULTS["misfire_grace_time"],
        JOB_DEFAULTS["max_instances"],
    )


def test_migrations_match_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
