"""A local SMTP sink for `make run`: every email the coach sends is saved under var/mail/."""

from __future__ import annotations

import argparse
import signal
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


def main(argv: list[str] | None = None) -> int:
    """Serve SMTP on loopback until SIGINT/SIGTERM, storing messages as a Maildir."""
    parser = argparse.ArgumentParser(prog="coach dev-mailbox")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--maildir", type=Path, default=Path("var/mail"))
    args = parser.parse_args(argv)
    args.maildir.parent.mkdir(parents=True, exist_ok=True)
    controller = Controller(Mailbox(str(args.maildir)), hostname="127.0.0.1", port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set():
        time.sleep(0.5)
    controller.stop()
    return 0
