"""REST channel for the terminal chat, tests and trusted integrations (URL unchanged:
POST /webhooks/rest/webhook {"sender": ..., "message": ...}).

Every request needs `Authorization: Bearer <token>`, a token signed for exactly that sender
(`coach token rest SENDER`; the terminal chat makes its own). The sender may not use another
channel's namespace (`whatsapp:…`, `telegram:…`, …). A failure still gets a reply (see
coach.channels.base: red-flag advice from the Rasa side, else "try again").
"""

from __future__ import annotations

import logging
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from coach.channels.base import CoachInput, CoachOutput, OnNewMessage
from coach.channels.identity import REST, channel_of
from coach.channels.signing import REST_PURPOSE, InvalidToken, bearer, verify

log = logging.getLogger(__name__)
MAX_SENDER_CHARS = 128


class RestOutput(CoachOutput):
    """Collect-only: the replies go back in the HTTP response (and `trigger_intent`'s)."""

    channel_name = REST


class GuardedRestInput(CoachInput):
    """Token-guarded REST channel that never leaves the sender without a reply."""

    @classmethod
    def name(cls) -> str:
        return REST

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GuardedRestInput:
        return cls()

    def get_output_channel(self) -> RestOutput:
        return RestOutput()

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        webhook = self.prepare_blueprint(Blueprint("coach_rest_webhook", __name__))

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json if isinstance(request.json, dict) else {}
            sender = str(body.get("sender") or "")
            try:
                claims = verify(bearer(request.headers.get("Authorization")), REST_PURPOSE)
            except InvalidToken:
                return response.json({"error": "a valid token for this sender is needed"}, 401)
            if not sender or len(sender) > MAX_SENDER_CHARS or claims.subject != sender:
                return response.json({"error": "a valid token for this sender is needed"}, 401)
            if channel_of(sender) != REST:
                return response.json({"error": "that sender id belongs to another channel"}, 403)
            output = RestOutput()
            messages = await self.handle(on_new_message, body.get("message"), output, sender)
            return response.json(messages)

        return webhook
