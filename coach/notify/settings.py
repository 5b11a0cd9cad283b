"""Delivery channel settings, read from environment variables with documented defaults.

| variable | default | meaning |
|---|---|---|
| SMTP_HOST | 127.0.0.1 | SMTP relay |
| SMTP_PORT | 25 | SMTP port |
| SMTP_STARTTLS | 0 | 1 = upgrade the connection with STARTTLS |
| SMTP_USER / SMTP_PASSWORD | (empty) | SMTP login, when the relay needs one |
| SMTP_FROM | coach@localhost | envelope and header sender |
| TWILIO_API_BASE | https://api.twilio.com | Twilio REST API base URL (a fake one in tests) |
| TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN | (empty) | Twilio credentials (SMS disabled if empty) |
| TWILIO_FROM | (empty) | sender number (or `whatsapp:+...`) |
| WEBHOOK_SIGNING_SECRET | (empty: no webhooks) | HMAC-SHA256 key of the webhook signature (*) |
| NOTIFY_TIMEOUT_S | 15 | network timeout of one delivery attempt |

(*) its own key, never COACH_SECRET_KEY: a webhook receiver must not be able to sign
acknowledge links (a production start refuses the two being equal).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_SMTP_HOST = "127.0.0.1"
DEFAULT_SMTP_PORT = 25
DEFAULT_SMTP_FROM = "coach@localhost"
DEFAULT_TWILIO_API_BASE = "https://api.twilio.com"
DEFAULT_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class NotifySettings:
    """Where and how messages leave the system."""

    smtp_host: str
    smtp_port: int
    smtp_starttls: bool
    smtp_user: str
    smtp_password: str
    smtp_from: str
    twilio_api_base: str
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_from: str
    webhook_secret: str
    timeout_s: float


def notify_settings() -> NotifySettings:
    """Read the channel settings from the environment (not cached: tests change env)."""
    env = os.environ.get
    return NotifySettings(
        smtp_host=env("SMTP_HOST", DEFAULT_SMTP_HOST),
        smtp_port=int(env("SMTP_PORT", "") or DEFAULT_SMTP_PORT),
        smtp_starttls=env("SMTP_STARTTLS", "0") == "1",
        smtp_user=env("SMTP_USER", ""),
        smtp_password=env("SMTP_PASSWORD", ""),
        smtp_from=env("SMTP_FROM", DEFAULT_SMTP_FROM),
        twilio_api_base=env("TWILIO_API_BASE", DEFAULT_TWILIO_API_BASE).rstrip("/"),
        twilio_account_sid=env("TWILIO_ACCOUNT_SID", ""),
        twilio_auth_token=env("TWILIO_AUTH_TOKEN", ""),
        twilio_from=env("TWILIO_FROM", ""),
        webhook_secret=env("WEBHOOK_SIGNING_SECRET", ""),
        timeout_s=float(env("NOTIFY_TIMEOUT_S", "") or DEFAULT_TIMEOUT_S),
    )
