"""Tracker fixtures for action tests (rasa-demo style): a Tracker built from a plain dict."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from coach.config import REPO_DIR


def make_tracker(
    sender_id: str,
    text: str = "",
    *,
    intent: str = "inform",
    slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
    requested_slot: str | None = None,
    message_id: str = "m1",
    just_set: dict[str, Any] | None = None,
    channel: str = "rest",
) -> Tracker:
    """A tracker whose latest message is `text` on `channel` (REST unless told).

    `just_set` are slots the form extracted from this message (what a validation action checks).
    """
    slot_values = dict(slots or {})
    slot_values.update(just_set or {})
    if requested_slot:
        slot_values["requested_slot"] = requested_slot
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": [],
        "message_id": message_id,
    }
    return Tracker(
        sender_id=sender_id,
        slots=slot_values,
        latest_message=latest,
        events=[{"event": "user", "text": text, "input_channel": channel, "parse_data": latest}]
        + [{"event": "slot", "name": k, "value": v} for k, v in (just_set or {}).items()],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The merged domain (slots, forms, responses) as the action server receives it."""
    merged: dict[str, Any] = {"slots": {}, "forms": {}, "responses": {}}
    for path in sorted((REPO_DIR / "domain").glob("*.yml")):
        part = yaml.safe_load(path.read_text())
        for key in merged:
            merged[key].update(part.get(key) or {})
    return merged
