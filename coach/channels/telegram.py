"""Telegram: input channel and its own output channel (Rasa env).

Rasa 3.6's Telegram output calls `asyncio.run` inside the server's running loop, so
`trigger_intent` to it fails; this one talks to the Bot API with aiohttp in that loop.

Inbound (POST /webhooks/telegram/webhook): the `X-Telegram-Bot-Api-Secret-Token` header must
equal TELEGRAM_WEBHOOK_SECRET (403 otherwise: nothing stored or processed); a replayed
`update_id` is acknowledged but not processed again; only private chats are served. A `video`,
round `video_note` or video `document` is fetched with getFile and downloaded from the Bot API
host (bots may download up to 20 MB; the cap holds while streaming), sniffed, quarantined and
named to the bot as `EXTERNAL_clip_uploaded`. `/start <code>` (the invite deep link) joins.
Buttons are inline keyboards; a press arrives as a callback query whose data must be one of the
coach's own button payloads.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

import aiohttp
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from coach.channels.base import (
    RETRYABLE_STATUS,
    CoachInput,
    CoachOutput,
    DeliveryFailed,
    OnNewMessage,
    Retry,
    with_retries,
)
from coach.channels.identity import TELEGRAM, external_id, make_sender_id
from coach.channels.inbound import clip_message, clip_rejected_message, neutralise
from coach.channels.media import download_video
from coach.channels.memory import RecentIds
from coach.channels.settings import ChannelSettings, channel_settings
from coach.content import load_content
from coach.media.incoming import MediaRejected, is_safe_relative_path

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
API_TIMEOUT = aiohttp.ClientTimeout(total=30)
PRIVATE_CHAT = "private"
VIDEO_TYPE_PREFIX = "video/"


class TelegramClient:
    """The Bot API over one aiohttp session."""

    def __init__(self, settings: ChannelSettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def method_url(self, method: str) -> str:
        return f"{self.settings.telegram_api_base}/bot{self.settings.telegram_bot_token}/{method}"

    def file_url(self, file_path: str) -> str:
        base, token = self.settings.telegram_api_base, self.settings.telegram_bot_token
        return f"{base}/file/bot{token}/{file_path}"

    async def call(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        """One Bot API call; its `result`. Raises DeliveryFailed unless Telegram says ok."""

        async def attempt() -> dict[str, Any]:
            try:
                async with self.session.post(
                    self.method_url(method), json=payload, timeout=API_TIMEOUT
                ) as reply:
                    body = await reply.json(content_type=None)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                raise Retry(f"telegram unavailable: {type(exc).__name__}") from exc
            if reply.status in RETRYABLE_STATUS:
                raise Retry(f"telegram http {reply.status}")
            if not isinstance(body, dict) or not body.get("ok"):
                code = body.get("error_code") if isinstance(body, dict) else None
                raise DeliveryFailed(f"telegram {method} refused ({code})")
            return body.get("result") or {}

        return await with_retries(attempt)


def send_message_payload(chat_id: str, message: dict[str, Any]) -> dict[str, Any]:
    """sendMessage parameters for one bot message (buttons as an inline keyboard)."""
    payload: dict[str, Any] = {"chat_id": chat_id, "text": str(message.get("text") or "")}
    buttons = message.get("buttons") or []
    if buttons:
        payload["reply_markup"] = {
            "inline_keyboard": [
                [{"text": str(b["title"]), "callback_data": str(b["payload"])}] for b in buttons
            ]
        }
    return payload


class TelegramOutput(CoachOutput):
    """Sends each message with sendMessage in the server's own loop."""

    channel_name = TELEGRAM

    def __init__(self, client: TelegramClient) -> None:
        super().__init__()
        self.client = client

    async def deliver(self, message: dict[str, Any]) -> str | None:
        if not str(message.get("text") or "").strip():
            return None
        chat_id = external_id(str(message.get("recipient_id") or ""))
        result = await self.client.call("sendMessage", send_message_payload(chat_id, message))
        return str(result.get("message_id") or "")


def _video_of(message: dict[str, Any]) -> dict[str, Any] | None:
    """The video object of a message (video, round video note, or a video file), if any."""
    for key in ("video", "video_note"):
        if isinstance(message.get(key), dict):
            return message[key]
    document = message.get("document")
    if isinstance(document, dict) and str(document.get("mime_type", "")).startswith(
        VIDEO_TYPE_PREFIX
    ):
        return document
    return None


class TelegramInput(CoachInput):
    """POST /webhooks/telegram/webhook (setWebhook with secret_token=TELEGRAM_WEBHOOK_SECRET)."""

    def __init__(self, settings: ChannelSettings) -> None:
        super().__init__()
        self.settings = settings
        self.client = TelegramClient(settings)
        self.seen = RecentIds()

    @classmethod
    def name(cls) -> str:
        return TELEGRAM

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        return cls(channel_settings())

    def get_output_channel(self) -> TelegramOutput:
        return TelegramOutput(self.client)

    def _authentic(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "")
        expected = self.settings.telegram_webhook_secret
        return bool(given) and hmac.compare_digest(given.encode(), expected.encode())

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        webhook = self.prepare_blueprint(Blueprint("coach_telegram_webhook", __name__))

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.settings.telegram_configured:
                return response.text("channel not configured", status=503)
            if not self._authentic(request):
                log.warning("telegram webhook: missing or invalid secret token")
                return response.text("invalid secret token", status=403)
            try:
                update = request.json
            except Exception:  # noqa: BLE001 - Sanic raises its own parse error type
                update = None
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                return response.text("not a Telegram update", status=400)
            if self.seen.first_time(str(update["update_id"])):
                request.app.add_task(self._process(on_new_message, update))
            return response.json({"ok": True})

        return webhook

    async def _process(self, on_new_message: OnNewMessage, update: dict[str, Any]) -> None:
        try:
            await self._dispatch(on_new_message, update)
        except Exception:  # noqa: BLE001 - a background task must log, not vanish
            log.exception("telegram update could not be processed")

    async def _dispatch(self, on_new_message: OnNewMessage, update: dict[str, Any]) -> None:
        callback = update.get("callback_query")
        if isinstance(callback, dict):
            await self._button(on_new_message, callback)
            return
        message = update.get("message")
        if not isinstance(message, dict):
            return  # edits, channel posts, …: nothing to answer
        chat = message.get("chat") or {}
        if chat.get("type") != PRIVATE_CHAT or "id" not in chat:
            return
        sender = make_sender_id(TELEGRAM, str(chat["id"]))
        output = TelegramOutput(self.client)
        video = _video_of(message)
        if video is not None:
            text = await self._receive_video(video)
            await self.handle(on_new_message, text, output, sender, raw=True)
        elif isinstance(message.get("text"), str):
            await self.handle(on_new_message, message["text"], output, sender)
        else:
            await self.handle(
                on_new_message, clip_rejected_message("not_a_video"), output, sender, raw=True
            )

    async def _button(self, on_new_message: OnNewMessage, callback: dict[str, Any]) -> None:
        chat = ((callback.get("message") or {}).get("chat")) or {}
        if chat.get("type") != PRIVATE_CHAT or "id" not in chat:
            return
        try:
            await self.client.call("answerCallbackQuery", {"callback_query_id": callback["id"]})
        except (DeliveryFailed, KeyError) as exc:
            log.warning("telegram callback not acknowledged: %s", exc)
        data = str(callback.get("data") or "")
        text = data if data in self.allowed_payloads else neutralise(data)
        sender = make_sender_id(TELEGRAM, str(chat["id"]))
        await self.handle(on_new_message, text, TelegramOutput(self.client), sender)

    async def _receive_video(self, video: dict[str, Any]) -> str:
        """getFile, then download: the bot message for the stored clip or its refusal."""
        limit = int(load_content("channels")["limits"]["telegram_download_max_bytes"])
        if int(video.get("file_size") or 0) > limit:
            return clip_rejected_message("too_large")
        try:
            found = await self.client.call("getFile", {"file_id": str(video.get("file_id"))})
        except DeliveryFailed as exc:
            log.warning("telegram getFile failed: %s", exc)
            return clip_rejected_message("unavailable")
        path = str(found.get("file_path") or "")
        if int(found.get("file_size") or 0) > limit:
            return clip_rejected_message("too_large")
        if not is_safe_relative_path(path):
            return clip_rejected_message("bad_source")
        url = self.client.file_url(path)
        host = url.split("://", 1)[-1].split("/", 1)[0]
        try:
            clip_id = await download_video(
                self.client.session, url, max_bytes=limit, allowed_hosts=(host,)
            )
        except MediaRejected as rejected:
            log.warning("telegram media refused: %s", rejected.code)
            return clip_rejected_message(rejected.code)
        return clip_message(clip_id)
