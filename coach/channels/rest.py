"""REST channel that never leaves the patient without a reply.

If the bot produced nothing for a message (the action server is down, a lock timed out, an
action crashed), the patient gets `utter_technical_problem` from the domain instead of silence;
a red flag instead gets its advice from the Rasa side and is spooled durably
(`coach.triage.offline_advice`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

from coach.triage.offline_advice import offline_red_flag_replies

log = logging.getLogger(__name__)
DOMAIN_FILE = Path(__file__).resolve().parents[2] / "domain" / "core.yml"
FALLBACK_RESPONSE = "utter_technical_problem"


def technical_problem_text(domain_file: Path = DOMAIN_FILE) -> str:
    """The patient-facing 'try again' text, from the domain."""
    with open(domain_file, encoding="utf-8") as handle:
        responses = yaml.safe_load(handle)["responses"]
    return responses[FALLBACK_RESPONSE][0]["text"]


class GuardedRestInput(RestInput):
    """Rasa's REST channel plus a reply when the bot fails silently (same URL: /webhooks/rest)."""

    def __init__(self) -> None:
        self.fallback_text = technical_problem_text()

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GuardedRestInput:
        return cls()

    def fallback_replies(self, message: UserMessage) -> list[str]:
        """Red-flag advice (escalation spooled) if the message is one, else 'try again'."""
        try:
            advice = offline_red_flag_replies(
                message.text or "", message.input_channel, message.sender_id, message.message_id
            )
        except Exception as error:  # noqa: BLE001 - the patient must still get a reply
            log.error("offline red-flag check failed: %s", error.__class__.__name__)
            advice = []
        return advice or [self.fallback_text]

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def guarded(message: UserMessage) -> None:
            collector = message.output_channel
            try:
                await on_new_message(message)
            except Exception as error:  # noqa: BLE001 - any failure must still get a reply
                log.error("message handling failed: %s", error.__class__.__name__)
            if isinstance(collector, CollectingOutputChannel) and not collector.messages:
                for text in self.fallback_replies(message):
                    await collector.send_text_message(message.sender_id, text)

        return super().blueprint(guarded)
