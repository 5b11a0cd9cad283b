"""Rasa's tracker store with conversations kept in memory (coach/rasa_components/tracker_store.py)
reads and writes exactly what Rasa's own SQL store would, on SQLite and on PostgreSQL: two
replicas on one database, a message that failed half-way, an erased conversation, a new session,
a bounded cache, an event broker. The checks run in the Rasa env
(tests/e2e/tracker_cache_checks.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from tests import conftest_postgres as pg

REPO_DIR = Path(__file__).resolve().parents[2]
RASA_PYTHON = REPO_DIR / ".venv-rasa" / "bin" / "python"
CHECK_NAMES = [  # tracker_cache_checks.CHECKS (that module imports Rasa: not importable here)
    "served_from_memory_and_written_like_rasa",
    "another_replica_write_is_read_not_overwritten",
    "unsaved_changes_are_never_served",
    "erased_conversation_is_gone_from_memory",
    "new_session_is_read_back_as_rasa_does",
    "memory_is_bounded_and_can_be_off",
    "event_broker_gets_every_new_event_once",
]


def run_checks(database_url: str) -> dict[str, str]:
    if not RASA_PYTHON.exists():
        pytest.fail(f"{RASA_PYTHON} missing: `make install` builds the Rasa environment")
    done = subprocess.run(
        [str(RASA_PYTHON), "-m", "tests.e2e.tracker_cache_checks", database_url],
        cwd=REPO_DIR,
        env={**os.environ, "PYTHONPATH": str(REPO_DIR), "TRACKER_CACHE_SIZE": ""},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def sqlite_outcome(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return run_checks(f"sqlite:///{tmp_path_factory.mktemp('tracker-cache') / 'tracker.db'}")


@pytest.fixture(scope="module")
def postgres_outcome(pg_server: pg.PostgresServer) -> dict[str, str]:
    return run_checks(pg_server.create_database(f"tracker_{uuid.uuid4().hex[:8]}"))


def test_every_check_ran(sqlite_outcome: dict[str, str]) -> None:
    assert sorted(sqlite_outcome) == sorted(CHECK_NAMES)


@pytest.mark.parametrize("check", CHECK_NAMES)
def test_on_sqlite(sqlite_outcome: dict[str, str], check: str) -> None:
    assert sqlite_outcome[check] == "ok", sqlite_outcome[check]


@pytest.mark.parametrize("check", CHECK_NAMES)
def test_on_postgres(postgres_outcome: dict[str, str], check: str) -> None:
    assert postgres_outcome[check] == "ok", postgres_outcome[check]
