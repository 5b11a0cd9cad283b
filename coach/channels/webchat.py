"""The web chat's socket.io channel (Rasa env), for the page served by coach.webchat.

A socket connects only with a signed web chat token (`auth: {token}`); the conversation is the
token's sender id, never a session id the client chose, and replies go only to that sender's
own sockets. Sockets may be opened only from WEBCHAT_ORIGINS (no wildcard).
Events: client -> `user_uttered` {message}; server -> `bot_uttered` {text, buttons}.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.channels.socketio import SocketBlueprint
from sanic import Blueprint
from socketio import AsyncServer

from coach.channels.base import CoachInput, CoachOutput, OnNewMessage
from coach.channels.identity import WEBCHAT, channel_of
from coach.channels.settings import channel_settings
from coach.channels.signing import WEBCHAT_PURPOSE, InvalidToken, verify

log = logging.getLogger(__name__)
USER_EVENT = "user_uttered"
BOT_EVENT = "bot_uttered"
SOCKETIO_PATH = "/socket.io"


class WebchatOutput(CoachOutput):
    """Emits each message to the sockets of its recipient (if any is open)."""

    channel_name = WEBCHAT

    def __init__(self, sio: AsyncServer) -> None:
        super().__init__()
        self.sio = sio

    async def deliver(self, message: dict[str, Any]) -> str | None:
        event = {
            "text": message.get("text") or "",
            "buttons": [
                {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                for b in message.get("buttons") or []
            ],
        }
        await self.sio.emit(BOT_EVENT, event, room=str(message.get("recipient_id")))
        return None


class WebchatInput(CoachInput):
    """socket.io at /socket.io, bound to signed web chat tokens."""

    def __init__(self, origins: tuple[str, ...]) -> None:
        super().__init__()
        self.origins = list(origins)
        self.sio: AsyncServer | None = None

    @classmethod
    def name(cls) -> str:
        return WEBCHAT

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WebchatInput:
        return cls(channel_settings().webchat_origins)

    def get_output_channel(self) -> WebchatOutput | None:
        return WebchatOutput(self.sio) if self.sio is not None else None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=self.origins)
        self.sio = sio
        webhook = self.prepare_blueprint(
            SocketBlueprint(sio, SOCKETIO_PATH, "coach_webchat", __name__)
        )

        @sio.on("connect")
        async def connect(sid: str, environ: dict, auth: Any = None) -> bool:
            token = auth.get("token") if isinstance(auth, dict) else None
            try:
                sender = verify(token, WEBCHAT_PURPOSE).subject
            except InvalidToken:
                return False
            if channel_of(sender) != WEBCHAT:
                return False
            await sio.save_session(sid, {"sender": sender})
            await sio.enter_room(sid, sender)
            return True

        @sio.on(USER_EVENT)
        async def user_uttered(sid: str, data: Any) -> None:
            session = await sio.get_session(sid)
            sender = session.get("sender") if session else None
            text = data.get("message") if isinstance(data, dict) else None
            if not sender or not isinstance(text, str):
                return
            await self.handle(on_new_message, text, WebchatOutput(sio), sender)

        return webhook
