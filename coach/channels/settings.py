"""Messaging channel settings, read from environment variables with documented defaults.

Twilio (WhatsApp and SMS; the webhooks answer 503 until the account is set):
  TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN   credentials (empty)
  TWILIO_API_BASE             https://api.twilio.com (a fake one in tests)
  TWILIO_WHATSAPP_FROM        the coach's WhatsApp sender, `whatsapp:+…` (empty)
  TWILIO_SMS_FROM             the coach's SMS number, `+…` (empty)
  TWILIO_MEDIA_HOSTS          api.twilio.com,*.twiliocdn.com: where media may come from
  TWILIO_WEBHOOK_BASE_URL     public base URL Twilio posts to, if a proxy rewrites it (empty)
  TWILIO_STATUS_CALLBACK_URL  delivery reports: `/twilio/status` of the web app (empty)
  WHATSAPP_CONTENT_SIDS       approved templates, `EXTERNAL_daily_checkin=HX…,…` (empty)
Telegram (the webhook answers 503 until token and secret are set):
  TELEGRAM_BOT_TOKEN          the bot's token (empty)
  TELEGRAM_WEBHOOK_SECRET     `secret_token` given to setWebhook, checked on every update
  TELEGRAM_API_BASE           https://api.telegram.org (a fake one in tests)
  TELEGRAM_BOT_USERNAME       for `t.me/<bot>?start=<code>` invite links (empty)
Web chat and REST:
  WEBCHAT_PUBLIC_URL          http://127.0.0.1:8020: where patients open the web chat
  RASA_PUBLIC_URL             http://127.0.0.1:5005: where the page finds socket.io
  WEBCHAT_ORIGINS             origins that may open a web chat socket (default: the page's)
  REST_TOKEN_TTL_DAYS         30: lifetime of a REST token (`coach token rest SENDER`)

Provider limits, keywords and enrolment/consent policy are reviewed content:
`coach/content/channels.yml`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_TWILIO_API_BASE = "https://api.twilio.com"
DEFAULT_TWILIO_MEDIA_HOSTS = "api.twilio.com,*.twiliocdn.com"
DEFAULT_TELEGRAM_API_BASE = "https://api.telegram.org"
DEFAULT_WEBCHAT_PUBLIC_URL = "http://127.0.0.1:8020"
DEFAULT_RASA_PUBLIC_URL = "http://127.0.0.1:5005"
DEFAULT_REST_TOKEN_TTL_DAYS = 30.0
SECONDS_PER_DAY = 86400


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class ChannelSettings:
    """Where the providers are and the secrets to talk to them."""

    twilio_account_sid: str
    twilio_auth_token: str
    twilio_api_base: str
    twilio_whatsapp_from: str
    twilio_sms_from: str
    twilio_media_hosts: tuple[str, ...]
    twilio_webhook_base_url: str
    twilio_status_callback_url: str
    whatsapp_content_sids: dict[str, str]
    telegram_bot_token: str
    telegram_webhook_secret: str
    telegram_api_base: str
    telegram_bot_username: str
    webchat_public_url: str
    rasa_public_url: str
    webchat_origins: tuple[str, ...]
    rest_token_ttl_s: float

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def telegram_configured(self) -> bool:
        return bool(self.telegram_bot_token and self.telegram_webhook_secret)


def channel_settings() -> ChannelSettings:
    """Read the settings from the environment (not cached: tests change it)."""
    env = os.environ.get
    webchat_url = (env("WEBCHAT_PUBLIC_URL", "") or DEFAULT_WEBCHAT_PUBLIC_URL).rstrip("/")
    sids = {}
    for pair in _split(env("WHATSAPP_CONTENT_SIDS", "")):
        intent, _, sid = pair.partition("=")
        if intent.strip() and sid.strip():
            sids[intent.strip()] = sid.strip()
    return ChannelSettings(
        twilio_account_sid=env("TWILIO_ACCOUNT_SID", ""),
        twilio_auth_token=env("TWILIO_AUTH_TOKEN", ""),
        twilio_api_base=(env("TWILIO_API_BASE", "") or DEFAULT_TWILIO_API_BASE).rstrip("/"),
        twilio_whatsapp_from=env("TWILIO_WHATSAPP_FROM", ""),
        twilio_sms_from=env("TWILIO_SMS_FROM", ""),
        twilio_media_hosts=_split(env("TWILIO_MEDIA_HOSTS", "") or DEFAULT_TWILIO_MEDIA_HOSTS),
        twilio_webhook_base_url=env("TWILIO_WEBHOOK_BASE_URL", "").rstrip("/"),
        twilio_status_callback_url=env("TWILIO_STATUS_CALLBACK_URL", ""),
        whatsapp_content_sids=sids,
        telegram_bot_token=env("TELEGRAM_BOT_TOKEN", ""),
        telegram_webhook_secret=env("TELEGRAM_WEBHOOK_SECRET", ""),
        telegram_api_base=(env("TELEGRAM_API_BASE", "") or DEFAULT_TELEGRAM_API_BASE).rstrip("/"),
        telegram_bot_username=env("TELEGRAM_BOT_USERNAME", ""),
        webchat_public_url=webchat_url,
        rasa_public_url=(env("RASA_PUBLIC_URL", "") or DEFAULT_RASA_PUBLIC_URL).rstrip("/"),
        webchat_origins=_split(env("WEBCHAT_ORIGINS", "")) or (origin_of(webchat_url),),
        rest_token_ttl_s=float(env("REST_TOKEN_TTL_DAYS", "") or DEFAULT_REST_TOKEN_TTL_DAYS)
        * SECONDS_PER_DAY,
    )
