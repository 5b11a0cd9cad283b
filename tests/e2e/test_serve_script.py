"""`make serve`'s script starts every service, keeps them up, and Ctrl-C stops them all."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from coach.channels.signing import REST_PURPOSE, WEBCHAT_PURPOSE, sign, verify
from coach.config import REPO_DIR
from coach.storage.demo import seed_demo_clinic
from coach.storage.migrate import upgrade
from tests.e2e.conftest import domain_text
from tests.e2e.stack import MODEL, coach_env, free_port

UP_TIMEOUT_S = 240
STOP_TIMEOUT_S = 30
SETTLE_S = 3
UP_LINE = "Press Ctrl-C to stop."
SERVE_KEY = "serve-test-key-0123456789"


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_for_line(process: subprocess.Popen, line: str) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + UP_TIMEOUT_S
    assert process.stdout is not None
    while time.monotonic() < deadline:
        text = process.stdout.readline()
        if not text and process.poll() is not None:
            break
        seen.append(text.rstrip())
        if text.strip() == line:
            return seen
    raise AssertionError("services did not come up:\n" + "\n".join(seen[-30:]))


def test_serve_starts_every_service_and_ctrl_c_stops_them(tmp_path: Path) -> None:
    if not MODEL.exists():
        pytest.fail("models/coach.tar.gz is missing: run `make train` (make test does it)")
    database_url = f"sqlite:///{tmp_path / 'coach.db'}"
    upgrade(database_url)
    seed_demo_clinic(database_url)
    ports = {name: free_port() for name in ("RASA", "ACTIONS", "SMTP", "PORTAL", "WEBCHAT")}
    env = {
        **coach_env(tmp_path, database_url, ports["ACTIONS"]),
        "RASA_PORT": str(ports["RASA"]),
        "ACTIONS_PORT": str(ports["ACTIONS"]),
        "RASA_URL": f"http://127.0.0.1:{ports['RASA']}",
        "SMTP_PORT": str(ports["SMTP"]),
        "PORTAL_PORT": str(ports["PORTAL"]),
        "PORTAL_BASE_URL": f"http://127.0.0.1:{ports['PORTAL']}",
        "CLINIC_DUTY_EMAIL": "duty@clinic.example",
        "MEDIA_DIR": str(tmp_path / "media"),
        "COACH_SECRET_KEY": SERVE_KEY,
        "WEBCHAT_PORT": str(ports["WEBCHAT"]),
    }
    env.pop("RASA_TOKEN", None)
    process = subprocess.Popen(
        ["bash", "scripts/run_services.sh"],
        cwd=REPO_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        printed = "\n".join(_wait_for_line(process, UP_LINE))
        time.sleep(SETTLE_S)  # a service that dies right after start takes the script down
        assert process.poll() is None, printed
        assert f"http://127.0.0.1:{ports['RASA']}/webhooks/rest/webhook" in printed
        rest = f"http://127.0.0.1:{ports['RASA']}/webhooks/rest/webhook"
        hello = {"sender": "demo-patient", "message": "hi"}
        assert httpx.post(rest, json=hello, timeout=60).status_code == 401  # no token
        token = sign(REST_PURPOSE, "demo-patient", 600, secret=SERVE_KEY)
        headers = {"Authorization": f"Bearer {token}"}
        reply = httpx.post(rest, json=hello, headers=headers, timeout=60).json()
        assert reply[0]["text"] == domain_text("utter_greet")  # the seeded patient agreed
        status = f"http://127.0.0.1:{ports['RASA']}/status"
        assert httpx.get(status, timeout=30).status_code == 401  # the API needs its token
        rasa_token = (tmp_path / "var" / "rasa_token").read_text().strip()
        assert httpx.get(status, params={"token": rasa_token}, timeout=30).status_code == 200
        link = next(line.split()[-1] for line in printed.splitlines() if "/chat#t=" in line)
        assert link.startswith(f"http://127.0.0.1:{ports['WEBCHAT']}/chat#t=")
        claims = verify(link.split("#t=", 1)[1], WEBCHAT_PURPOSE, secret=SERVE_KEY)
        assert claims.subject == "webchat:demo-patient"
        assert httpx.get(link.split("#")[0], timeout=30).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{ports['ACTIONS']}/health").status_code == 200
        assert f"http://127.0.0.1:{ports['PORTAL']}/" in printed
        assert "therapist@clinic.example" in printed  # the demo sign-ins are printed
        enrol = f"http://127.0.0.1:{ports['PORTAL']}/enrol"
        assert enrol in printed  # the enrolment page, behind the sign-in
        assert "/login?next=/enrol" in httpx.get(enrol, timeout=10).headers["location"]
        login = httpx.get(f"http://127.0.0.1:{ports['PORTAL']}/login", timeout=10)
        assert login.status_code == 200 and 'name="password"' in login.text
        with smtplib.SMTP("127.0.0.1", ports["SMTP"], timeout=5) as smtp:
            smtp.sendmail("coach@test", ["ther@test"], "Subject: serve-probe\n\nbody")
        saved = (tmp_path / "var" / "mail" / "new").iterdir()
        assert any("Subject: serve-probe" in path.read_text() for path in saved)
        assert (tmp_path / "var" / "log" / "scheduler.log").exists()
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        process.communicate(timeout=STOP_TIMEOUT_S)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while any(_port_open(p) for p in ports.values()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not [name for name, p in ports.items() if _port_open(p)]
