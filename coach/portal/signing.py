"""Signed, expiring tokens for portal URLs; each purpose signs with its own derived key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from coach.config import get_settings


class BadSignature(Exception):
    """The token was altered, cut off, signed for another purpose, or has expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def purpose_key(purpose: str, secret: str | None = None) -> bytes:
    """A key for one purpose, derived from COACH_SECRET_KEY (HMAC-SHA256 of the label)."""
    root = secret if secret is not None else get_settings().secret_key
    if not root:
        raise RuntimeError("COACH_SECRET_KEY is not set: the portal cannot sign anything")
    return hmac.new(root.encode("utf-8"), f"coach-portal:{purpose}".encode(), "sha256").digest()


def mac(purpose: str, message: str) -> str:
    """HMAC-SHA256 of `message` under the purpose's key, URL-safe base64."""
    return _b64(hmac.new(purpose_key(purpose), message.encode("utf-8"), hashlib.sha256).digest())


def sign(purpose: str, claims: dict[str, Any], ttl_s: float, *, now: float | None = None) -> str:
    """A token carrying `claims`, valid for `ttl_s` seconds."""
    body = dict(claims, x=int((now or time.time()) + ttl_s))
    encoded = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{encoded}.{mac(purpose, encoded)}"


def unsign(purpose: str, token: str, *, now: float | None = None) -> dict[str, Any]:
    """The claims of a valid, unexpired token; raises BadSignature otherwise."""
    encoded, _, signature = (token or "").strip().partition(".")
    if not encoded or not signature:
        raise BadSignature("malformed token")
    try:
        expected = mac(purpose, encoded)
    except UnicodeEncodeError as exc:
        raise BadSignature("malformed token") from exc
    if not hmac.compare_digest(expected, signature):
        raise BadSignature("bad signature")
    try:
        claims = json.loads(_unb64(encoded))
        expires = int(claims.pop("x"))
    except (ValueError, KeyError, TypeError) as exc:
        raise BadSignature("malformed claims") from exc
    if (now or time.time()) >= expires:
        raise BadSignature("expired")
    return claims
