"""What every coach connector shares (Rasa env).

`CoachOutput` collects the bot's messages (so `trigger_intent` returns them) and delivers each
one through the provider as it is produced, recording the provider's message id; a provider
refusal raises `DeliveryFailed`, so `trigger_intent` answers 500 and nothing is counted as sent.
`CoachInput.handle` turns a client's text into what Rasa may see (coach.channels.inbound),
runs the turn, and when the bot produced nothing (action server down, a crash) replies with
the red-flag advice if the message is one (its escalation spooled: coach.triage.offline_advice),
else "try again"; it erases conversations the action server asked to erase
(coach.channels.control) once the turn is over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from coach.channels.control import ERASE_KEY, split_control
from coach.channels.erasure import erase_conversations
from coach.channels.inbound import button_payloads, to_rasa_text
from coach.channels.signing import require_secret
from coach.config import REPO_DIR
from coach.triage.offline_advice import offline_red_flag_replies

log = logging.getLogger(__name__)
DOMAIN_FILE = REPO_DIR / "domain" / "core.yml"
FALLBACK_RESPONSE = "utter_technical_problem"
MAX_INBOUND_CHARS = 4000  # a longer message is cut: nobody types more into a chat
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
T = TypeVar("T")


class DeliveryFailed(Exception):
    """The provider did not accept a message (network error or refusal)."""


RETRY_DELAYS_S = (0.5, 2.0)  # a provider's brief overload or network blip: two more tries
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class Retry(Exception):
    """A transient provider failure worth another try (raised inside `with_retries`)."""


async def with_retries(attempt: Callable[[], Awaitable[T]]) -> T:
    """`attempt()`, again after RETRY_DELAYS_S while it raises Retry; then DeliveryFailed."""
    for delay in (*RETRY_DELAYS_S, None):
        try:
            return await attempt()
        except Retry as exc:
            if delay is None:
                raise DeliveryFailed(str(exc)) from exc
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


def technical_problem_text(domain_file: Path = DOMAIN_FILE) -> str:
    """The patient-facing 'try again' text, from the domain."""
    with open(domain_file, encoding="utf-8") as handle:
        responses = yaml.safe_load(handle)["responses"]
    return responses[FALLBACK_RESPONSE][0]["text"]


def is_control(message: dict[str, Any]) -> bool:
    custom = message.get("custom")
    return isinstance(custom, dict) and ERASE_KEY in custom


class CoachOutput(CollectingOutputChannel):
    """Collects every message and hands it to `deliver` (a no-op here: collect only)."""

    channel_name = "collector"

    @classmethod
    def name(cls) -> str:
        return cls.channel_name

    async def _persist_message(self, message: dict[str, Any]) -> None:
        if not is_control(message):
            provider_id = await self.deliver(message)
            if provider_id:
                message["provider_message_id"] = provider_id
        self.messages.append(message)

    async def deliver(self, message: dict[str, Any]) -> str | None:
        """Send one message to the patient; the provider's id for it (None if it has none)."""
        return None

    async def flush(self) -> None:
        """Send what a batching output held back (the turn is over); a no-op here."""


class CoachInput(InputChannel):
    """An input channel that runs turns the coach's way (see the module docstring)."""

    def __init__(self) -> None:
        require_secret()  # refuse to start rather than trust unsigned tokens
        self.fallback_text = technical_problem_text()
        self.allowed_payloads = button_payloads()
        self.app: Sanic | None = None

    def remember_app(self, app: Sanic) -> None:
        """Keep the Sanic app (its agent erases conversations); call from a listener."""
        self.app = app

    def prepare_blueprint(self, webhook: Blueprint) -> Blueprint:
        """Every channel's common routes: the app is remembered at start, GET / answers ok."""

        @webhook.listener("before_server_start")
        async def keep_app(app, _loop) -> None:  # type: ignore[no-untyped-def]
            self.remember_app(app)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        return webhook

    async def handle(
        self,
        on_new_message: OnNewMessage,
        text: str | None,
        output: CoachOutput,
        sender_id: str,
        metadata: dict[str, Any] | None = None,
        *,
        raw: bool = False,
    ) -> list[dict[str, Any]]:
        """Run one turn; the messages the patient got. `raw` = a message the connector made."""
        body = (text or "")[:MAX_INBOUND_CHARS]
        message_text = body if raw else to_rasa_text(body, self.name(), self.allowed_payloads)
        message = UserMessage(
            message_text, output, sender_id, input_channel=self.name(), metadata=metadata
        )
        try:
            await on_new_message(message)
        except Exception as error:  # noqa: BLE001 - any failure must still get a reply
            log.error("message handling failed: %s", error.__class__.__name__)
        shown, erase = split_control(output.messages)
        try:
            if not shown:
                for reply in self.fallback_replies(message):
                    await output.send_text_message(sender_id, reply)
                shown, _ = split_control(output.messages)
            await output.flush()
        except DeliveryFailed as error:
            log.error("the reply could not be delivered: %s", error)
        if erase:
            await self._erase(erase)
        return shown

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

    async def _erase(self, sender_ids: list[str]) -> None:
        agent = getattr(getattr(self.app, "ctx", None), "agent", None) if self.app else None
        if agent is None:
            log.error("cannot erase conversations: the connector has no agent")
            return
        await erase_conversations(agent, sender_ids)
