"""Shared helpers for the scheduler benchmarks (databases, SMTP sink, results)."""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("COACH_SECRET_KEY", "bench-secret-key-0123456789")

from tests.conftest_postgres import free_port  # noqa: E402

__all__ = ["REPO", "Sink", "databases", "free_port", "percentile", "write_result"]


def write_result(name: str, data: dict[str, Any]) -> Path:
    """bench/results/<name>.json with machine info."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {
        "benchmark": name,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        **data,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(json.dumps(data, indent=2))
    return path


@contextmanager
def databases(with_pg: bool = True) -> Iterator[dict[str, str]]:
    """Fresh migrated databases: SQLite always, PostgreSQL when the binaries are there."""
    from coach.storage.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        urls = {"sqlite": f"sqlite:///{tmp}/bench.db"}
        upgrade(urls["sqlite"])
        if not with_pg:
            yield urls
            return
        from tests import conftest_postgres as pg

        if pg.missing_reason():
            print(f"PostgreSQL skipped: {pg.missing_reason()}")
            yield urls
            return
        with pg.postgres_server() as server:
            urls["postgresql"] = server.create_database("bench")
            upgrade(urls["postgresql"])
            yield urls


class Sink:
    """aiosmtpd sink recording the arrival time of each idempotency key."""

    def __init__(self, port: int) -> None:
        from aiosmtpd.controller import Controller

        self.arrivals: dict[str, list[float]] = {}
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                message = message_from_bytes(envelope.content, policy=policy.default)
                key = str(message["X-Coach-Idempotency-Key"])
                with sink.lock:
                    sink.arrivals.setdefault(key, []).append(time.time())
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
