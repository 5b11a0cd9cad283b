"""Idempotency keys: stable, bounded in length, and free of sender ids (no PHI in headers)."""

from __future__ import annotations

import hashlib

# Escalation keys fit escalation.idempotency_key (160) with room for the notification suffix
# within notification.idempotency_key (200).
MAX_KEY_CHARS = 120
DIGEST_CHARS = 40
SEPARATOR = ":"


def digest(*parts: object) -> str:
    """A short, stable hash of `parts` (for values that must not appear in a key verbatim)."""
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:DIGEST_CHARS]


def bounded_key(*parts: object) -> str:
    """`parts` joined by ':'; when longer than MAX_KEY_CHARS, the first part + a hash of all."""
    key = SEPARATOR.join("" if p is None else str(p) for p in parts)
    if len(key) <= MAX_KEY_CHARS:
        return key
    return f"{str(parts[0])[: MAX_KEY_CHARS - DIGEST_CHARS - 1]}{SEPARATOR}{digest(key)}"
