"""Fixtures for scheduler tests: SQLite and PostgreSQL databases, an SMTP sink, fake HTTP APIs."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
import time
import uuid
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
from coach.storage.migrate import upgrade  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "conftest_postgres", Path(__file__).resolve().parents[1] / "conftest_postgres.py"
)
assert _spec and _spec.loader
pg_helpers = importlib.util.module_from_spec(_spec)
sys.modules["conftest_postgres"] = pg_helpers
_spec.loader.exec_module(pg_helpers)
free_port = pg_helpers.free_port

IDEMPOTENCY_HEADER = "X-Coach-Idempotency-Key"
WAIT_STEP_S = 0.05


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("COACH_SECRET_KEY", "test-secret-key-for-scheduler-tests")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    reason = pg_helpers.missing_reason()
    if reason:
        pytest.skip(f"PostgreSQL variant skipped: {reason}")
    with pg_helpers.postgres_server() as server:
        yield server


def _new_database(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'coach.db'}"
    else:
        server = request.getfixturevalue("pg_server")
        url = server.create_database(f"t_{uuid.uuid4().hex[:12]}")
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: each test runs on SQLite and on PostgreSQL."""
    return _new_database(request.param, tmp_path, request)


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty SQLite database (for tests where the dialect does not matter)."""
    return _new_database("sqlite", tmp_path, request)


class _SinkHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.sink.delay_s:
            time.sleep(self.sink.delay_s)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.sink.lock:
            self.sink.messages.append(message)  # type: ignore[arg-type]
            self.sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpSink:
    """A real aiosmtpd server on loopback that records every accepted message."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()
        self.delay_s = 0.0
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(
                _SinkHandler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10
            )
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(str(m[IDEMPOTENCY_HEADER]) for m in self.messages)

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


class FakeHttp:
    """A loopback HTTP server that records requests and answers with `status` and `body`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.body: dict[str, Any] = {}
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                parts = urlsplit(self.path)
                with fake.lock:
                    fake.requests.append(
                        {
                            "path": parts.path,
                            "query": parse_qs(parts.query),
                            "headers": dict(self.headers.items()),
                            "body": raw,
                        }
                    )
                    status, body = fake.status, fake.body
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_http() -> Iterator[FakeHttp]:
    server = FakeHttp()
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
    monkeypatch.setenv("ACK_BASE_URL", "http://ack.test")
    monkeypatch.setenv("CLINIC_BACKUP_EMAIL", "clinic-backup@clinic.test")


def wait_until(predicate: Any, timeout_s: float, what: str) -> None:
    """Poll `predicate` until true; fail with `what` after `timeout_s` (no hangs)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(WAIT_STEP_S)
    raise AssertionError(f"timed out waiting for {what}")
