"""Replay of spooled red flags (written by `coach.escalation.spool`) into the database."""

from __future__ import annotations

import json
import logging
import os

from sqlalchemy.orm import Session, sessionmaker

from coach.escalation.spool import spool_path
from coach.storage.patients import patient_for_sender
from coach.triage.escalation import EscalationRequest, raise_escalation

log = logging.getLogger(__name__)


def red_flag_request(
    kind: str,
    text: str,
    channel: str | None,
    sender_id: str,
    message_id: str,
    enrolled: bool,
    matched: list[str],
) -> EscalationRequest:
    """The escalation for one red-flag message (same key whether written now or replayed)."""
    return EscalationRequest(
        kind=kind,
        idempotency_key=f"red_flag:{kind}:{channel}:{sender_id}:{message_id}",
        evidence={
            "source": "message",
            "text": text[:1000],
            "matched": matched,
            "channel": channel,
            "sender_id": None if enrolled else sender_id,
        },
    )


def replay_spool(factory: sessionmaker[Session]) -> int:
    """Write spooled red flags as escalations (idempotent); returns how many were replayed.

    The spool is renamed before reading, so records appended meanwhile go to a new file; the
    renamed file is deleted only after its escalations are committed.
    """
    path = spool_path()
    work = path.with_suffix(".replaying")
    if not work.exists():
        if not path.exists():
            return 0
        os.replace(path, work)
    records = [json.loads(line) for line in work.read_text().splitlines() if line.strip()]
    with factory.begin() as session:
        for record in records:
            patient = patient_for_sender(session, record["channel"], record["sender_id"])
            for kind in record["kinds"]:
                raise_escalation(
                    session,
                    patient,
                    red_flag_request(
                        kind,
                        record["text"],
                        record["channel"],
                        record["sender_id"],
                        record["message_id"],
                        patient is not None,
                        record.get("matched", []),
                    ),
                )
    work.unlink()
    if records:
        log.warning("replayed %s spooled red flag(s) into the database", len(records))
    return len(records)
