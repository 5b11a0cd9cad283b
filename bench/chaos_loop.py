"""Run the SIGKILL chaos test N times (fresh seed each), collect its figures per run.

Each run is one pytest invocation of
`tests/scheduler/test_chaos.py::test_sigkill_mid_delivery_on_every_channel_loses_nothing_doubles_nothing`
on SQLite and PostgreSQL; the test prints its seed, kills, kills verified mid-delivery, raw
repeats per channel (each one an audited unknown-outcome redelivery), stored duplicates and
losses. Usage: .venv/bin/python bench/chaos_loop.py [--runs 20]
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
import time
from typing import Any

from _common import REPO, write_result

TEST = (
    "tests/scheduler/test_chaos.py::"
    "test_sigkill_mid_delivery_on_every_channel_loses_nothing_doubles_nothing"
)
LINE = re.compile(
    r"chaos seed=(?P<seed>\d+) kills=(?P<kills>\d+) mid_delivery_kills=(?P<mid>\d+) "
    r"messages=(?P<messages>\d+) raw_repeats=(?P<repeats>\{[^}]*\}) "
    r"stored_duplicates=(?P<dupes>\d+) sms_repeats=\d+ lost=(?P<lost>\d+)"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO), "COACH_REQUIRE_POSTGRES": "1"}
    runs: list[dict[str, Any]] = []
    for number in range(args.runs):
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", TEST],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        figures = [m.groupdict() for m in LINE.finditer(result.stdout)]
        runs.append(
            {
                "run": number + 1,
                "passed": result.returncode == 0,
                "seconds": round(time.monotonic() - started, 1),
                "databases": [
                    {
                        "seed": int(f["seed"]),
                        "kills": int(f["kills"]),
                        "mid_delivery_kills": int(f["mid"]),
                        "messages": int(f["messages"]),
                        "raw_repeats": ast.literal_eval(f["repeats"]),
                        "stored_duplicates": int(f["dupes"]),
                        "lost": int(f["lost"]),
                    }
                    for f in figures
                ],
                "failure": None if result.returncode == 0 else result.stdout[-3000:],
            }
        )
        print(runs[-1]["run"], runs[-1]["passed"], runs[-1]["seconds"], flush=True)
    every = [d for r in runs for d in r["databases"]]
    write_result(
        "chaos_loop",
        {
            "runs": len(runs),
            "passed": sum(r["passed"] for r in runs),
            "test_runs_per_database": len(every),
            "kills": sum(d["kills"] for d in every),
            "mid_delivery_kills_verified": sum(d["mid_delivery_kills"] for d in every),
            "raw_repeats": sum(sum(d["raw_repeats"].values()) for d in every),
            "raw_repeats_sms": sum(d["raw_repeats"].get("sms", 0) for d in every),
            "stored_duplicates": sum(d["stored_duplicates"] for d in every),
            "lost": sum(d["lost"] for d in every),
            "details": runs,
        },
    )


if __name__ == "__main__":
    main()
