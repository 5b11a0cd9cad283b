"""The red-flag spool: one durable file per record in a shared folder, replayed by the scheduler,
poison records quarantined with an alert, the Rasa environment able to write it."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from coach.config import REPO_DIR, get_settings
from coach.escalation.replay import replay_spool, replay_spool_stats
from coach.escalation.spool import (
    NEW,
    QUARANTINE,
    TMP,
    pending_records,
    spool_dir,
    spool_escalation,
    spooled_records,
)
from coach.storage.db import session_factory, transaction
from coach.storage.models import Escalation, Notification

RASA_PYTHON = REPO_DIR / ".venv-rasa" / "bin" / "python"


def record(sender: str = "someone-new", message: str = "m1", **extra: object) -> dict:
    return {
        "kinds": ["stroke"],
        "text": "my face dropped and my arm is weak",
        "channel": "rest",
        "sender_id": sender,
        "message_id": message,
        "matched": ["arm is weak"],
        **extra,
    }


@pytest.fixture(autouse=True)
def _duty_inbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLINIC_DUTY_EMAIL", "duty@clinic.test")
    monkeypatch.setenv("SPOOL_DIR", str(tmp_path / "shared-spool"))
    get_settings.cache_clear()


def test_one_private_file_per_record_written_atomically() -> None:
    first = spool_escalation(record(message="m1"))
    second = spool_escalation(record(message="m2"))
    assert first.parent == second.parent == spool_dir() / NEW
    assert first != second and pending_records() == [first, second]
    assert [r["message_id"] for r in spooled_records()] == ["m1", "m2"]
    assert list((spool_dir() / TMP).iterdir()) == []  # nothing half-written left behind
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert stat.S_IMODE((spool_dir() / NEW).stat().st_mode) == 0o700


def test_the_rasa_environment_writes_where_the_scheduler_reads(app_db: str) -> None:
    """Rasa's env (SQLAlchemy 1.4) imports the writer without SQLAlchemy; the scheduler, with the
    same SPOOL_DIR (a shared volume in docker-compose), replays what it wrote."""
    if not RASA_PYTHON.exists():
        pytest.fail(f"{RASA_PYTHON} missing: `make install` builds the Rasa environment")
    script = (
        "import json, sys\n"
        "from coach.escalation.spool import spool_escalation\n"
        "assert 'sqlalchemy' not in sys.modules, 'the spool writer must stay stdlib-only'\n"
        f"print(spool_escalation(json.loads({json.dumps(json.dumps(record('rasa-side')))})))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_DIR)}
    written = subprocess.run(
        [str(RASA_PYTHON), "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert written.returncode == 0, written.stderr
    assert Path(written.stdout.strip()).parent == spool_dir() / NEW
    assert replay_spool(session_factory(app_db)) == 1
    with transaction(app_db) as session:
        escalation = session.scalars(select(Escalation)).one()
        assert escalation.evidence["sender_id"] == "rasa-side" and escalation.level == "emergency"
        [duty] = session.scalars(select(Notification)).all()
        assert (duty.recipient_kind, duty.address) == ("duty", "duty@clinic.test")


def test_a_poison_record_is_quarantined_alerts_duty_and_blocks_nothing(app_db: str) -> None:
    spool_escalation(record(message="before"))
    bad_json = spool_dir() / NEW / "00000000000000000001-1-bad.json"
    bad_json.write_text("{not json")
    missing = spool_escalation({"kinds": ["stroke"], "text": "no sender"})
    spool_escalation(record(message="after"))
    stats = replay_spool_stats(session_factory(app_db))
    assert (stats.replayed, stats.quarantined, stats.waiting) == (2, 2, 0)
    assert pending_records() == []
    quarantined = sorted(p.name for p in (spool_dir() / QUARANTINE).iterdir())
    assert quarantined == sorted(
        [
            bad_json.name,
            bad_json.with_suffix(".reason").name,
            missing.name,
            missing.with_suffix(".reason").name,
        ]
    )
    with transaction(app_db) as session:
        kinds = sorted(session.scalars(select(Escalation.kind)))
        assert kinds == ["spool_unreadable", "spool_unreadable", "stroke", "stroke"]
        alerts = session.scalars(
            select(Notification).join(Escalation).where(Escalation.kind == "spool_unreadable")
        ).all()
        assert {(n.recipient_kind, n.address) for n in alerts} == {("duty", "duty@clinic.test")}
        assert len(alerts) == 2
    again = replay_spool_stats(session_factory(app_db))
    assert (again.replayed, again.quarantined) == (0, 0)  # nothing twice


def test_records_wait_while_the_database_is_down() -> None:
    spool_escalation(record())
    down = session_factory("postgresql+psycopg2://nobody@127.0.0.1:1/none")
    stats = replay_spool_stats(down)
    assert (stats.replayed, stats.quarantined, stats.waiting) == (0, 0, 1)
    assert len(pending_records()) == 1


def test_two_schedulers_replaying_at_once_write_each_red_flag_once(app_db: str) -> None:
    for n in range(20):
        spool_escalation(record(sender=f"s{n}", message=f"m{n}"))
    factory = session_factory(app_db)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def replayer() -> None:
        try:
            barrier.wait(timeout=30)
            replay_spool(factory)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=replayer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    replay_spool(factory)  # whatever a collision left for the next run
    with transaction(app_db) as session:
        assert len(session.scalars(select(Escalation)).all()) == 20
    assert pending_records() == [] and not (spool_dir() / QUARANTINE).exists()


def test_the_old_single_file_spool_is_carried_over(app_db: str) -> None:
    legacy = get_settings().home / "var" / "escalation_spool.jsonl"
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_text(json.dumps(record(message="old")) + "\n" + "garbage\n")
    assert replay_spool(session_factory(app_db)) == 1
    assert not legacy.exists()
    assert len(list((spool_dir() / QUARANTINE).glob("legacy-*"))) == 1
