"""WhatsApp and SMS through Twilio: input and output channels (Rasa env).

Inbound (POST /webhooks/whatsapp/webhook, /webhooks/sms/webhook, form-encoded as Twilio sends):
the `X-Twilio-Signature` is checked with the `twilio` package's RequestValidator (403 when
missing or wrong: nothing stored or processed); a replayed `MessageSid` is answered but not
processed again; the webhook answers at once with empty TwiML and the turn runs in the
background (clip analysis can outlast Twilio's 15 s webhook timeout). A video (`MediaUrl0`,
`MediaContentType0`) is downloaded with the account's basic auth from Twilio's own media hosts
only, capped while streaming (WhatsApp 16 MB), sniffed, quarantined and named to the bot as
`EXTERNAL_clip_uploaded`; anything else gets the retake message.

Outbound: through Twilio's Messages API, from the number the patient wrote to (or
TWILIO_WHATSAPP_FROM / TWILIO_SMS_FROM for proactive messages), with `whatsapp:` on both From
and To for WhatsApp, and a StatusCallback when TWILIO_STATUS_CALLBACK_URL is set. The reply to a
patient's message goes out as one message per turn (parts separated by a blank line, split only
past Twilio's 1600 characters): one API call, and SMS parts cannot arrive out of order.
Proactive messages (`trigger_intent`) go out one by one as Rasa produces them, so that Rasa's
200 means Twilio accepted them. Buttons become a numbered list; the reply's number or title
picks the button.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from coach.channels.base import (
    RETRYABLE_STATUS,
    CoachInput,
    CoachOutput,
    DeliveryFailed,
    OnNewMessage,
    Retry,
    with_retries,
)
from coach.channels.identity import SMS, WHATSAPP, external_id, make_sender_id
from coach.channels.inbound import clip_message, clip_rejected_message
from coach.channels.media import download_video
from coach.channels.memory import OfferedButtons, RecentIds, join_bodies, render_buttons
from coach.channels.settings import ChannelSettings, channel_settings
from coach.content import load_content
from coach.media.incoming import MediaRejected

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Twilio-Signature"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
API_TIMEOUT = aiohttp.ClientTimeout(total=30)
WHATSAPP_PREFIX = "whatsapp:"
VIDEO_TYPE_PREFIX = "video/"


class TwilioClient:
    """Twilio's Messages API and media downloads, over one aiohttp session."""

    def __init__(self, settings: ChannelSettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()  # created inside the running loop
        return self._session

    @property
    def auth(self) -> aiohttp.BasicAuth:
        return aiohttp.BasicAuth(self.settings.twilio_account_sid, self.settings.twilio_auth_token)

    async def send(self, from_: str, to: str, body: str) -> str:
        """Send one message; its SID. Raises DeliveryFailed when Twilio does not accept it."""
        settings = self.settings
        url = (
            f"{settings.twilio_api_base}/2010-04-01/Accounts/"
            f"{settings.twilio_account_sid}/Messages.json"
        )
        form = {"From": from_, "To": to, "Body": body}
        if settings.twilio_status_callback_url:
            form["StatusCallback"] = settings.twilio_status_callback_url

        async def attempt() -> str:
            try:
                async with self.session.post(
                    url, data=form, auth=self.auth, timeout=API_TIMEOUT
                ) as r:
                    reply = await r.json(content_type=None)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                raise Retry(f"twilio unavailable: {type(exc).__name__}") from exc
            if r.status in RETRYABLE_STATUS:
                raise Retry(f"twilio http {r.status}")
            if r.status not in (200, 201):
                raise DeliveryFailed(f"twilio http {r.status} code {reply.get('code')}")
            return str(reply.get("sid") or "")

        return await with_retries(attempt)


class TwilioOutput(CoachOutput):
    """Sends each message through Twilio (see the module docstring)."""

    channel_name = SMS

    def __init__(
        self,
        client: TwilioClient,
        from_: str,
        offered: OfferedButtons,
        *,
        silent: bool = False,
        batch: bool = False,
    ) -> None:
        super().__init__()
        self.client = client
        self.from_ = from_
        self.offered = offered
        self.silent = silent  # Twilio answered the carrier keyword itself
        self.batch = batch  # hold a turn's messages and send them as one (see flush)
        self._held: list[dict[str, Any]] = []

    def address(self, sender_id: str) -> str:
        """Twilio's `To` for a sender id."""
        number = external_id(sender_id)
        return f"{WHATSAPP_PREFIX}{number}" if self.channel_name == WHATSAPP else number

    async def deliver(self, message: dict[str, Any]) -> str | None:
        if self.batch:
            self._held.append(message)
            return None
        return await self._send([message])

    async def flush(self) -> None:
        held, self._held = self._held, []
        if held:
            sid = await self._send(held)
            if sid:
                held[-1]["provider_message_id"] = sid

    async def _send(self, messages: list[dict[str, Any]]) -> str | None:
        """Send these messages as few Twilio messages as the length limit allows; last SID."""
        recipient = str(messages[-1].get("recipient_id") or "")
        self.offered.offer(recipient, messages[-1].get("buttons"))
        parts = [render_buttons(str(m.get("text") or ""), m.get("buttons")) for m in messages]
        parts = [part for part in parts if part.strip()]
        if self.silent or not parts:
            return None
        if not self.from_:
            raise DeliveryFailed(f"no {self.channel_name} sender number is configured")
        limit = int(load_content("channels")["limits"]["text_max_chars"])
        sid = None
        for body in join_bodies(parts, limit):
            sid = await self.client.send(self.from_, self.address(recipient), body)
        return sid


class WhatsAppOutput(TwilioOutput):
    channel_name = WHATSAPP


class SmsOutput(TwilioOutput):
    channel_name = SMS


class TwilioInput(CoachInput):
    """Shared by WhatsApp and SMS; the subclasses name the channel."""

    output_class: type[TwilioOutput] = SmsOutput
    media_limit_key = "sms_media_max_bytes"

    def __init__(self, settings: ChannelSettings) -> None:
        super().__init__()
        self.settings = settings
        self.client = TwilioClient(settings)
        self.validator = RequestValidator(settings.twilio_auth_token)
        self.seen = RecentIds()
        self.offered = OfferedButtons()

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TwilioInput:
        return cls(channel_settings())

    @property
    def default_from(self) -> str:
        return self.settings.twilio_sms_from

    def get_output_channel(self) -> TwilioOutput:
        return self.output_class(self.client, self.default_from, self.offered)

    def _webhook_url(self, request: Request) -> str:
        base = self.settings.twilio_webhook_base_url
        if not base:
            return request.url
        query = f"?{request.query_string}" if request.query_string else ""
        return f"{base}{request.path}{query}"

    def _sender(self, from_: str) -> str | None:
        """The sender id for Twilio's `From`, None when it is not this channel's."""
        is_whatsapp = from_.startswith(WHATSAPP_PREFIX)
        if is_whatsapp != (self.name() == WHATSAPP) or len(from_) < 4:
            return None
        return make_sender_id(self.name(), from_.removeprefix(WHATSAPP_PREFIX))

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        webhook = self.prepare_blueprint(Blueprint(f"coach_{self.name()}_webhook", __name__))

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.settings.twilio_configured:
                return response.text("channel not configured", status=503)
            # Twilio signs every parameter, blank ones included (Sanic's form drops those).
            params = dict(
                parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
            )
            signature = request.headers.get(SIGNATURE_HEADER, "")
            if not signature or not self.validator.validate(
                self._webhook_url(request), params, signature
            ):
                log.warning("%s webhook: missing or invalid signature", self.name())
                return response.text("invalid signature", status=403)
            sender = self._sender(params.get("From", ""))
            message_sid = params.get("MessageSid", "")
            if sender is None or not message_sid:
                return response.text("not a message for this channel", status=400)
            if self.seen.first_time(message_sid):
                request.app.add_task(self._process(on_new_message, params, sender))
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return webhook

    async def _process(self, on_new_message: OnNewMessage, params: dict, sender: str) -> None:
        output = self.output_class(
            self.client,
            params.get("To") or self.default_from,
            self.offered,
            silent=bool(params.get("OptOutType")),
            batch=True,
        )
        try:
            if int(params.get("NumMedia") or 0) > 0:
                message = await self._receive_video(params)
                await self.handle(on_new_message, message, output, sender, raw=True)
                return
            text = params.get("Body") or ""
            payload = params.get("ButtonPayload") or ""  # a template's quick reply
            if payload in self.allowed_payloads:
                text = payload
            await self.handle(on_new_message, self.offered.answer(sender, text), output, sender)
        except Exception:  # noqa: BLE001 - a background task must log, not vanish
            log.exception("%s message could not be processed", self.name())

    async def _receive_video(self, params: dict) -> str:
        """The bot message for the first media item: the stored clip, or why it was refused."""
        if not (params.get("MediaContentType0") or "").startswith(VIDEO_TYPE_PREFIX):
            return clip_rejected_message("not_a_video")
        limit = int(load_content("channels")["limits"][self.media_limit_key])
        try:
            clip_id = await download_video(
                self.client.session,
                params.get("MediaUrl0") or "",
                max_bytes=limit,
                allowed_hosts=self.settings.twilio_media_hosts,
                auth=self.client.auth,
            )
        except MediaRejected as rejected:
            log.warning("%s media refused: %s", self.name(), rejected.code)
            return clip_rejected_message(rejected.code)
        return clip_message(clip_id)


class WhatsAppInput(TwilioInput):
    """WhatsApp through Twilio: POST /webhooks/whatsapp/webhook."""

    output_class = WhatsAppOutput
    media_limit_key = "whatsapp_media_max_bytes"

    @classmethod
    def name(cls) -> str:
        return WHATSAPP

    @property
    def default_from(self) -> str:
        return self.settings.twilio_whatsapp_from


class SmsInput(TwilioInput):
    """SMS (and US/Canada MMS) through Twilio: POST /webhooks/sms/webhook."""

    output_class = SmsOutput

    @classmethod
    def name(cls) -> str:
        return SMS
