"""The portal's only way to change an escalation's state (acknowledge, resolve, by link): the
portal's terms over `coach.escalation`, the lifecycle's one home."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from coach.escalation import acknowledge as lifecycle
from coach.escalation import links
from coach.storage.models import Escalation

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
NOTE_MAX_CHARS = 2000


@dataclass(frozen=True)
class Outcome:
    """`result` is acknowledged | resolved | already | not_found for the inbox; for a link
    also confirm (valid, not yet used) | used | expired | invalid."""

    result: str
    escalation: Escalation | None


def _note(text: str | None) -> str | None:
    cleaned = (text or "").strip()
    return cleaned[:NOTE_MAX_CHARS] or None


def acknowledge(db: Session, escalation_id: int, by: str, note: str | None = None) -> Outcome:
    """Acknowledge once (stops the ladder); the note is kept with the alert."""
    done = lifecycle.acknowledge(db, escalation_id, by, _note(note))
    return Outcome(ACKNOWLEDGED if done.outcome == "done" else done.outcome, done.escalation)


def resolve(db: Session, escalation_id: int, by: str, note: str | None = None) -> Outcome:
    """Close the alert (acknowledging it first if nobody had)."""
    done = lifecycle.resolve(db, escalation_id, by, _note(note))
    return Outcome(RESOLVED if done.outcome == "done" else done.outcome, done.escalation)


def check_link(db: Session, token: str) -> Outcome:
    """What an acknowledge link would do, without using it (the confirmation page)."""
    checked = links.check_link(db, token)
    return Outcome("confirm" if checked.outcome == "done" else checked.outcome, checked.escalation)


def acknowledge_by_link(db: Session, token: str) -> Outcome:
    """Use an acknowledge link (single use, bound to the recipient it was sent to)."""
    used = links.acknowledge_by_link(db, token)
    return Outcome(ACKNOWLEDGED if used.outcome == "done" else used.outcome, used.escalation)
