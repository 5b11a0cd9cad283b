"""Durable fallback for red flags that could not reach the database (stdlib only).

Importable from both environments: the action server (app env) and the Rasa server (whose
SQLAlchemy is 1.4) write here when the database or the action server is unreachable; the
scheduler replays the records (`coach.triage.spool.replay_spool`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from coach.config import get_settings


def spool_path() -> Path:
    """The append-only spool file under the private var/ folder."""
    return get_settings().home / "var" / "escalation_spool.jsonl"


def spool_escalation(record: dict[str, Any]) -> Path:
    """Append one record and fsync it, so an outage never loses a red flag.

    `record`: kinds (list of red-flag kinds), text, channel, sender_id, message_id, matched.
    """
    path = spool_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return path
