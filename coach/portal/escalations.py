"""The portal's only way to change an escalation's state (acknowledge, resolve, by link).

Today this calls the scheduler's acknowledge code (`coach.scheduler.ack`) and the signed link
of `coach.notify.ack_link`; when the escalation lifecycle moves to `coach/escalation/`, only
this module changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import update
from sqlalchemy.orm import Session

from coach.notify.ack_link import ExpiredToken, InvalidToken, verify_token
from coach.scheduler.ack import acknowledge as acknowledge_escalation
from coach.storage.models import AuditEvent, Escalation

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
NOTE_MAX_CHARS = 2000


class LinkInvalid(Exception):
    """The acknowledge link was altered or cut off."""


class LinkExpired(Exception):
    """The acknowledge link is genuine but too old; `escalation_id` says which alert."""

    def __init__(self, escalation_id: int) -> None:
        super().__init__(f"link for escalation {escalation_id} expired")
        self.escalation_id = escalation_id


@dataclass(frozen=True)
class LinkClaim:
    """What a valid acknowledge link allows: acknowledging one alert as one recipient."""

    escalation_id: int
    recipient: str


@dataclass(frozen=True)
class Outcome:
    """`result` is acknowledged | already | resolved | not_found."""

    result: str
    escalation: Escalation | None


def _note(text: str | None) -> str | None:
    cleaned = (text or "").strip()
    return cleaned[:NOTE_MAX_CHARS] or None


def acknowledge(db: Session, escalation_id: int, by: str, note: str | None = None) -> Outcome:
    """Acknowledge once (stops the ladder); the note is kept with the alert."""
    result = acknowledge_escalation(db, escalation_id, by)
    if result.escalation is None:
        return Outcome("not_found", None)
    if result.outcome == "acknowledged" and _note(note):
        result.escalation.ack_note = _note(note)
    return Outcome(result.outcome, result.escalation)


def resolve(db: Session, escalation_id: int, by: str, note: str | None = None) -> Outcome:
    """Close the alert (acknowledging it first if nobody had)."""
    acked = acknowledge(db, escalation_id, by, note)
    if acked.escalation is None:
        return acked
    now = datetime.now(timezone.utc)
    changed = db.execute(
        update(Escalation)
        .where(Escalation.id == escalation_id, Escalation.status == ACKNOWLEDGED)
        .values(status=RESOLVED, resolved_at=now, resolved_by=by, resolve_note=_note(note))
        .execution_options(synchronize_session=False)
    ).rowcount
    escalation = db.get(Escalation, escalation_id, populate_existing=True)
    if changed != 1:
        return Outcome("already", escalation)
    db.add(
        AuditEvent(
            actor=by,
            action="escalation_resolved",
            subject_type="escalation",
            subject_id=escalation_id,
            detail={},
        )
    )
    return Outcome(RESOLVED, escalation)


def read_link(token: str) -> LinkClaim:
    """The claim of an acknowledge link; raises LinkInvalid or LinkExpired."""
    try:
        claim = verify_token(token)
    except ExpiredToken as exc:
        raise LinkExpired(exc.escalation_id) from exc
    except InvalidToken as exc:
        raise LinkInvalid(str(exc)) from exc
    return LinkClaim(claim.escalation_id, claim.recipient)


def acknowledge_by_link(db: Session, token: str) -> Outcome:
    """Acknowledge the alert a link is for; a link whose alert is no longer open is refused."""
    claim = read_link(token)
    return acknowledge(db, claim.escalation_id, f"link:{claim.recipient}")
