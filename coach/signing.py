"""Signed tokens, the one mechanism: `<payload>.<mac>`, both base64url, the payload JSON and the
MAC HMAC-SHA256 under a key derived from a root secret and a label. Callers (portal links,
acknowledge links, channel tokens) choose the label, the claims and the expiry rules. Standard
library only: the Rasa environment verifies what the application environment signs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


class BadToken(Exception):
    """The token is malformed, altered, or signed under another key."""


def b64(data: bytes) -> str:
    """URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def unb64(text: str) -> bytes:
    """The bytes of `b64` text (padding restored)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive_key(root: str, label: str) -> bytes:
    """A key for one use, derived from the root secret (HMAC-SHA256 of the label)."""
    return hmac.new(root.encode("utf-8"), label.encode("utf-8"), hashlib.sha256).digest()


def mac(key: bytes, message: str) -> str:
    """HMAC-SHA256 of `message` under `key`, URL-safe base64."""
    return b64(hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest())


def seal(key: bytes, claims: dict[str, Any]) -> str:
    """A token carrying `claims`, signed with `key`."""
    body = b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{body}.{mac(key, body)}"


def unseal(key: bytes, token: str | None) -> dict[str, Any]:
    """The claims of a token signed with `key`; raises BadToken otherwise (expiry is the
    caller's rule)."""
    body, _, signature = (token or "").strip().partition(".")
    if not body or not signature or not body.isascii() or not signature.isascii():
        raise BadToken("malformed token")
    if not hmac.compare_digest(mac(key, body), signature):
        raise BadToken("bad signature")
    try:
        claims = json.loads(unb64(body))
    except ValueError as exc:
        raise BadToken("malformed claims") from exc
    if not isinstance(claims, dict):
        raise BadToken("malformed claims")
    return claims
