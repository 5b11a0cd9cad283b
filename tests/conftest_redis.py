"""A throw-away Redis server for tests (Debian's redis-server on a free loopback port).

`with redis_server() as server: server.port`. Under CI (`CI` / `COACH_REQUIRE_POSTGRES`, set by
`.ci/run`, which also installs redis-server) a missing binary fails the tests that need it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest_postgres import free_port

START_TIMEOUT_S = 30


def missing_reason() -> str | None:
    """Why Redis cannot be started here, or None."""
    if shutil.which("redis-server") is None:
        return "redis-server not found (apt-get install -y redis-server)"
    return None


@dataclass
class RedisServer:
    port: int

    def command(self, *words: str) -> str:
        """One command over RESP, the reply as text (enough for PING / INFO in tests)."""
        request = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(request.encode())
            chunks = b""
            while True:
                chunk = sock.recv(65536)
                chunks += chunk
                if not chunk or self._complete(chunks):
                    break
        return chunks.decode(errors="replace")

    @staticmethod
    def _complete(reply: bytes) -> bool:
        if reply[:1] != b"$":
            return reply.endswith(b"\r\n")
        size = int(reply[1 : reply.index(b"\r\n")])
        return len(reply) >= reply.index(b"\r\n") + 2 + size + 2


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """Start a server for the duration of the block (no persistence); always stopped after."""
    reason = missing_reason()
    if reason:
        raise RuntimeError(reason)
    folder = Path(tempfile.mkdtemp(prefix="coach-redis-"))
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = RedisServer(port)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if "PONG" in server.command("PING"):
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)
