"""Links in alerts: a portal link, and a signed acknowledge link that is single-use, bound to
the message (and so to the one recipient) it was sent to, and short-lived.

The acknowledge key is derived from COACH_SECRET_KEY for this purpose only (HMAC with a label),
so no other holder of a key (a webhook receiver has WEBHOOK_SIGNING_SECRET) can mint links. A
token names its notification; using it sets `notification.link_used_at` (conditional update),
so it works once. The token is the same on every retry of that message.

Portal API: `verify_token(token)` (raises InvalidToken / ExpiredToken),
`acknowledge_by_link(session, token, note)` → LinkResult, `ack_url(token)`,
`portal_alert_url(escalation_id)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import update
from sqlalchemy.orm import Session

from coach.config import get_settings
from coach.content import load_content
from coach.escalation.acknowledge import acknowledge
from coach.signing import BadToken, derive_key, seal, unseal
from coach.storage.models import Escalation, Notification, as_utc

KEY_LABEL = "coach/acknowledge-link/v1"
ACK_PATH = "/ack"
ALERT_PATH = "/alerts/{escalation_id}"


class InvalidToken(Exception):
    """The token was altered, truncated or signed with another key."""


class ExpiredToken(Exception):
    """The token is genuine but past its expiry; `escalation_id` says which alert it was for."""

    def __init__(self, escalation_id: int) -> None:
        super().__init__(f"acknowledge link for escalation {escalation_id} expired")
        self.escalation_id = escalation_id


@dataclass(frozen=True)
class AckClaim:
    """What a valid token grants: acknowledging one escalation, once, as one recipient."""

    notification_id: int
    escalation_id: int
    recipient: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkResult:
    """`outcome`: done | already | used | expired | invalid | not_found."""

    outcome: str
    escalation: Escalation | None = None
    claim: AckClaim | None = None


def _key(secret: str | None) -> bytes:
    root = secret if secret is not None else get_settings().secret_key
    if not root:
        raise RuntimeError("COACH_SECRET_KEY is not set: cannot sign acknowledge links")
    return derive_key(root, KEY_LABEL)


def default_ttl() -> timedelta:
    """Link lifetime from notifications.yml."""
    return timedelta(hours=float(load_content("notifications")["ack_link"]["ttl_hours"]))


def recipient_label(notification: Notification) -> str:
    """Who a message (and its link) is for, e.g. `therapist:3`, `duty:0`."""
    return f"{notification.recipient_kind}:{notification.recipient_id or 0}"


def make_token(
    notification_id: int,
    escalation_id: int,
    recipient: str,
    expires_at: datetime,
    *,
    secret: str | None = None,
) -> str:
    """A token acknowledging `escalation_id` as `recipient`, carried by one notification."""
    claim = {
        "n": notification_id,
        "e": escalation_id,
        "r": recipient,
        "x": int(expires_at.timestamp()),
    }
    return seal(_key(secret), claim)


def token_for(notification: Notification, *, secret: str | None = None) -> tuple[str, datetime]:
    """The (stable) token of `notification` and when it expires."""
    if notification.escalation_id is None:
        raise ValueError("only escalation messages carry acknowledge links")
    created = as_utc(notification.created_at or datetime.now(timezone.utc))
    expires = created + default_ttl()
    token = make_token(
        notification.id,
        notification.escalation_id,
        recipient_label(notification),
        expires,
        secret=secret,
    )
    return token, expires


def verify_token(token: str, *, now: datetime | None = None, secret: str | None = None) -> AckClaim:
    """The claim inside `token`; raises InvalidToken or ExpiredToken."""
    try:
        claim = unseal(_key(secret), token)
        result = AckClaim(
            notification_id=int(claim["n"]),
            escalation_id=int(claim["e"]),
            recipient=str(claim["r"]),
            expires_at=datetime.fromtimestamp(int(claim["x"]), tz=timezone.utc),
        )
    except BadToken as exc:
        raise InvalidToken(str(exc)) from exc
    except (ValueError, KeyError, TypeError, OverflowError, OSError) as exc:
        raise InvalidToken("malformed claim") from exc
    if (now or datetime.now(timezone.utc)) >= result.expires_at:
        raise ExpiredToken(result.escalation_id)
    return result


def check_link(session: Session, token: str, *, now: datetime | None = None) -> LinkResult:
    """What using `token` would do, without using it (for a confirmation page)."""
    try:
        claim = verify_token(token, now=now)
    except ExpiredToken as exc:
        return LinkResult("expired", session.get(Escalation, exc.escalation_id))
    except InvalidToken:
        return LinkResult("invalid")
    notification = session.get(Notification, claim.notification_id)
    escalation = session.get(Escalation, claim.escalation_id)
    if (
        notification is None
        or escalation is None
        or notification.escalation_id != claim.escalation_id
        or recipient_label(notification) != claim.recipient
    ):
        return LinkResult("not_found", claim=claim)
    if notification.link_used_at is not None:
        return LinkResult("used", escalation, claim)
    if escalation.status != "open":
        return LinkResult("already", escalation, claim)
    return LinkResult("done", escalation, claim)


def acknowledge_by_link(
    session: Session, token: str, note: str | None = None, *, now: datetime | None = None
) -> LinkResult:
    """Use `token` (once): acknowledge its escalation as the recipient it was sent to."""
    checked = check_link(session, token, now=now)
    if checked.outcome not in ("done", "already") or checked.claim is None:
        return checked
    claim = checked.claim
    used = session.execute(
        update(Notification)
        .where(Notification.id == claim.notification_id, Notification.link_used_at.is_(None))
        .values(link_used_at=now or datetime.now(timezone.utc))
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        return LinkResult("used", checked.escalation, claim)
    result = acknowledge(session, claim.escalation_id, f"link:{claim.recipient}", note)
    return LinkResult(result.outcome, result.escalation, claim)


def ack_url(token: str) -> str:
    """The acknowledge link a recipient clicks (served by the portal)."""
    return f"{get_settings().portal_base_url}{ACK_PATH}?token={token}"


def portal_alert_url(escalation_id: int) -> str:
    """The alert's page in the portal (login required)."""
    return get_settings().portal_base_url + ALERT_PATH.format(escalation_id=escalation_id)
