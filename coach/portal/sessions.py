"""Server-side login sessions: the cookie carries a random token, the database its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coach.notify.render import as_utc
from coach.portal.settings import PortalSettings
from coach.storage.models import PortalSession, PortalUser

COOKIE_NAME = "coach_session"
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often


@dataclass(frozen=True)
class Current:
    """The signed-in user of a request and their session row."""

    user: PortalUser
    session: PortalSession
    token: str


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(
    db: Session,
    user: PortalUser,
    settings: PortalSettings,
    *,
    mfa_pending: bool = False,
    via_link: bool = False,
    now: datetime | None = None,
) -> str:
    """Create a session for `user`; returns the cookie token."""
    now = now or datetime.now(timezone.utc)
    token = secrets.token_urlsafe(32)
    db.add(
        PortalSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_max_hours),
            mfa_pending=mfa_pending,
            via_link=via_link,
            revoked=False,
        )
    )
    db.flush()
    return token


def load_session(
    db: Session, token: str | None, settings: PortalSettings, *, now: datetime | None = None
) -> Current | None:
    """The live session for `token` (not revoked, not expired, not idle), or None."""
    if not token:
        return None
    now = now or datetime.now(timezone.utc)
    row = db.scalar(select(PortalSession).where(PortalSession.token_hash == token_hash(token)))
    if row is None or row.revoked or as_utc(row.expires_at) <= now:
        return None
    last_seen = as_utc(row.last_seen_at)
    if last_seen + timedelta(minutes=settings.session_idle_min) <= now:
        return None
    user = db.get(PortalUser, row.user_id)
    if user is None or not user.active:
        return None
    if now - last_seen >= TOUCH_EVERY:
        row.last_seen_at = now
    return Current(user, row, token)


def end_session(db: Session, token: str | None) -> None:
    """Revoke the session behind `token` (sign out)."""
    if token:
        db.execute(
            update(PortalSession)
            .where(PortalSession.token_hash == token_hash(token))
            .values(revoked=True)
            .execution_options(synchronize_session=False)
        )


def end_all_sessions(db: Session, user_id: int) -> None:
    """Revoke every session of a user (password change, deactivation)."""
    db.execute(
        update(PortalSession)
        .where(PortalSession.user_id == user_id)
        .values(revoked=True)
        .execution_options(synchronize_session=False)
    )
