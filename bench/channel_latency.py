"""Webhook-to-reply latency through the Twilio (WhatsApp) channel vs the REST channel, same
stack, same run.

N simulated patients (default 10 and 50) each do the full daily check-in (9 turns) at once,
first on REST, then on WhatsApp. REST: a turn's latency is its HTTP round trip (all replies in
the response). WhatsApp: from the signed webhook POST (answered at once with empty TwiML) until
the fake Twilio API (its own process, like a remote API) receives the coach's reply, sent by the
connector through Twilio's Messages API. Both clients are async and single-threaded. Goal:
WhatsApp p95 at most 1.2x REST's. Writes bench/results/channel_latency.json.

Run: .venv/bin/python bench/channel_latency.py [--levels 10 50] [--rounds 1]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import write_result  # noqa: E402
from bench._fake_twilio import RemoteTwilio  # noqa: E402
from coach.storage.migrate import upgrade  # noqa: E402
from tests.conftest import add_patient  # noqa: E402
from tests.e2e.conftest import channel_env  # noqa: E402
from tests.e2e.journey import CHECKIN_ANSWERS  # noqa: E402
from tests.e2e.stack import RasaStack, coach_env, free_port, rest_headers  # noqa: E402
from tests.fakes.telegram import FakeTelegram  # noqa: E402

TIMEOUT_S = 300


def _summary(latencies: list[float], elapsed: float) -> dict[str, float]:
    latencies = sorted(latencies)
    return {
        "messages": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1),
        "messages_per_s": round(len(latencies) / elapsed, 1),
    }


def _check(reply_text: str, expected: str | None, wrong: list) -> None:
    """Count a reply that is not the expected next question (e.g. "try again")."""
    if expected and expected not in reply_text:
        wrong.append(reply_text[:80])


async def _rest_patient(
    client: httpx.AsyncClient, url: str, sender: str, out: list, wrong: list
) -> None:
    for text, question in CHECKIN_ANSWERS:
        started = time.monotonic()
        reply = await client.post(
            url, json={"sender": sender, "message": text}, headers=rest_headers(sender)
        )
        reply.raise_for_status()
        out.append(time.monotonic() - started)
        _check("\n\n".join(m.get("text", "") for m in reply.json()), question, wrong)


async def _whatsapp_patient(
    client: httpx.AsyncClient, phone: str, out: list, wrong: list, *, twilio: RemoteTwilio, url: str
) -> None:
    for text, question in CHECKIN_ANSWERS:
        after = await twilio.count(client, phone)
        started = await RemoteTwilio.send(client, url, phone, text)
        message = await twilio.wait(client, phone, after, "", TIMEOUT_S)  # a turn = 1 message
        out.append(message["received_at"] - started)
        _check(message["Body"], question, wrong)


def drive(patients: list, make: Any) -> dict[str, Any]:
    """All patients at once (`make(client, patient, latencies, wrong)`); latency summary and
    the replies that were not the expected question."""
    latencies: list[float] = []
    wrong: list[str] = []

    async def go() -> float:
        limits = httpx.Limits(max_connections=2 * len(patients) + 5)
        async with httpx.AsyncClient(timeout=TIMEOUT_S, limits=limits) as client:
            started = time.monotonic()
            await asyncio.gather(*(make(client, p, latencies, wrong) for p in patients))
            return time.monotonic() - started

    return {**_summary(latencies, asyncio.run(go())), "unexpected_replies": len(wrong)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--rounds", type=int, default=1, help="runs per level; best p95 kept")
    args = parser.parse_args()
    results: dict[str, dict] = {"rest": {}, "whatsapp": {}}
    telegram = FakeTelegram()
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        workdir = Path(tmp)
        twilio = RemoteTwilio(workdir)
        database_url = f"sqlite:///{workdir / 'coach.db'}"
        upgrade(database_url)
        actions_port = free_port()
        stack = RasaStack(
            workdir=workdir,
            env=coach_env(workdir, database_url, actions_port),
            actions_port=actions_port,
        )
        stack.env.update(channel_env(stack.rasa_url, "http://127.0.0.1:9", twilio, telegram))
        stack.env["TWILIO_STATUS_CALLBACK_URL"] = ""
        try:
            stack.start_actions()
            stack.start_rasa()
            url = f"{stack.rasa_url}/webhooks/whatsapp/webhook"
            for level in args.levels:
                for round_ in range(args.rounds):
                    senders = [f"rest-{level}-{round_}-{i}" for i in range(level)]
                    phones = [f"whatsapp:+4477{level:03d}{round_}{i:04d}" for i in range(level)]
                    for sender in senders:
                        add_patient(database_url, sender)
                    for phone in phones:
                        add_patient(database_url, phone, channel="whatsapp")
                    rest_url = f"{stack.rasa_url}/webhooks/rest/webhook"
                    runs = {
                        "rest": drive(
                            senders,
                            lambda c, s, out, bad, u=rest_url: _rest_patient(c, u, s, out, bad),
                        ),
                        "whatsapp": drive(
                            phones, partial(_whatsapp_patient, twilio=twilio, url=url)
                        ),
                    }
                    for name, run in runs.items():
                        best = results[name].get(f"{level}_patients")
                        if best is None or run["p95_ms"] < best["p95_ms"]:
                            results[name][f"{level}_patients"] = run
            results["peak_rss_mb"] = {k: round(v) for k, v in stack.peak_memory_mb().items()}
        except Exception:
            for name in ("rasa", "actions"):  # what the servers said, before the folder goes
                print(f"--- {name}.log ---\n" + (workdir / f"{name}.log").read_text()[-6000:])
            raise
        finally:
            stack.stop()
            twilio.close()
            telegram.close()
    ratios = {
        f"{level}_patients": round(
            results["whatsapp"][f"{level}_patients"]["p95_ms"]
            / results["rest"][f"{level}_patients"]["p95_ms"],
            2,
        )
        for level in args.levels
    }
    write_result(
        "channel_latency",
        {
            "goal": "WhatsApp (Twilio) webhook-to-reply p95 <= 1.2x REST p95 at 10 and 50 patients",
            "turns_per_patient": len(CHECKIN_ANSWERS),
            "note": "messages_per_s counts each client's own round trips (sequential per "
            "patient; WhatsApp adds two to the fake API per turn): compare p95, not throughput",
            "results": results,
            "whatsapp_p95_over_rest_p95": ratios,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
