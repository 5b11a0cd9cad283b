"""Start the coach's servers as real processes (shared by the e2e tests and bench/)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from coach.channels.signing import REST_PURPOSE, sign
from coach.config import REPO_DIR
from coach.scheduler.rasa_client import SENDER_SAFE

# One signing key and one Rasa API token for this test/bench process and the servers it starts.
# The token starts with "-" on purpose: a random token does so one time in 64, and `rasa run`
# must take it as the option's value, never as another option (that once made runs flaky).
os.environ.setdefault("COACH_SECRET_KEY", secrets.token_urlsafe(24))
os.environ.setdefault("RASA_TOKEN", "-" + secrets.token_urlsafe(24))
TOKEN_TTL_S = 24 * 3600

MODEL = REPO_DIR / "models" / "coach.tar.gz"
RASA_BIN = REPO_DIR / ".venv-rasa" / "bin" / "rasa"
APP_PYTHON = REPO_DIR / ".venv" / "bin" / "python"
RASA_START_TIMEOUT_S = 240
ACTIONS_START_TIMEOUT_S = 60
REQUEST_TIMEOUT_S = 60


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout_s: float, process: subprocess.Popen, log: Path) -> float:
    """Wait until `url` answers 200; seconds waited. Raises with the log tail otherwise."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url} not up after {timeout_s} s:\n{log.read_text()[-3000:]}")


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a live process (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def coach_env(workdir: Path, database_url: str, actions_port: int) -> dict[str, str]:
    """Environment for the coach's processes, with all state under `workdir`."""
    return {
        **os.environ,
        "PYTHONPATH": str(REPO_DIR),
        "COACH_HOME": str(workdir),
        "DATABASE_URL": database_url,
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "TRACKER_DB_URL": f"sqlite:///{workdir / 'tracker.db'}",
        "RASA_TELEMETRY_ENABLED": "false",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "CLINIC_DUTY_EMAIL": "duty@clinic.example",  # as `make run` sets it
        # State under `workdir`, whatever the calling shell exports (`make test` sets MEDIA_DIR).
        "MEDIA_DIR": str(workdir / "var" / "media"),
        "SPOOL_DIR": str(workdir / "var" / "spool"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "COACH_SECRET_KEY": os.environ["COACH_SECRET_KEY"],
        "RASA_TOKEN": os.environ["RASA_TOKEN"],
    }


def rest_headers(sender: str) -> dict[str, str]:
    """The REST channel's Authorization header for `sender`."""
    return {"Authorization": f"Bearer {sign(REST_PURPOSE, sender, TOKEN_TTL_S)}"}


@dataclass
class RasaStack:
    """A Rasa server (and optionally our action server) running from `project_dir`."""

    workdir: Path
    env: dict[str, str]
    project_dir: Path = REPO_DIR
    model: Path = MODEL
    rasa_port: int = field(default_factory=free_port)
    actions_port: int | None = None
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    startup_s: dict[str, float] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def _spawn(self, name: str, command: list[str]) -> tuple[subprocess.Popen, Path]:
        log = self.workdir / f"{name}.log"
        with open(log, "ab") as handle:
            process = subprocess.Popen(
                command,
                cwd=self.project_dir,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        self.processes[name] = process
        return process, log

    def start_actions(self) -> None:
        assert self.actions_port is not None
        process, log = self._spawn(
            "actions",
            [
                str(APP_PYTHON),
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "--port",
                str(self.actions_port),
            ],
        )
        url = f"http://127.0.0.1:{self.actions_port}/health"
        self.startup_s["actions"] = wait_http(url, ACTIONS_START_TIMEOUT_S, process, log)

    def stop_actions(self) -> None:
        process = self.processes.pop("actions")
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

    def start_rasa(
        self, endpoints: str = "endpoints.yml", credentials: str = "credentials.yml"
    ) -> None:
        process, log = self._spawn(
            "rasa",
            [
                str(RASA_BIN),
                "run",
                "--enable-api",
                "--interface",
                "127.0.0.1",
                "--port",
                str(self.rasa_port),
                "--model",
                str(self.model),
                "--endpoints",
                endpoints,
                "--credentials",
                credentials,
                f"--auth-token={self.env['RASA_TOKEN']}",
            ],
        )
        self.startup_s["rasa"] = wait_http(
            f"{self.rasa_url}/status?token={self.env['RASA_TOKEN']}",
            RASA_START_TIMEOUT_S,
            process,
            log,
        )

    def peak_memory_mb(self) -> dict[str, float]:
        return {name: peak_rss_mb(p.pid) for name, p in self.processes.items()}

    def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        """Send one message on the REST channel; the bot's replies."""
        reply = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            headers=rest_headers(sender),
            timeout=REQUEST_TIMEOUT_S,
        )
        reply.raise_for_status()
        return reply.json()

    def texts(self, sender: str, text: str) -> list[str]:
        return [m.get("text", "") for m in self.say(sender, text)]

    def tracker(self, sender: str) -> dict[str, Any]:
        return httpx.get(
            f"{self.rasa_url}/conversations/{quote(sender, safe=SENDER_SAFE)}/tracker",
            params={"token": self.env["RASA_TOKEN"]},
            timeout=30,
        ).json()

    def trigger(
        self, sender: str, intent: str, channel: str, entities: dict | None = None
    ) -> dict[str, Any]:
        """Rasa's trigger_intent (with the API token); Rasa's answer."""
        reply = httpx.post(
            f"{self.rasa_url}/conversations/{quote(sender, safe=SENDER_SAFE)}/trigger_intent",
            params={"token": self.env["RASA_TOKEN"], "output_channel": channel},
            json={"name": intent, "entities": entities or {}},
            timeout=REQUEST_TIMEOUT_S * 3,
        )
        reply.raise_for_status()
        return reply.json()

    def stop(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
