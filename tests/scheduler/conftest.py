"""Fixtures for scheduler tests: SQLite and PostgreSQL databases, an SMTP sink, fake HTTP APIs.

The sinks model receivers that honour idempotency keys the way real ones do: the SMTP sink
stores each Message-ID once (mail stores de-duplicate on it), the webhook receiver stores each
`Idempotency-Key` once (the documented webhook convention); the fake Twilio API stores every
request (Twilio has no idempotency key). Every sink also counts raw receipts, and can hold the
next message "in flight" (received, not yet answered) until released: the chaos test kills a
scheduler exactly then.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

os.environ["COACH_SECRET_KEY"] = "test-secret-key-for-scheduler-tests"

from aiosmtpd.controller import Controller  # noqa: E402

from coach.config import get_settings  # noqa: E402
from tests.conftest import DATABASE_KINDS, new_database  # noqa: E402
from tests.conftest_postgres import free_port  # noqa: E402

IDEMPOTENCY_HEADER = "X-Coach-Idempotency-Key"
WAIT_STEP_S = 0.05
MAX_HOLD_S = 60.0


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("COACH_SECRET_KEY", "test-secret-key-for-scheduler-tests")
    monkeypatch.setenv("COACH_HOME", str(tmp_path))
    monkeypatch.setenv("PORTAL_BASE_URL", "http://portal.test")
    monkeypatch.setenv("CLINIC_DUTY_EMAIL", "duty@clinic.test")
    monkeypatch.delenv("CLINIC_BACKUP_EMAIL", raising=False)
    monkeypatch.delenv("WEBHOOK_SIGNING_SECRET", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(params=DATABASE_KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: each test runs on SQLite and on PostgreSQL."""
    return new_database(request.param, tmp_path, request)


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty SQLite database (for tests where the dialect does not matter)."""
    return new_database("sqlite", tmp_path, request)


class Receipts:
    """What one receiver got: raw receipts per key, what it stored, and a hold for chaos."""

    def __init__(self, *, dedupe: bool) -> None:
        self.dedupe = dedupe
        self.lock = threading.Lock()
        self.raw: Counter[str] = Counter()
        self.stored: Counter[str] = Counter()
        self._seen: set[str] = set()
        self.delay_s = 0.0
        self.in_flight = threading.Event()
        self.held_key: str | None = None
        self._armed = False
        self._release = threading.Event()

    def arm(self) -> None:
        """Hold the next message in flight (received, unanswered) until `release()`."""
        with self.lock:
            self._armed, self.held_key = True, None
            self.in_flight.clear()
            self._release.clear()

    def release(self) -> None:
        """Let a held message be answered (its sender may be dead by then)."""
        with self.lock:
            self._armed = False
        self._release.set()

    def receive(self, key: str, store_key: str | None = None) -> threading.Event | None:
        """Count a receipt of `key`; store it unless the receiver de-duplicates and has seen
        `store_key` (default: the key) before. Returns an event to wait on to hold it."""
        with self.lock:
            self.raw[key] += 1
            seen = (store_key or key) in self._seen
            if not (self.dedupe and seen):
                self.stored[key] += 1
            self._seen.add(store_key or key)
            if self._armed and self.held_key is None:
                self.held_key = key
                self.in_flight.set()
                return self._release
        return None

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(self.raw)


class _SinkHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.sink.delay_s:
            await asyncio.sleep(self.sink.delay_s)
        message = message_from_bytes(envelope.content, policy=policy.default)
        key = str(message[IDEMPOTENCY_HEADER])
        message_id = str(message["Message-ID"])  # a mail store keeps one copy per Message-ID
        with self.sink.lock:
            self.sink.peers.add(tuple(session.peer))
            if message_id not in self.sink._seen:
                self.sink.messages.append(message)  # type: ignore[arg-type]
                self.sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        hold = self.sink.receive(key, store_key=message_id)
        if hold is not None:
            await asyncio.get_running_loop().run_in_executor(None, hold.wait, MAX_HOLD_S)
        return "250 Message accepted for delivery"


class SmtpSink(Receipts):
    """A real aiosmtpd server on loopback: stores each Message-ID once (as mail stores do),
    counts raw receipts per idempotency key."""

    def __init__(self) -> None:
        super().__init__(dedupe=True)
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.peers: set[tuple[Any, ...]] = set()
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(
                _SinkHandler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10
            )
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self.release()
            self._controller.stop()
            self._controller = None

    def by_key(self, key: str) -> EmailMessage:
        with self.lock:
            found = [m for m in self.messages if m[IDEMPOTENCY_HEADER] == key]
        assert len(found) == 1, f"{len(found)} messages for {key}"
        return found[0]


@pytest.fixture
def smtp_sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(sink.port))
    monkeypatch.setenv("SMTP_FROM", "coach@clinic.test")
    yield sink
    sink.stop()


class FakeHttp(Receipts):
    """A loopback HTTP server that records requests and answers with `status` and `body`.

    Receipts are keyed by `Idempotency-Key` (webhooks) or `X-Coach-Idempotency-Key` (the
    coach's trace header on Twilio requests); `dedupe` models a receiver honouring the key.
    """

    def __init__(self, *, dedupe: bool = False) -> None:
        super().__init__(dedupe=dedupe)
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.body: dict[str, Any] = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                parts = urlsplit(self.path)
                headers = dict(self.headers.items())
                key = headers.get("Idempotency-Key") or headers.get(IDEMPOTENCY_HEADER) or ""
                if fake.delay_s:
                    time.sleep(fake.delay_s)
                with fake.lock:
                    fake.requests.append(
                        {
                            "path": parts.path,
                            "query": parse_qs(parts.query),
                            "headers": headers,
                            "body": raw,
                        }
                    )
                    status, body = fake.status, fake.body
                hold = fake.receive(key)
                if hold is not None:
                    hold.wait(MAX_HOLD_S)
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the sender died while its message was held

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_http() -> Iterator[FakeHttp]:
    server = FakeHttp()
    yield server
    server.close()


@pytest.fixture
def fake_twilio(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHttp]:
    """A fake Twilio Messages API (no idempotency: every request is a text to a phone)."""
    server = FakeHttp(dedupe=False)
    server.status, server.body = 201, {"sid": "SM1"}
    monkeypatch.setenv("TWILIO_API_BASE", server.url)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC123")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "tw-secret")
    monkeypatch.setenv("TWILIO_FROM", "+15550001111")
    yield server
    server.close()


@pytest.fixture
def webhook_receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHttp]:
    """A clinic system receiving signed webhooks; stores each Idempotency-Key once."""
    server = FakeHttp(dedupe=True)
    monkeypatch.setenv("WEBHOOK_SIGNING_SECRET", "hook-secret")
    yield server
    server.close()


@pytest.fixture
def fast_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short, deterministic retry policy for delivery tests."""
    monkeypatch.setenv("OUTBOX_BACKOFF_BASE_S", "0.01")
    monkeypatch.setenv("OUTBOX_BACKOFF_MAX_S", "0.05")
    monkeypatch.setenv("OUTBOX_JITTER", "0")
    monkeypatch.setenv("OUTBOX_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("NOTIFY_TIMEOUT_S", "2")
    monkeypatch.setenv("OUTBOX_CLAIM_LEASE_S", "30")
    monkeypatch.setenv("CLINIC_BACKUP_EMAIL", "clinic-backup@clinic.test")
    get_settings.cache_clear()


def wait_until(predicate: Any, timeout_s: float, what: str) -> None:
    """Poll `predicate` until true; fail with `what` after `timeout_s` (no hangs)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(WAIT_STEP_S)
    raise AssertionError(f"timed out waiting for {what}")
