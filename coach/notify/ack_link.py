"""Signed, expiring acknowledge tokens (HMAC-SHA256 with the coach secret key)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from coach.config import get_settings
from coach.content import load_content

TOKEN_PURPOSE = "ack-escalation"


class InvalidToken(Exception):
    """The token was altered, truncated or signed with another key."""


class ExpiredToken(Exception):
    """The token is genuine but past its expiry; `escalation_id` says which alert it was for."""

    def __init__(self, escalation_id: int) -> None:
        super().__init__(f"acknowledge link for escalation {escalation_id} expired")
        self.escalation_id = escalation_id


@dataclass(frozen=True)
class AckClaim:
    """What a valid token grants: acknowledging one escalation, as one recipient."""

    escalation_id: int
    recipient: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(secret: str | None) -> bytes:
    key = secret if secret is not None else get_settings().secret_key
    if not key:
        raise RuntimeError("COACH_SECRET_KEY is not set: cannot sign acknowledge links")
    return key.encode("utf-8")


def _mac(body: str, secret: str | None) -> str:
    message = f"{TOKEN_PURPOSE}.{body}".encode("ascii")
    return _b64(hmac.new(_key(secret), message, hashlib.sha256).digest())


def default_ttl() -> timedelta:
    """Link lifetime from notifications.yml."""
    return timedelta(hours=float(load_content("notifications")["ack_link"]["ttl_hours"]))


def make_token(
    escalation_id: int,
    recipient: str,
    *,
    now: datetime | None = None,
    ttl: timedelta | None = None,
    secret: str | None = None,
) -> tuple[str, datetime]:
    """A token for acknowledging `escalation_id` as `recipient`, and when it expires."""
    issued = now or datetime.now(timezone.utc)
    expires = issued + (ttl if ttl is not None else default_ttl())
    claim = {"e": escalation_id, "r": recipient, "x": int(expires.timestamp())}
    body = _b64(json.dumps(claim, separators=(",", ":")).encode("utf-8"))
    return f"{body}.{_mac(body, secret)}", expires


def verify_token(token: str, *, now: datetime | None = None, secret: str | None = None) -> AckClaim:
    """The claim inside `token`; raises InvalidToken or ExpiredToken."""
    body, _, signature = token.strip().partition(".")
    if not body or not signature:
        raise InvalidToken("malformed token")
    try:
        expected = _mac(body, secret)
    except UnicodeEncodeError as exc:
        raise InvalidToken("malformed token") from exc
    if not hmac.compare_digest(expected, signature):
        raise InvalidToken("bad signature")
    try:
        claim = json.loads(_unb64(body))
        escalation_id = int(claim["e"])
        recipient = str(claim["r"])
        expires = datetime.fromtimestamp(int(claim["x"]), tz=timezone.utc)
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidToken("malformed claim") from exc
    if (now or datetime.now(timezone.utc)) >= expires:
        raise ExpiredToken(escalation_id)
    return AckClaim(escalation_id, recipient, expires)


def ack_url(base_url: str, token: str) -> str:
    """The link a recipient clicks."""
    return f"{base_url.rstrip('/')}/ack?token={token}"
