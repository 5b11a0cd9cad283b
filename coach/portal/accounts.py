"""Portal accounts: create, sign in with rate limiting and lock-out, optional TOTP."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pyotp
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from coach.notify.render import as_utc
from coach.portal.passwords import hash_password, verify_password
from coach.portal.settings import PortalSettings
from coach.storage.models import LoginAttempt, PortalUser

ROLES = ("therapist", "admin", "caregiver")
TOTP_ISSUER = "Synkinesis coach"
TOTP_VALID_WINDOW = 1  # accept the previous and next 30-second code (phone clock drift)


@dataclass(frozen=True)
class SignIn:
    """`outcome` is ok | bad | locked | throttled."""

    outcome: str
    user: PortalUser | None = None


def normalise_email(email: str) -> str:
    """E-mail as stored: trimmed, lower case."""
    return (email or "").strip().lower()


def client_key(address: str | None) -> str:
    """A client address as stored for rate limiting (hashed: addresses are personal data)."""
    return hashlib.sha256((address or "unknown").encode("utf-8")).hexdigest()[:32]


def create_user(
    session: Session,
    email: str,
    password: str,
    role: str,
    *,
    therapist_id: int | None = None,
    caregiver_id: int | None = None,
    must_change_password: bool = False,
) -> PortalUser:
    """Add a portal account (the caller's transaction)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    user = PortalUser(
        email=normalise_email(email),
        password_hash=hash_password(password),
        role=role,
        therapist_id=therapist_id,
        caregiver_id=caregiver_id,
        must_change_password=must_change_password,
        failed_logins=0,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def _recent_failures(session: Session, column: object, value: str, since: datetime) -> int:
    return int(
        session.scalar(
            select(func.count(LoginAttempt.id)).where(column == value, LoginAttempt.at >= since)
        )
        or 0
    )


def authenticate(
    session: Session,
    email: str,
    password: str,
    client_address: str | None,
    settings: PortalSettings,
    *,
    now: datetime | None = None,
) -> SignIn:
    """Check a password with per-client throttling and per-account lock-out.

    An address with too many recent failures is throttled; an e-mail with too many recent
    failures is locked whether or not the account exists (nothing tells the two apart).
    """
    now = now or datetime.now(timezone.utc)
    email = normalise_email(email)
    client = client_key(client_address)
    since = now - timedelta(minutes=settings.login_window_min)
    if (
        _recent_failures(session, LoginAttempt.client, client, since)
        >= settings.client_max_failures
    ):
        return SignIn("throttled")
    user = session.scalar(select(PortalUser).where(PortalUser.email == email))
    locked_by_count = (
        _recent_failures(session, LoginAttempt.email, email, since) >= settings.login_max_failures
    )
    locked = locked_by_count or (
        user is not None and user.locked_until is not None and as_utc(user.locked_until) > now
    )
    matches = verify_password(user.password_hash if user else None, password)
    if locked:
        return SignIn("locked")
    if user is None or not user.active or not matches:
        return record_failure(session, email, client_address, settings, now=now)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return SignIn("ok", user)


def record_failure(
    session: Session,
    email: str,
    client_address: str | None,
    settings: PortalSettings,
    *,
    now: datetime | None = None,
) -> SignIn:
    """Count one failed sign-in (wrong password or wrong second-factor code); lock when due."""
    now = now or datetime.now(timezone.utc)
    email = normalise_email(email)
    since = now - timedelta(minutes=settings.login_window_min)
    session.add(LoginAttempt(at=now, client=client_key(client_address), email=email))
    session.flush()
    user = session.scalar(select(PortalUser).where(PortalUser.email == email))
    failures = _recent_failures(session, LoginAttempt.email, email, since)
    if user is not None:
        user.failed_logins = (user.failed_logins or 0) + 1
        if failures >= settings.login_max_failures:
            user.locked_until = now + timedelta(minutes=settings.lockout_min)
    return SignIn("locked" if failures >= settings.login_max_failures else "bad")


def unlock(session: Session, user: PortalUser) -> None:
    """Clear a lock-out (clinic admin)."""
    user.locked_until = None
    user.failed_logins = 0
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == user.email))


def set_password(user: PortalUser, password: str) -> None:
    """Replace the password hash; the user no longer has to change it."""
    user.password_hash = hash_password(password)
    user.must_change_password = False


def new_totp_secret() -> str:
    """A fresh base32 TOTP secret."""
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    """The otpauth:// URI authenticator apps accept."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def totp_ok(secret: str | None, code: str, *, at: datetime | None = None) -> bool:
    """True when `code` is the current (±1 step) TOTP code for `secret`."""
    digits = "".join(ch for ch in (code or "") if ch.isdigit())
    if not secret or len(digits) != 6:
        return False
    return pyotp.TOTP(secret).verify(digits, for_time=at, valid_window=TOTP_VALID_WINDOW)
