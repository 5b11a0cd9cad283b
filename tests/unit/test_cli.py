"""The `coach` command: pass-through sub-commands get their options, and the dev mailbox that
`make run` starts really receives mail."""

from __future__ import annotations

import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from coach.cli import parse_command
from tests.e2e.stack import free_port

START_TIMEOUT_S = 30


@pytest.mark.parametrize(
    ("argv", "rest"),
    [
        (["dev-mailbox", "--port", "8025"], ["--port", "8025"]),
        (["analyze-clip", "--help"], ["--help"]),
        (["analyze-clip", "clip.mp4", "--json", "out.json"], ["clip.mp4", "--json", "out.json"]),
        (["--database-url", "sqlite://", "escalations", "list"], ["list"]),
        (["scheduler"], []),
    ],
)
def test_pass_through_commands_keep_every_argument(argv: list[str], rest: list[str]) -> None:
    assert parse_command(argv).rest == rest


def test_own_options_still_parsed() -> None:
    args = parse_command(["--database-url", "sqlite://", "chat", "--sender", "x"])
    assert (args.database_url, args.sender) == ("sqlite://", "x")


def _send(port: int) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "coach@test", "ther@test", "hello"
    message.set_content("escalation body")
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                smtp.send_message(message)
            return
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_dev_mailbox_started_like_make_run_saves_mail(tmp_path: Path) -> None:
    port, maildir = free_port(), tmp_path / "mail"
    command = [sys.executable, "-m", "coach.cli", "dev-mailbox", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--maildir", str(maildir)], stderr=subprocess.PIPE, text=True
    )
    try:
        _send(port)
        saved = list((maildir / "new").iterdir())
        assert len(saved) == 1 and "escalation body" in saved[0].read_text()
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=10)
    assert process.returncode == 0, errors
