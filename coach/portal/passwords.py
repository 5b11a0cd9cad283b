"""Password hashing with argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
# A fixed hash verified when the account does not exist, so a wrong e-mail and a wrong password
# take the same time.
_DUMMY_PASSWORD = "not-a-real-password-for-timing"


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    """The process's argon2id hasher."""
    return PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of `password`."""
    return hasher().hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(_DUMMY_PASSWORD)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing account still costs one verification."""
    try:
        return hasher().verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if password.strip() != password or len(set(password)) < 4:
        return "Choose a less predictable password."
    return None
