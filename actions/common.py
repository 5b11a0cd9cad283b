"""Helpers shared by the actions: who is writing, and a safe database session."""

from __future__ import annotations

from rasa_sdk import Tracker

from coach.storage.db import transaction
from coach.storage.models import Patient
from coach.storage.patients import patient_for_sender

MAX_TEXT_CHARS = 2000  # longer free text is truncated before it is stored


def latest_text(tracker: Tracker) -> str:
    """The raw text of the latest user message ('' when none)."""
    return (tracker.latest_message or {}).get("text") or ""


def submission_key(tracker: Tracker, kind: str) -> str:
    """Idempotency key for what this user message submits (stable across retries)."""
    message_id = (tracker.latest_message or {}).get("message_id") or "no-id"
    return f"{kind}:{tracker.sender_id}:{message_id}"


def find_patient(tracker: Tracker) -> Patient | None:
    """The enrolled patient behind this conversation, or None."""
    with transaction() as session:
        return patient_for_sender(session, tracker.get_latest_input_channel(), tracker.sender_id)
