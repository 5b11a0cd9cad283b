"""Real Rasa server and action server processes on loopback, once per test session."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from coach.config import REPO_DIR
from coach.storage.migrate import upgrade

MODEL = REPO_DIR / "models" / "coach.tar.gz"
RASA_START_TIMEOUT_S = 240
ACTIONS_START_TIMEOUT_S = 60
REQUEST_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def domain_text(response: str) -> str:
    """The first text variant of a domain response."""
    for path in (REPO_DIR / "domain").glob("*.yml"):
        responses = yaml.safe_load(path.read_text()).get("responses") or {}
        if response in responses:
            return responses[response][0]["text"]
    raise KeyError(response)


@dataclass
class CoachServers:
    """Handles on the running servers, their logs, and the database they use."""

    workdir: Path
    database_url: str
    rasa_url: str
    actions_port: int
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start_actions(self) -> None:
        log = open(self.workdir / "actions.log", "ab")
        self.processes["actions"] = subprocess.Popen(
            [str(REPO_DIR / ".venv/bin/python"), "-m", "rasa_sdk", "--actions", "actions",
             "--port", str(self.actions_port)],
            cwd=REPO_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        _wait_http(f"http://127.0.0.1:{self.actions_port}/health", ACTIONS_START_TIMEOUT_S,
                   self.processes["actions"], self.workdir / "actions.log")

    def stop_actions(self) -> None:
        process = self.processes.pop("actions")
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

    def start_rasa(self, rasa_port: int) -> None:
        log = open(self.workdir / "rasa.log", "ab")
        self.processes["rasa"] = subprocess.Popen(
            [str(REPO_DIR / ".venv-rasa/bin/rasa"), "run", "--enable-api", "--interface",
             "127.0.0.1", "--port", str(rasa_port), "--model", str(MODEL), "--endpoints",
             "endpoints.yml", "--credentials", "credentials.yml"],
            cwd=REPO_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        _wait_http(f"{self.rasa_url}/status", RASA_START_TIMEOUT_S, self.processes["rasa"],
                   self.workdir / "rasa.log")

    def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        """Send one message on the REST channel; the bot's replies."""
        reply = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=REQUEST_TIMEOUT_S,
        )
        reply.raise_for_status()
        return reply.json()

    def texts(self, sender: str, text: str) -> list[str]:
        return [m.get("text", "") for m in self.say(sender, text)]

    def tracker(self, sender: str) -> dict[str, Any]:
        return httpx.get(f"{self.rasa_url}/conversations/{sender}/tracker", timeout=30).json()


def _wait_http(url: str, timeout_s: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} process exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not up after {timeout_s} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def coach_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoachServers]:
    if not MODEL.exists():
        pytest.fail("models/coach.tar.gz is missing: run `make train` (make test does it)")
    workdir = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{workdir / 'coach.db'}"
    upgrade(database_url)
    rasa_port, actions_port = free_port(), free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_DIR),
        "COACH_HOME": str(workdir),
        "DATABASE_URL": database_url,
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "TRACKER_DB_URL": f"sqlite:///{workdir / 'tracker.db'}",
        "RASA_TELEMETRY_ENABLED": "false",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    servers = CoachServers(
        workdir, database_url, f"http://127.0.0.1:{rasa_port}", actions_port, env
    )
    try:
        servers.start_actions()
        servers.start_rasa(rasa_port)
        yield servers
    finally:
        for process in servers.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in servers.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
