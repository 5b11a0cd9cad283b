"""Replay of spooled red flags (written by `coach.escalation.spool`) into the database.

Each record is replayed in its own transaction and deleted only after it committed, so a crash
replays it again (idempotent escalation keys make that harmless). When the database is still
unreachable the run stops and the records wait. A record that cannot be replayed for any other
reason (unreadable, missing fields, rejected by the database) is moved to `quarantine/` and
the clinic's duty inbox is alerted; the records after it are replayed as usual.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from coach.config import get_settings
from coach.escalation.keys import bounded_key
from coach.escalation.raising import EscalationRequest, raise_escalation
from coach.escalation.recipients import Audience
from coach.escalation.red_flag import record_red_flag
from coach.escalation.spool import QUARANTINE, pending_records, spool_escalation, spool_folder

log = logging.getLogger(__name__)
QUARANTINE_KIND = "spool_unreadable"
LEGACY_FILES = ("escalation_spool.jsonl", "escalation_spool.replaying")


@dataclass
class ReplayStats:
    replayed: int = 0
    quarantined: int = 0
    waiting: int = 0


def _unreachable(error: Exception) -> bool:
    """The database is down (try later), as opposed to rejecting this record."""
    return isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and bool(error.connection_invalidated)
    )


def import_legacy_spool() -> int:
    """Move records of the old single-file spool (var/escalation_spool.jsonl) into the folder."""
    moved = 0
    for name in LEGACY_FILES:
        path = get_settings().home / "var" / name
        if not path.exists():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if not line.strip():
                continue
            try:
                spool_escalation(json.loads(line))
            except ValueError:
                bad = spool_folder(QUARANTINE) / f"legacy-{path.stem}-{number}.json"
                bad.write_text(line, encoding="utf-8")
            moved += 1
        path.unlink()
    return moved


def _quarantine(factory: sessionmaker[Session], path: Path, error: Exception) -> bool:
    """Alert the duty inbox, then move the record aside; False if the database is down."""
    reason = type(error).__name__
    request = EscalationRequest(
        kind=QUARANTINE_KIND,
        idempotency_key=bounded_key("spool", path.name),
        evidence={"spool_file": f"{QUARANTINE}/{path.name}", "error": reason},
    )
    try:
        with factory.begin() as session:
            raise_escalation(session, None, request, audience=Audience.DUTY, actor="scheduler")
    except OperationalError:
        return False
    target = spool_folder(QUARANTINE) / path.name
    try:
        os.replace(path, target)
    except FileNotFoundError:
        return True  # another scheduler moved it
    target.with_suffix(".reason").write_text(f"{reason}\n", encoding="utf-8")
    log.critical("spooled red flag %s quarantined (%s); duty inbox alerted", path.name, reason)
    return True


def replay_spool(factory: sessionmaker[Session]) -> int:
    """Replay every pending record; returns how many were written into the database."""
    return replay_spool_stats(factory).replayed


def replay_spool_stats(factory: sessionmaker[Session]) -> ReplayStats:
    """`replay_spool` with the counts of quarantined and still-waiting records."""
    import_legacy_spool()
    stats = ReplayStats()
    records = pending_records()
    for index, path in enumerate(records):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue  # replayed by another scheduler meanwhile
        except ValueError as error:
            if not _quarantine(factory, path, error):
                stats.waiting = len(records) - index
                break
            stats.quarantined += 1
            continue
        try:
            with factory.begin() as session:
                record_red_flag(session, record)
        except IntegrityError:
            continue  # another scheduler wrote the same escalation just now: next run deletes
        except Exception as error:  # any other failure is this record's own
            if _unreachable(error):
                stats.waiting = len(records) - index
                log.warning("database unreachable: %s spooled red flag(s) wait", stats.waiting)
                break
            if not _quarantine(factory, path, error):
                stats.waiting = len(records) - index
                break
            stats.quarantined += 1
            continue
        path.unlink(missing_ok=True)
        stats.replayed += 1
    if stats.replayed:
        log.warning("replayed %s spooled red flag(s) into the database", stats.replayed)
    return stats
