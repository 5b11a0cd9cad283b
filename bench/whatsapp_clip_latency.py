"""A 10 s 720p selfie clip sent as a WhatsApp video through the fake Twilio API, 4 patients at
once: from the signed webhook POST to the analysis reply arriving at Twilio's Messages API
(download with basic auth and redirect, cap, sniff, quarantine, validation, Face Mesh analysis
in the action server's process pool, storage, reply). Goal: p95 <= 5 s on this machine.
Writes bench/results/whatsapp_clip_latency.json.

Run: .venv/bin/python bench/whatsapp_clip_latency.py [--rounds 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import write_result  # noqa: E402
from bench._fake_twilio import RemoteTwilio  # noqa: E402
from coach.storage.db import transaction  # noqa: E402
from coach.storage.migrate import upgrade  # noqa: E402
from coach.storage.models import ClipAnalysis  # noqa: E402
from tests.clips import clip_factory as cf  # noqa: E402
from tests.conftest import add_patient  # noqa: E402
from tests.e2e.conftest import channel_env  # noqa: E402
from tests.e2e.stack import RasaStack, coach_env, free_port  # noqa: E402
from tests.fakes.telegram import FakeTelegram  # noqa: E402
from tests.fakes.twilio import MEDIA_CONTENT_TYPE  # noqa: E402

CONCURRENT = 4
SIZE = (1280, 720)
FPS = 30.0
SECONDS = 10.0
TIMEOUT_S = 600
GOAL_P95_S = 5.0


def make_clips(folder: Path) -> list[bytes]:
    """Four different 10 s 720p protocol clips (different smile strengths: different bytes)."""
    clips = []
    for index in range(CONCURRENT):
        protocol = cf.protocol(smile_corner=(0.08 + 0.01 * index, 0.05))
        path = cf.protocol_clip(
            folder / f"clip{index}.mp4", protocol, size=SIZE, fps=FPS, duration=SECONDS
        )
        clips.append(path.read_bytes())
    return clips


async def one(
    client: httpx.AsyncClient, twilio: RemoteTwilio, url: str, phone: str, media: str
) -> float:
    after = await twilio.count(client, phone)
    started = await RemoteTwilio.send(client, url, phone, "", media=[(media, MEDIA_CONTENT_TYPE)])
    reply = await twilio.wait(client, phone, after, "", TIMEOUT_S)
    return reply["received_at"] - started


async def at_once(twilio: RemoteTwilio, url: str, phones: list[str], media: list[str]) -> list:
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
        return list(
            await asyncio.gather(
                *(one(client, twilio, url, p, m) for p, m in zip(phones, media, strict=True))
            )
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="CLIP_WORKERS of the action server")
    args = parser.parse_args()
    telegram = FakeTelegram()
    latencies: list[float] = []
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        workdir = Path(tmp)
        clips = make_clips(workdir)
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
        stack.env.update({"TWILIO_STATUS_CALLBACK_URL": "", "CLIP_WORKERS": str(args.workers)})
        url = f"{stack.rasa_url}/webhooks/whatsapp/webhook"
        try:
            stack.start_actions()
            stack.start_rasa()
            for round_ in range(args.rounds + 1):  # round 0 warms the pool up, not counted
                phones = [f"whatsapp:+4478{round_:02d}00{i:04d}" for i in range(CONCURRENT)]
                for phone in phones:
                    add_patient(database_url, phone, channel="whatsapp")
                media = [twilio.add_media(data, MEDIA_CONTENT_TYPE) for data in clips]
                got = asyncio.run(at_once(twilio, url, phones, media))
                if round_:
                    latencies += got
            with transaction(database_url) as session:
                analysed = len(session.query(ClipAnalysis).all())
            peak = {k: round(v) for k, v in stack.peak_memory_mb().items()}
        finally:
            stack.stop()
            twilio.close()
            telegram.close()
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    write_result(
        "whatsapp_clip_latency",
        {
            "goal": f"webhook to analysis reply p95 <= {GOAL_P95_S} s with {CONCURRENT} at once",
            "clip": {
                "width": SIZE[0],
                "height": SIZE[1],
                "fps": FPS,
                "seconds": SECONDS,
                "codec": "mp4v",
                "bytes": [len(c) for c in clips],
            },
            "clip_workers": args.workers,
            "samples": len(latencies),
            "clips_analysed": analysed,
            "p50_s": round(statistics.median(latencies), 2),
            "p95_s": round(p95, 2),
            "max_s": round(latencies[-1], 2),
            "met": p95 <= GOAL_P95_S,
            "peak_rss_mb": peak,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
