"""Crash safety: real scheduler processes killed with SIGKILL; two schedulers at once.

SMTP cannot be exactly-once under SIGKILL: if the process dies after the server accepted a
message but before the database recorded it, the outcome is unknown and the message is sent
again (same Message-ID and idempotency header, so receivers can drop it). The test asserts that
this is the only way a duplicate can arise: every duplicate was re-sent after a claim expired
(audited as `notification_redelivery_unknown_outcome`), at most one per kill. Without kills (two
schedulers at once) no message may arrive twice.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import wait_until
from factories import escalate, patient, therapist
from sqlalchemy import select

from coach.storage.db import session_factory, transaction
from coach.storage.models import AuditEvent, Escalation, Notification

REPO = Path(__file__).resolve().parents[2]
ESCALATIONS = 100
KILLS = 5
DELIVERY_TIMEOUT_S = 90
STOP_TIMEOUT_S = 15


def _env(db_url: str, smtp_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "DATABASE_URL": db_url,
            "SCHEDULER_JOBS": "outbox",
            "SCHEDULER_OUTBOX_INTERVAL_S": "0.2",
            "OUTBOX_BATCH": "5",
            "OUTBOX_BACKOFF_BASE_S": "0.2",
            "OUTBOX_BACKOFF_MAX_S": "1",
            "OUTBOX_MAX_ATTEMPTS": "1000",
            "OUTBOX_CLAIM_LEASE_S": "2",
            "OUTBOX_DRAIN_BUDGET_S": "2",
            "NOTIFY_TIMEOUT_S": "0.5",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "COACH_LOG_LEVEL": "ERROR",
        }
    )
    return env


def _start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "coach.cli", "scheduler"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT_S)


def _seed(db_url: str) -> set[str]:
    with transaction(db_url) as s:
        t = therapist(s)
        for i in range(ESCALATIONS):
            escalate(s, patient(s, f"P{i}", therapist_row=t), "low_mood", f"chaos-{i}")
    with session_factory(db_url)() as s:
        return set(s.scalars(select(Notification.idempotency_key)))


def _all_sent(db_url: str) -> bool:
    with session_factory(db_url)() as s:
        return set(s.scalars(select(Notification.status))) == {"sent"}


def _assert_final(db_url: str) -> None:
    with session_factory(db_url)() as s:
        for escalation in s.scalars(select(Escalation)):
            states = {n.status for n in escalation.notifications}
            assert states == {"sent"}, (escalation.id, states)


def test_sigkill_while_delivering_loses_nothing(db_url: str, smtp_sink) -> None:
    keys = _seed(db_url)
    assert len(keys) == ESCALATIONS
    env = _env(db_url, smtp_sink.port)
    smtp_sink.stop()  # the SMTP server is down for the first rounds
    smtp_sink.delay_s = 0.02  # slow enough that kills land mid-delivery
    rng = random.Random(4)
    kills = 0
    for round_no in range(KILLS):
        if round_no == 2:
            smtp_sink.start()
        proc = _start(env)
        time.sleep(rng.uniform(0.8, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(STOP_TIMEOUT_S)
        kills += 1
    delivered_before_final = sum(smtp_sink.counts().values())
    final = _start(env)
    try:
        wait_until(lambda: _all_sent(db_url), DELIVERY_TIMEOUT_S, "every message sent")
    finally:
        _stop(final)
    counts = smtp_sink.counts()
    assert set(counts) == keys  # every message delivered
    _assert_final(db_url)
    with session_factory(db_url)() as s:
        uncertain = set(
            s.scalars(
                select(Notification.idempotency_key)
                .join(AuditEvent, AuditEvent.subject_id == Notification.id)
                .where(AuditEvent.action == "notification_redelivery_unknown_outcome")
            )
        )
    duplicates = {key for key, n in counts.items() if n > 1}
    assert duplicates <= uncertain  # only a send whose outcome a kill made unknown repeats
    assert all(counts[key] == 2 for key in duplicates)
    assert len(duplicates) <= kills
    print(
        f"kills={kills} delivered_before_final={delivered_before_final} "
        f"recovered_claims={len(uncertain)} duplicates={len(duplicates)}"
    )


def test_two_schedulers_at_once_send_nothing_twice(db_url: str, smtp_sink) -> None:
    keys = _seed(db_url)
    smtp_sink.delay_s = 0.005
    env = _env(db_url, smtp_sink.port)
    env["OUTBOX_CLAIM_LEASE_S"] = "30"  # no process dies here: no claim may expire
    procs = [_start(env), _start(env)]
    try:
        wait_until(lambda: _all_sent(db_url), DELIVERY_TIMEOUT_S, "every message sent")
    finally:
        for proc in procs:
            _stop(proc)
    counts = smtp_sink.counts()
    assert set(counts) == keys
    assert max(counts.values()) == 1
    _assert_final(db_url)


@pytest.mark.parametrize("job", ["outbox"])
def test_scheduler_once_mode_runs_a_job(sqlite_url: str, smtp_sink, job: str) -> None:
    with transaction(sqlite_url) as s:
        escalate(s, patient(s, therapist_row=therapist(s)), "low_mood", "once-1")
    env = _env(sqlite_url, smtp_sink.port)
    result = subprocess.run(
        [sys.executable, "-m", "coach.cli", "scheduler", "once", job],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert smtp_sink.counts() == {"once-1:therapist:1:email:0": 1}
