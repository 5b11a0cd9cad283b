"""Signed, expiring tokens: REST senders, web chat sessions, one-time upload links.

`<payload>.<mac>`, both base64url; the payload is JSON {p: purpose, s: subject, x: expiry (unix
seconds), n: nonce}; the MAC is HMAC-SHA256 under a key derived from COACH_SECRET_KEY for that
purpose alone, so a token made for one purpose never verifies for another. Standard library
only: the Rasa env verifies what the app env signs.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from coach.config import get_settings
from coach.signing import BadToken, derive_key, seal, unseal

REST_PURPOSE = "rest-sender"
WEBCHAT_PURPOSE = "webchat-session"
UPLOAD_PURPOSE = "clip-upload-link"
MIN_SECRET_CHARS = 16


class InvalidToken(Exception):
    """Missing, altered, expired, or made for another purpose."""


class MissingSecret(RuntimeError):
    """COACH_SECRET_KEY is unset or too short: nothing can be signed or trusted."""


@dataclass(frozen=True)
class Claims:
    """What a valid token says."""

    purpose: str
    subject: str
    expires_at: float
    nonce: str


def _key(purpose: str, secret: str | None) -> bytes:
    root = secret if secret is not None else get_settings().secret_key
    if len(root) < MIN_SECRET_CHARS:
        raise MissingSecret(
            f"COACH_SECRET_KEY must be set (at least {MIN_SECRET_CHARS} characters); "
            "`make run` writes a development key to var/secret_key"
        )
    return derive_key(root, f"coach-token:{purpose}")


def require_secret(secret: str | None = None) -> None:
    """Raise MissingSecret now (at start-up) rather than on the first request."""
    _key("check", secret)


def sign(
    purpose: str,
    subject: str,
    ttl_s: float,
    *,
    secret: str | None = None,
    now: float | None = None,
    nonce: str | None = None,
) -> str:
    """A token granting `purpose` to `subject` for `ttl_s` seconds."""
    claims = {
        "p": purpose,
        "s": subject,
        "x": int((now if now is not None else time.time()) + ttl_s),
        "n": nonce if nonce is not None else secrets.token_urlsafe(9),
    }
    return seal(_key(purpose, secret), claims)


def verify(
    token: str | None, purpose: str, *, secret: str | None = None, now: float | None = None
) -> Claims:
    """The claims of a genuine, unexpired `purpose` token; raises InvalidToken otherwise."""
    try:
        claims = unseal(_key(purpose, secret), token)
        parsed = Claims(str(claims["p"]), str(claims["s"]), float(claims["x"]), str(claims["n"]))
    except (BadToken, KeyError, TypeError, ValueError) as exc:
        raise InvalidToken(str(exc) or "malformed claims") from exc
    if parsed.purpose != purpose:
        raise InvalidToken("wrong purpose")
    if (now if now is not None else time.time()) >= parsed.expires_at:
        raise InvalidToken("expired")
    return parsed


def bearer(header: str | None) -> str:
    """The token in an `Authorization: Bearer <token>` header ('' when absent)."""
    scheme, _, token = (header or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""
