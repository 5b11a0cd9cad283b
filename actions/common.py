"""Helpers shared by the actions: who is writing, and a safe database session."""

from __future__ import annotations

import time

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from coach.config import get_settings
from coach.escalation.keys import digest
from coach.storage.db import transaction
from coach.storage.models import Patient
from coach.storage.patients import (
    PatientProfile,
    identity_channel,
    patient_for_sender,
    patient_profile,
)

MAX_TEXT_CHARS = 2000  # longer free text is truncated before it is stored
PROFILE_CACHE_S = 30.0  # a form validation asks for the profile several times per turn
PROFILE_CACHE_MAX = 10_000
_profiles: dict[tuple[str, str | None, str], tuple[float, PatientProfile | None]] = {}


def latest_text(tracker: Tracker) -> str:
    """The raw text of the latest user message ('' when none)."""
    return (tracker.latest_message or {}).get("text") or ""


def submission_key(tracker: Tracker, kind: str) -> str:
    """Idempotency key for what this user message submits (stable across retries); a hash of
    sender and message, so it fits its column and carries no phone number into alert keys."""
    message_id = (tracker.latest_message or {}).get("message_id") or "no-id"
    return f"{kind}:{digest(tracker.get_latest_input_channel(), tracker.sender_id, message_id)}"


def find_patient(tracker: Tracker) -> Patient | None:
    """The enrolled patient behind this conversation, or None."""
    with transaction() as session:
        return patient_for_sender(session, tracker.get_latest_input_channel(), tracker.sender_id)


def find_profile(tracker: Tracker) -> PatientProfile | None:
    """The sender's patient profile, cached for a few seconds (read on every form turn)."""
    channel, sender = tracker.get_latest_input_channel(), tracker.sender_id
    key = (get_settings().database_url, channel, sender)
    now = time.monotonic()
    cached = _profiles.get(key)
    if cached and cached[0] > now:
        return cached[1]
    with transaction() as session:
        profile = patient_profile(session, channel, sender)
    if len(_profiles) > PROFILE_CACHE_MAX:
        _profiles.clear()
    _profiles[key] = (now + PROFILE_CACHE_S, profile)
    return profile


def forget_profile(tracker: Tracker) -> None:
    """Drop the cached profile after this turn changed it (joined, consented, deleted)."""
    channel, sender = tracker.get_latest_input_channel(), tracker.sender_id
    _profiles.pop((get_settings().database_url, channel, sender), None)


def sender_channel(tracker: Tracker) -> str | None:
    """The channel of this conversation (its connector's), None if the tracker disagrees."""
    return identity_channel(tracker.get_latest_input_channel(), tracker.sender_id)


def ask_for_consent(dispatcher: CollectingDispatcher) -> list[EventType]:
    """Tell an enrolled patient who has not agreed yet that their OK is needed, and ask."""
    dispatcher.utter_message(response="utter_consent_needed")
    dispatcher.utter_message(response="utter_consent_request")
    return [SlotSet("consent_topic", "data")]
