"""Escalation latency: triage write → message at the SMTP sink, p50/p99, default intervals.

A real scheduler process (default SCHEDULER_OUTBOX_INTERVAL_S) delivers to an aiosmtpd sink
while this script raises escalations at random moments. Goal: p99 ≤ 60 s; ≤ 5 s for emergency.
Usage: .venv/bin/python bench/escalation_latency.py [--escalations N] [--postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time

from _common import REPO, Sink, databases, free_port, percentile, write_result

from coach.escalation.raising import EscalationRequest, raise_escalation
from coach.storage.db import transaction
from coach.storage.models import Patient, Therapist

KINDS = {"stroke": "emergency", "eye_at_risk": "urgent", "low_mood": "working_day"}
WAIT_S = 90


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--escalations", type=int, default=60)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    rng = random.Random(2)
    results: dict[str, object] = {"escalations": args.escalations}
    with databases(with_pg=args.postgres) as urls:
        for name, url in urls.items():
            port = free_port()
            sink = Sink(port)
            env = dict(
                os.environ,
                PYTHONPATH=str(REPO),
                DATABASE_URL=url,
                SMTP_PORT=str(port),
                SMTP_HOST="127.0.0.1",
                SCHEDULER_JOBS="outbox",
                SCHEDULER_STANDBY_AFTER="0",
                COACH_LOG_LEVEL="ERROR",
            )
            proc = subprocess.Popen(
                [sys.executable, "-m", "coach.cli", "scheduler"],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            written: dict[str, tuple[str, float]] = {}
            try:
                with transaction(url) as s:
                    therapist = Therapist(name="T", email="t@clinic.test")
                    s.add(therapist)
                    s.flush()
                    patient = Patient(display_name="P", therapist_id=therapist.id)
                    s.add(patient)
                time.sleep(3)  # let the scheduler start
                for i in range(args.escalations):
                    kind = rng.choice(list(KINDS))
                    key = f"lat-{i}"
                    with transaction(url) as s:
                        p = s.get(Patient, patient.id)
                        raise_escalation(s, p, EscalationRequest(kind, key, {"text": "x"}))
                    written[f"{key}:initial:therapist:{therapist.id}:email"] = (
                        KINDS[kind],
                        time.time(),
                    )
                    time.sleep(rng.uniform(0.0, 0.8))
                deadline = time.time() + WAIT_S
                while time.time() < deadline and len(sink.arrivals) < len(written):
                    time.sleep(0.1)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
                sink.stop()
            by_level: dict[str, list[float]] = {}
            for key, (level, at) in written.items():
                if key in sink.arrivals:
                    by_level.setdefault(level, []).append(sink.arrivals[key][0] - at)
            every = [v for values in by_level.values() for v in values]
            results[name] = {
                "delivered": len(every),
                "p50_s": round(percentile(every, 50), 3),
                "p99_s": round(percentile(every, 99), 3),
                "by_level": {
                    level: {
                        "n": len(v),
                        "p50_s": round(percentile(v, 50), 3),
                        "p99_s": round(percentile(v, 99), 3),
                    }
                    for level, v in sorted(by_level.items())
                },
            }
    write_result("escalation_latency", results)


if __name__ == "__main__":
    main()
