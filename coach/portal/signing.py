"""Signed, expiring tokens for portal URLs; each purpose signs with its own derived key."""

from __future__ import annotations

import time
from typing import Any

from coach.config import get_settings
from coach.signing import BadToken, derive_key, seal, unseal
from coach.signing import mac as shared_mac


class BadSignature(Exception):
    """The token was altered, cut off, signed for another purpose, or has expired."""


def purpose_key(purpose: str, secret: str | None = None) -> bytes:
    """A key for one purpose, derived from COACH_SECRET_KEY (HMAC-SHA256 of the label)."""
    root = secret if secret is not None else get_settings().secret_key
    if not root:
        raise RuntimeError("COACH_SECRET_KEY is not set: the portal cannot sign anything")
    return derive_key(root, f"coach-portal:{purpose}")


def mac(purpose: str, message: str) -> str:
    """HMAC-SHA256 of `message` under the purpose's key, URL-safe base64."""
    return shared_mac(purpose_key(purpose), message)


def sign(purpose: str, claims: dict[str, Any], ttl_s: float, *, now: float | None = None) -> str:
    """A token carrying `claims`, valid for `ttl_s` seconds."""
    return seal(purpose_key(purpose), dict(claims, x=int((now or time.time()) + ttl_s)))


def unsign(purpose: str, token: str, *, now: float | None = None) -> dict[str, Any]:
    """The claims of a valid, unexpired token; raises BadSignature otherwise."""
    try:
        claims = unseal(purpose_key(purpose), token)
        expires = int(claims.pop("x"))
    except (BadToken, KeyError, TypeError, ValueError) as exc:
        raise BadSignature(str(exc) or "malformed claims") from exc
    if (now or time.time()) >= expires:
        raise BadSignature("expired")
    return claims
