"""The three ways a message leaves the system: SMTP email, Twilio SMS, signed webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import httpx

from coach.notify.render import Rendered
from coach.notify.settings import NotifySettings

IDEMPOTENCY_HEADER = "X-Coach-Idempotency-Key"
SIGNATURE_HEADER = "X-Coach-Signature"
TIMESTAMP_HEADER = "X-Coach-Timestamp"
RETRYABLE_HTTP = frozenset({408, 409, 425, 429})


class DeliveryError(Exception):
    """A failed attempt; `permanent` ones are dead-lettered at once instead of retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def message_id(idempotency_key: str, sender: str) -> str:
    """A stable RFC 5322 Message-ID for one idempotency key (same key → same id)."""
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]}@{domain}>"


def build_email(
    rendered: Rendered, to: str, idempotency_key: str, settings: NotifySettings
) -> EmailMessage:
    """A text + HTML email carrying the idempotency key as Message-ID and header."""
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Subject"] = rendered.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(idempotency_key, settings.smtp_from)
    msg[IDEMPOTENCY_HEADER] = idempotency_key
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


def send_email(rendered: Rendered, to: str, idempotency_key: str, settings: NotifySettings) -> None:
    """Deliver one email through the SMTP relay; raises DeliveryError."""
    msg = build_email(rendered, to, idempotency_key, settings)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_s) as s:
            if settings.smtp_starttls:
                s.starttls()
            if settings.smtp_user:
                s.login(settings.smtp_user, settings.smtp_password)
            s.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        permanent = all(c >= 500 for c in codes)
        raise DeliveryError(f"recipient refused {codes}", permanent=permanent) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"smtp {exc.smtp_code}", permanent=exc.smtp_code >= 500) from exc
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"smtp unavailable: {type(exc).__name__}") from exc


def _http_error(response: httpx.Response, what: str) -> DeliveryError:
    code = response.status_code
    permanent = 400 <= code < 500 and code not in RETRYABLE_HTTP
    return DeliveryError(f"{what} http {code}", permanent=permanent)


def send_sms(rendered: Rendered, to: str, settings: NotifySettings) -> str:
    """Send one SMS/WhatsApp message via Twilio's Messages API; returns the message SID."""
    if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from):
        raise DeliveryError("twilio is not configured", permanent=True)
    url = (
        f"{settings.twilio_api_base}/2010-04-01/Accounts/"
        f"{settings.twilio_account_sid}/Messages.json"
    )
    try:
        response = httpx.post(
            url,
            data={"To": to, "From": settings.twilio_from, "Body": rendered.text},
            auth=(settings.twilio_account_sid, settings.twilio_auth_token),
            timeout=settings.timeout_s,
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"twilio unavailable: {type(exc).__name__}") from exc
    if response.status_code not in (200, 201):
        raise _http_error(response, "twilio")
    try:
        return str(response.json().get("sid", ""))
    except ValueError:
        return ""


def sign_webhook(body: bytes, timestamp: str, secret: str) -> str:
    """`v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`, the value of the signature header."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"v1={digest.hexdigest()}"


def send_webhook(
    payload: dict[str, Any], url: str, idempotency_key: str, settings: NotifySettings
) -> None:
    """POST the JSON payload with an HMAC-SHA256 signature and the idempotency key."""
    if not settings.webhook_secret:
        raise DeliveryError("no webhook signing secret", permanent=True)
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign_webhook(body, timestamp, settings.webhook_secret),
        "Idempotency-Key": idempotency_key,
    }
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=settings.timeout_s)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook unavailable: {type(exc).__name__}") from exc
    if not 200 <= response.status_code < 300:
        raise _http_error(response, "webhook")
