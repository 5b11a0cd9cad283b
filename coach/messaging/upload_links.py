"""One-time clip upload links for patients whose channel carries no video (SMS)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coach.channels.settings import channel_settings
from coach.channels.signing import UPLOAD_PURPOSE, InvalidToken, sign, verify
from coach.content import load_content
from coach.storage.models import ChannelIdentity, UploadLink

UPLOAD_PAGE_PATH = "/chat/upload"
NONCE_BYTES = 18


class LinkUsed(InvalidToken):
    """The link was already used, or has expired."""


def _ttl() -> timedelta:
    return timedelta(hours=float(load_content("channels")["upload_link"]["ttl_hours"]))


def create_upload_link(
    session: Session, identity_id: int, now: datetime | None = None
) -> tuple[str, datetime]:
    """A fresh link for `identity_id` and when it expires."""
    now = now or datetime.now(timezone.utc)
    expires = now + _ttl()
    nonce = secrets.token_urlsafe(NONCE_BYTES)
    session.add(
        UploadLink(nonce=nonce, identity_id=identity_id, created_at=now, expires_at=expires)
    )
    session.flush()
    token = sign(
        UPLOAD_PURPOSE,
        str(identity_id),
        (expires - now).total_seconds(),
        now=now.timestamp(),
        nonce=nonce,
    )
    return f"{channel_settings().webchat_public_url}{UPLOAD_PAGE_PATH}#u={token}", expires


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def check_upload_link(
    session: Session, token: str, now: datetime | None = None
) -> tuple[UploadLink, ChannelIdentity]:
    """The unused link and its identity; raises InvalidToken / LinkUsed (nothing consumed)."""
    now = now or datetime.now(timezone.utc)
    claims = verify(token, UPLOAD_PURPOSE, now=now.timestamp())
    link = session.scalar(select(UploadLink).where(UploadLink.nonce == claims.nonce))
    if link is None or str(link.identity_id) != claims.subject:
        raise InvalidToken("unknown link")
    if link.used_at is not None or _aware(link.expires_at) <= now:
        raise LinkUsed("link already used or expired")
    identity = session.get(ChannelIdentity, link.identity_id)
    if identity is None:
        raise InvalidToken("the account behind this link is gone")
    return link, identity


def consume_upload_link(session: Session, link_id: int, now: datetime | None = None) -> None:
    """Mark the link used; raises LinkUsed if another upload used it first."""
    now = now or datetime.now(timezone.utc)
    used = session.execute(
        update(UploadLink)
        .where(UploadLink.id == link_id, UploadLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        raise LinkUsed("link already used")
