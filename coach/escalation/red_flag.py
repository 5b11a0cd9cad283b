"""Record a red-flag message as escalations: live (action server) or replayed (spool)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from coach.escalation.keys import bounded_key, digest
from coach.escalation.raising import EscalationRequest, raise_escalation
from coach.storage.models import Escalation, Patient
from coach.storage.patients import patient_for_sender

TEXT_CHARS = 1000
RECORD_FIELDS = ("kinds", "text", "channel", "sender_id", "message_id", "matched")


def red_flag_request(
    kind: str,
    text: str,
    channel: str | None,
    sender_id: str,
    message_id: str,
    enrolled: bool,
    matched: list[str],
) -> EscalationRequest:
    """The escalation for one red-flag message (same key whether written now or replayed).

    The key holds a hash of (channel, sender, message), never the sender id itself, so it is
    bounded in length and carries no phone number into message headers.
    """
    return EscalationRequest(
        kind=kind,
        idempotency_key=bounded_key("red_flag", kind, digest(channel, sender_id, message_id)),
        evidence={
            "source": "message",
            "text": text[:TEXT_CHARS],
            "matched": matched,
            "channel": channel,
            "sender_id": None if enrolled else sender_id,
        },
    )


def validate_record(record: Any) -> dict[str, Any]:
    """The record if it has every field with the right type; raises ValueError otherwise."""
    if not isinstance(record, dict) or any(field not in record for field in RECORD_FIELDS):
        raise ValueError("spool record lacks fields")
    kinds = record["kinds"]
    if not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds):
        raise ValueError("spool record: kinds must be a non-empty list of names")
    if not isinstance(record["text"], str) or not isinstance(record["sender_id"], str):
        raise ValueError("spool record: text and sender_id must be strings")
    if not isinstance(record["matched"], list):
        raise ValueError("spool record: matched must be a list")
    return record


def record_red_flag(
    session: Session, record: dict[str, Any]
) -> tuple[Patient | None, list[Escalation]]:
    """Raise one escalation per kind in `record` (idempotent): the patient (if known) and the
    escalations."""
    record = validate_record(record)
    channel = record["channel"]
    sender_id = record["sender_id"]
    message_id = str(record["message_id"])
    patient = patient_for_sender(session, channel, sender_id)
    matched = [str(m) for m in record["matched"]]
    escalations = [
        raise_escalation(
            session,
            patient,
            red_flag_request(
                kind, record["text"], channel, sender_id, message_id, patient is not None, matched
            ),
        )
        for kind in record["kinds"]
    ]
    return patient, escalations
