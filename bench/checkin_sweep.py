"""Due-check-in sweep over 100,000 patients: time per sweep on SQLite and PostgreSQL (≤ 1 s).

Usage: .venv/bin/python bench/checkin_sweep.py [--patients N] [--runs N]
Writes bench/results/checkin_sweep.json.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time as clock
from datetime import datetime, time, timezone

from _common import databases, write_result
from sqlalchemy import insert

from coach.scheduler.sweep import _claim, find_due
from coach.storage.db import session_factory
from coach.storage.models import ChannelIdentity, Patient

ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Auckland",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "America/Sao_Paulo",
    "Africa/Johannesburg",
    "Europe/Dublin",
    "America/Chicago",
]
CHUNK = 5000
SWEEP_BATCH = 500


def seed(url: str, patients: int) -> None:
    rng = random.Random(1)
    factory = session_factory(url)
    for start in range(0, patients, CHUNK):
        rows = [
            {
                "display_name": f"P{i}",
                "timezone": rng.choice(ZONES),
                "locale": "en-GB",
                "checkin_time": time(rng.randrange(6, 22), rng.choice((0, 15, 30, 45))),
                "eye_closure_incomplete": False,
                "active": True,
                "created_at": datetime.now(timezone.utc),
            }
            for i in range(start, min(patients, start + CHUNK))
        ]
        with factory.begin() as session:
            session.execute(insert(Patient), rows)
    with factory.begin() as session:
        ids = [
            row[0]
            for row in session.execute(Patient.__table__.select().with_only_columns(Patient.id))
        ]
        for start in range(0, len(ids), CHUNK):
            session.execute(
                insert(ChannelIdentity),
                [
                    {
                        "channel": "rest",
                        "sender_id": f"s{pid}",
                        "patient_id": pid,
                        "created_at": datetime.now(timezone.utc),
                    }
                    for pid in ids[start : start + CHUNK]
                ],
            )


def measure(url: str, runs: int) -> dict[str, object]:
    factory = session_factory(url)
    now = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)
    full, batch, claim = [], [], []
    due_count = 0
    for _ in range(runs):
        with factory() as session:
            t0 = clock.perf_counter()
            due, clocks = find_due(session, now)
            full.append(clock.perf_counter() - t0)
            due_count = len(due)
            t0 = clock.perf_counter()
            find_due(session, now, SWEEP_BATCH)
            batch.append(clock.perf_counter() - t0)
    with factory() as session:
        due, clocks = find_due(session, now, SWEEP_BATCH)
    t0 = clock.perf_counter()
    _claim(factory, due, clocks, now, 300)
    claim.append(clock.perf_counter() - t0)
    return {
        "due_patients": due_count,
        "full_due_query_s_median": round(statistics.median(full), 4),
        "full_due_query_s_max": round(max(full), 4),
        "batch_query_s_median": round(statistics.median(batch), 4),
        "claim_batch_s": round(claim[0], 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, object] = {"patients": args.patients, "zones": len(ZONES)}
    with databases() as urls:
        for name, url in urls.items():
            t0 = clock.perf_counter()
            seed(url, args.patients)
            print(f"{name}: seeded in {clock.perf_counter() - t0:.1f} s")
            results[name] = measure(url, args.runs)
    write_result("checkin_sweep", results)


if __name__ == "__main__":
    main()
