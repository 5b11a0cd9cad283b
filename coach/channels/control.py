"""Control messages from the action server to the connectors (never shown to a patient).

After "delete my data" the action server asks the connector to erase the patient's
conversations from Rasa's tracker store, once the turn is over: a custom JSON message
`{ERASE_KEY: [sender ids]}`. Connectors remove it from what they send.
"""

from __future__ import annotations

from typing import Any

ERASE_KEY = "coach_erase_conversations"


def erase_request(sender_ids: list[str]) -> dict[str, Any]:
    """The custom JSON message that asks the connector to erase these conversations."""
    return {ERASE_KEY: list(sender_ids)}


def split_control(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """(messages for the patient, sender ids whose conversations are to be erased)."""
    shown: list[dict[str, Any]] = []
    erase: list[str] = []
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, dict) and ERASE_KEY in custom:
            erase += [str(s) for s in custom[ERASE_KEY] or []]
        else:
            shown.append(message)
    return shown, erase
