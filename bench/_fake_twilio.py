"""The fake Twilio in its own process (a remote API does not share the benchmark's CPU time or
GIL), driven over HTTP: signed webhooks in, `/_test/wait` for what the coach sent."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.stack import APP_PYTHON, coach_env  # noqa: E402
from tests.fakes.twilio import inbound_request  # noqa: E402


class RemoteTwilio:
    """`python -m tests.fakes.twilio` as a subprocess."""

    def __init__(self, workdir: Path) -> None:
        self.process = subprocess.Popen(
            [str(APP_PYTHON), "-m", "tests.fakes.twilio"],
            cwd=REPO,
            env=coach_env(workdir, "sqlite://", 0),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        self.port = int(urlsplit(self.url).port or 0)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    async def count(self, client: httpx.AsyncClient, to: str) -> int:
        reply = await client.get(f"{self.url}/_test/count", params={"to": to})
        return int(reply.json()["count"])

    async def wait(
        self, client: httpx.AsyncClient, to: str, after: int, text: str, timeout_s: float
    ) -> dict:
        """The first message to `to` after its `after`-th containing `text` (long poll)."""
        params = {"to": to, "after": after, "text": text, "timeout": timeout_s}
        reply = await client.get(f"{self.url}/_test/wait", params=params, timeout=timeout_s + 30)
        reply.raise_for_status()
        return reply.json()

    def add_media(self, data: bytes, content_type: str) -> str:
        reply = httpx.post(
            f"{self.url}/_test/media", content=data, headers={"Content-Type": content_type}
        )
        return str(reply.json()["url"])

    @staticmethod
    async def send(client: httpx.AsyncClient, webhook: str, phone: str, text: str, **kw) -> float:
        """POST a signed inbound message; the monotonic time it was sent."""
        params, headers = inbound_request(webhook, phone, text, **kw)
        started = time.monotonic()
        (await client.post(webhook, data=params, headers=headers)).raise_for_status()
        return started
