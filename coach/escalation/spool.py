"""Durable fallback for red flags that could not reach the database (stdlib only).

Importable from both environments: the action server (app env) and the Rasa server (whose
SQLAlchemy is 1.4) call `spool_escalation(record)` when the database or the action server is
unreachable; the scheduler replays the records (`coach.escalation.replay.replay_spool`).

Storage: one JSON file per record under SPOOL_DIR (default `$COACH_HOME/var/spool`), written
like a Maildir: into `tmp/`, fsynced, then renamed into `new/` (atomic), so a reader never sees
half a record and one bad record never hides the others. Records that cannot be replayed are
moved to `quarantine/`. In a multi-container deployment SPOOL_DIR must be a volume shared by
the action server, the Rasa server and the scheduler (docker-compose.yml mounts `spool`).

A record: kinds (list of red-flag kinds), text, channel, sender_id, message_id, matched.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from coach.config import get_settings

FOLDER_MODE = 0o700
FILE_MODE = 0o600
TMP, NEW, QUARANTINE = "tmp", "new", "quarantine"
SUFFIX = ".json"


def spool_dir() -> Path:
    """The spool folder (SPOOL_DIR)."""
    return get_settings().spool_dir


def spool_folder(name: str) -> Path:
    """`tmp`, `new` or `quarantine` inside the spool, created private if missing."""
    folder = spool_dir() / name
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    return folder


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def spool_escalation(record: dict[str, Any]) -> Path:
    """Write one record durably (write, fsync, rename, fsync the folder); returns its path."""
    name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
    temp = spool_folder(TMP) / name
    final = spool_folder(NEW) / name
    data = json.dumps(record, sort_keys=True).encode("utf-8")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(temp, final)
    _fsync_dir(final.parent)
    return final


def pending_records() -> list[Path]:
    """Records waiting for replay, oldest first."""
    return sorted(spool_folder(NEW).glob(f"*{SUFFIX}"))


def spooled_records() -> list[dict[str, Any]]:
    """The pending records' contents (for operators and tests)."""
    return [json.loads(path.read_text(encoding="utf-8")) for path in pending_records()]
