"""Outbox delivery throughput (messages/s) to an aiosmtpd sink, one and two delivering workers.

Usage: .venv/bin/python bench/outbox_throughput.py [--messages N] [--postgres]
"""

from __future__ import annotations

import argparse
import os
import threading
import time

from _common import Sink, databases, write_result
from conftest_postgres import free_port
from sqlalchemy import select

from coach.scheduler.outbox import run_outbox
from coach.scheduler.settings import scheduler_settings
from coach.storage.db import session_factory, transaction
from coach.storage.models import Patient, Therapist
from coach.triage.escalation import EscalationRequest, raise_escalation


def seed(url: str, messages: int, tag: str) -> None:
    """`messages` urgent escalations, each with one therapist email in the outbox."""
    with transaction(url) as s:
        therapist = s.scalars(select(Therapist)).first()
        assert therapist is not None
        patient = Patient(display_name="P", therapist_id=therapist.id)
        s.add(patient)
        s.flush()
        s.refresh(patient)
        for i in range(messages):
            raise_escalation(s, patient, EscalationRequest("eye_at_risk", f"{tag}-{i}", {"t": i}))


def measure(url: str, messages: int, workers: int, sink: Sink, tag: str) -> dict[str, float]:
    seed(url, messages, tag)
    factory = session_factory(url)
    settings = scheduler_settings(url)
    t0 = time.perf_counter()
    threads = [
        threading.Thread(target=run_outbox, args=(factory, settings)) for _ in range(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t0
    delivered = sum(1 for k in sink.arrivals if k.startswith(f"{tag}-"))
    dupes = sum(len(v) - 1 for k, v in sink.arrivals.items() if k.startswith(f"{tag}-"))
    return {
        "workers": workers,
        "delivered": delivered,
        "duplicates": dupes,
        "seconds": round(elapsed, 3),
        "messages_per_s": round(delivered / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    port = free_port()
    os.environ.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), OUTBOX_DRAIN_BUDGET_S="600")
    sink = Sink(port)
    results: dict[str, object] = {"messages": args.messages}
    try:
        with databases(with_pg=args.postgres) as urls:
            for name, url in urls.items():
                with transaction(url) as s:
                    s.add(Therapist(name="T", email="t@clinic.test"))
                results[name] = [
                    measure(url, args.messages, workers, sink, f"{name}-w{workers}")
                    for workers in (1, 2)
                ]
    finally:
        sink.stop()
    write_result("outbox_throughput", results)


if __name__ == "__main__":
    main()
