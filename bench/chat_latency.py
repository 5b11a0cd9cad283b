"""Chat latency and throughput: our coach vs a bare `rasa init` bot, same machine, same run.

N simulated patients (default 10 and 50) talk concurrently over the REST channel. Each of ours
does a full daily check-in (9 turns, every turn through the action server and the database);
each bare-bot patient sends 9 messages through the moodbot's rules. Writes p50/p95 turn latency
and messages/s per level, start-up time and peak memory of every process, to
bench/results/chat_latency.json.

Run: .venv/bin/python bench/chat_latency.py [--levels 10 50] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import write_result  # noqa: E402
from coach.storage.migrate import upgrade  # noqa: E402
from tests.conftest import add_patient  # noqa: E402
from tests.e2e.stack import RASA_BIN, RasaStack, coach_env, free_port, rest_headers  # noqa: E402

BARE_BOT_DIR = REPO / "var" / "bench" / "bare_bot"
COACH_TURNS = [
    "start my check-in",
    "my face feels a bit tight today",
    "no",
    "2",
    "about 20 minutes",
    "yes",
    "no",
    "yes",
    "7",
]
BARE_TURNS = [
    "hello",
    "I am sad",
    "yes",
    "hi",
    "I am great",
    "are you a bot?",
    "good morning",
    "not good",
    "bye",
]


def ensure_bare_bot() -> tuple[Path, float]:
    """`rasa init` bot trained on this machine (cached under var/bench); training seconds."""
    model = next(BARE_BOT_DIR.glob("models/*.tar.gz"), None)
    if model:
        return model, float("nan")
    shutil.rmtree(BARE_BOT_DIR, ignore_errors=True)
    BARE_BOT_DIR.mkdir(parents=True)
    started = time.monotonic()
    subprocess.run(
        [str(RASA_BIN), "init", "--no-prompt", "--init-dir", str(BARE_BOT_DIR)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**coach_env(BARE_BOT_DIR, "sqlite://", 0)},
    )
    return next(BARE_BOT_DIR.glob("models/*.tar.gz")), time.monotonic() - started


async def _patient(
    client: httpx.AsyncClient, url: str, sender: str, turns: list[str], latencies: list[float]
) -> None:
    for text in turns:
        started = time.perf_counter()
        reply = await client.post(
            url, json={"sender": sender, "message": text}, headers=rest_headers(sender)
        )
        reply.raise_for_status()
        if not reply.json():
            raise RuntimeError(f"no reply to {text!r} for {sender}")
        latencies.append(time.perf_counter() - started)


async def drive(rasa_url: str, senders: list[str], turns: list[str]) -> dict[str, float]:
    """All `senders` through `turns` at once; latency percentiles and throughput."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=len(senders) + 5)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        url = f"{rasa_url}/webhooks/rest/webhook"
        started = time.perf_counter()
        await asyncio.gather(*(_patient(client, url, s, turns, latencies) for s in senders))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "messages": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1),
        "messages_per_s": round(len(latencies) / elapsed, 1),
    }


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drive_measured(stack: RasaStack, senders: list[str], turns: list[str]) -> dict:
    """One level's run, with each process's CPU milliseconds per message added."""
    before = {name: cpu_s(p.pid) for name, p in stack.processes.items()}
    result = asyncio.run(drive(stack.rasa_url, senders, turns))
    result["cpu_ms_per_message"] = {
        name: round((cpu_s(p.pid) - before[name]) * 1000 / result["messages"], 1)
        for name, p in stack.processes.items()
    }
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--rounds", type=int, default=2, help="runs per level; best is kept")
    args = parser.parse_args()

    bare_model, bare_training_s = ensure_bare_bot()
    results: dict[str, dict] = {"coach": {}, "bare_rasa_init": {}}
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        workdir = Path(tmp)
        database_url = f"sqlite:///{workdir / 'coach.db'}"
        upgrade(database_url)
        actions_port = free_port()
        coach = RasaStack(
            workdir=workdir,
            env=coach_env(workdir, database_url, actions_port),
            actions_port=actions_port,
        )
        bare_dir = workdir / "bare"
        bare_dir.mkdir()
        bare = RasaStack(
            workdir=bare_dir,
            env=coach_env(bare_dir, "sqlite://", 0),
            project_dir=BARE_BOT_DIR,
            model=bare_model,
        )
        try:
            coach.start_actions()
            coach.start_rasa()
            bare.start_rasa()
            for level in args.levels:
                for name, stack, turns in (
                    ("coach", coach, COACH_TURNS),
                    ("bare_rasa_init", bare, BARE_TURNS),
                ):
                    runs = []
                    for round_ in range(args.rounds):
                        senders = [f"{name}-{level}-{round_}-{i}" for i in range(level)]
                        if name == "coach":
                            for sender in senders:
                                add_patient(database_url, sender)
                        runs.append(drive_measured(stack, senders, turns))
                    results[name][f"{level}_patients"] = max(
                        runs, key=lambda r: r["messages_per_s"]
                    )
            results["coach"]["startup_s"] = {k: round(v, 1) for k, v in coach.startup_s.items()}
            results["bare_rasa_init"]["startup_s"] = {
                k: round(v, 1) for k, v in bare.startup_s.items()
            }
            results["coach"]["peak_rss_mb"] = {
                k: round(v) for k, v in coach.peak_memory_mb().items()
            }
            results["bare_rasa_init"]["peak_rss_mb"] = {
                k: round(v) for k, v in bare.peak_memory_mb().items()
            }
        finally:
            coach.stop()
            bare.stop()
    ratios = {}
    for level in args.levels:
        ours, base = (
            results["coach"][f"{level}_patients"],
            results["bare_rasa_init"][f"{level}_patients"],
        )
        ratios[f"{level}_patients"] = {
            "throughput_ratio": round(ours["messages_per_s"] / base["messages_per_s"], 2),
            "p95_ratio": round(ours["p95_ms"] / base["p95_ms"], 2),
        }
    write_result(
        "chat_latency",
        {
            "goal": "throughput ratio >= 1.0 and p95 ratio <= 1.2 at 10 and 50 patients",
            "bare_bot_training_s": None
            if bare_training_s != bare_training_s
            else round(bare_training_s, 1),
            "results": results,
            "coach_vs_bare": ratios,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
