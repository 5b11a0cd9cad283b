"""Invite codes: random, unambiguous, shown as `K7QM-4RXT`, stored as a SHA-256."""

from __future__ import annotations

import hashlib
import secrets

from coach.channels.inbound import invite_code
from coach.content import load_content


def _policy() -> dict:
    return load_content("channels")["invites"]


def new_code() -> str:
    """A fresh code (`code_length` symbols of the alphabet, at least one digit)."""
    policy = _policy()
    alphabet, length = policy["alphabet"], int(policy["code_length"])
    while True:
        code = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in code):
            return code


def display(code: str) -> str:
    """`K7QM4RXT` -> `K7QM-4RXT` (two halves, as `START <code>` accepts them)."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def canonical(text: str) -> str | None:
    """The code as stored (upper case, no separator), None when `text` is not code-shaped."""
    return invite_code(text)


def code_hash(code: str) -> str:
    """What the database keeps instead of the code."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()
