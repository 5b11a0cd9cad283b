"""Outbox delivery throughput (messages/s) to an SMTP sink, with one and two delivering workers.

Each worker is its own process running `run_outbox` (as a scheduler would), and the SMTP sink
(aiosmtpd) runs in a third process, like a real relay. The clock runs from the moment the
workers (already started and imported) are told to go until the last one has drained the
outbox. Duplicates are counted at the sink by idempotency key.
Usage: .venv/bin/python bench/outbox_throughput.py [--messages N] [--postgres]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
from collections import Counter
from typing import Any

from _common import databases, free_port, write_result
from sqlalchemy import select

HEADER = b"\nX-Coach-Idempotency-Key: "


def sink_main(port: int, ready: Any, stop: Any, out: Any) -> None:
    """An SMTP server counting messages per idempotency key until `stop` is set; sends back
    the counts and the CPU seconds it used."""
    import resource

    from aiosmtpd.controller import Controller

    counts: Counter[str] = Counter()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            content = envelope.content
            at = content.find(HEADER)
            end = content.find(b"\r\n", at + len(HEADER))
            counts[content[at + len(HEADER) : end].decode()] += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.send((dict(counts), usage.ru_utime + usage.ru_stime))


def worker_main(url: str, go: Any, ready: Any, out: Any) -> None:
    """Import everything, wait for `go`, then drain the outbox like a scheduler run; sends back
    the messages it sent and the CPU seconds it used."""
    import resource

    from coach.scheduler.outbox import run_outbox
    from coach.scheduler.settings import scheduler_settings
    from coach.storage.db import session_factory

    settings = scheduler_settings(url)
    factory = session_factory(url)
    ready.set()
    go.wait()
    before = resource.getrusage(resource.RUSAGE_SELF)
    stats = run_outbox(factory, settings)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out.send((stats.sent, cpu))


def seed(url: str, messages: int, tag: str) -> None:
    """`messages` urgent escalations, each with one therapist email in the outbox."""
    from coach.escalation.raising import EscalationRequest, raise_escalation
    from coach.storage.db import transaction
    from coach.storage.models import Patient, Therapist

    with transaction(url) as s:
        therapist = s.scalars(select(Therapist)).first()
        assert therapist is not None
        patient = Patient(display_name="P", therapist_id=therapist.id)
        s.add(patient)
        s.flush()
        s.refresh(patient)
        for i in range(messages):
            raise_escalation(s, patient, EscalationRequest("eye_at_risk", f"{tag}-{i}", {"t": i}))


def measure(url: str, messages: int, workers: int, port: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    receive, send = ctx.Pipe(duplex=False)
    sink = ctx.Process(target=sink_main, args=(port, ready, stop, send))
    sink.start()
    ready.wait(60)
    tag = f"w{workers}-{time.time_ns()}"
    seed(url, messages, tag)
    go = ctx.Event()
    readies = [ctx.Event() for _ in range(workers)]
    pipes = [ctx.Pipe(duplex=False) for _ in range(workers)]
    procs = [
        ctx.Process(target=worker_main, args=(url, go, r, w))
        for r, (_, w) in zip(readies, pipes, strict=True)
    ]
    for proc in procs:
        proc.start()
    for event in readies:
        event.wait(120)
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    go.set()
    reports = [r.recv() for r, _ in pipes]
    elapsed = time.perf_counter() - t0
    for proc in procs:
        proc.join()
    stop.set()
    counts, sink_cpu = receive.recv()
    sink.join()
    mine = {k: n for k, n in counts.items() if k.startswith(tag)}
    return {
        "workers": workers,
        "delivered": len(mine),
        "duplicates": sum(n - 1 for n in mine.values()),
        "seconds": round(elapsed, 3),
        "messages_per_s": round(len(mine) / elapsed, 1),
        "sent_by_worker": [sent for sent, _ in reports],
        "worker_cpu_ms_per_message": round(
            1000 * sum(cpu for _, cpu in reports) / max(1, len(mine)), 3
        ),
        "sink_cpu_ms_per_message": round(1000 * sink_cpu / max(1, len(mine)), 3),
        # Other work on this shared 2-core machine: throughput is CPU-bound, so it matters.
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    port = free_port()
    os.environ.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), OUTBOX_DRAIN_BUDGET_S="600")
    from coach.scheduler.settings import scheduler_settings
    from coach.storage.db import transaction
    from coach.storage.models import Therapist

    settings = scheduler_settings("sqlite://")
    results: dict[str, Any] = {
        "messages": args.messages,
        "outbox_batch": settings.outbox_batch,
        "record_every": settings.record_every,
        "sink": "aiosmtpd in its own process; each worker its own process",
    }
    with databases(with_pg=args.postgres) as urls:
        for name, url in urls.items():
            with transaction(url) as s:
                s.add(Therapist(name="T", email="t@clinic.test"))
            results[name] = [measure(url, args.messages, w, port) for w in (1, 2)]
    write_result("outbox_throughput", results)


if __name__ == "__main__":
    main()
