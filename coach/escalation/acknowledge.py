"""Acknowledge and resolve escalations (the CLI, the signed link and the portal all call these).

An escalation is `open` → `acknowledged` (a human has it; its ladder stops) → `resolved` (dealt
with). Resolving an open escalation acknowledges it in the same step. Both are conditional
updates, so two people clicking at once get one `done` and one `already`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import update
from sqlalchemy.orm import Session

from coach.storage.models import AuditEvent, Escalation, Notification

LADDER_TEMPLATES = ("escalation_reminder", "escalation_backup")
ACTOR_CHARS = 120  # escalation.acknowledged_by / resolved_by
NOTE_CHARS = 4000
OPEN = "open"
ACKNOWLEDGED = "acknowledged"
RESOLVED = "resolved"


@dataclass(frozen=True)
class AckResult:
    """`outcome` is done | already | not_found; `escalation` as it is now (None if not found)."""

    outcome: str
    escalation: Escalation | None


def _clean(actor: str, note: str | None) -> tuple[str, str | None]:
    note = (note or "").strip()[:NOTE_CHARS] or None
    return actor.strip()[:ACTOR_CHARS] or "unknown", note


def _cancel_ladder(session: Session, escalation_id: int) -> None:
    session.execute(
        update(Notification)
        .where(
            Notification.escalation_id == escalation_id,
            Notification.status == "pending",
            Notification.template.in_(LADDER_TEMPLATES),
        )
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )


def _audit(session: Session, actor: str, action: str, escalation_id: int, note: bool) -> None:
    session.add(
        AuditEvent(
            actor=actor,
            action=action,
            subject_type="escalation",
            subject_id=escalation_id,
            detail={"with_note": note},  # the note itself may hold clinical detail: not here
        )
    )


def acknowledge(
    session: Session, escalation_id: int, actor: str, note: str | None = None
) -> AckResult:
    """Mark the escalation acknowledged by `actor` (once) and stop its ladder."""
    actor, note = _clean(actor, note)
    result = session.execute(
        update(Escalation)
        .where(Escalation.id == escalation_id, Escalation.status == OPEN)
        .values(
            status=ACKNOWLEDGED,
            acknowledged_at=datetime.now(timezone.utc),
            acknowledged_by=actor,
            ack_note=note,
            next_step_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    escalation = session.get(Escalation, escalation_id, populate_existing=True)
    if escalation is None:
        return AckResult("not_found", None)
    if result.rowcount != 1:
        return AckResult("already", escalation)
    _cancel_ladder(session, escalation_id)
    _audit(session, actor, "escalation_acknowledged", escalation_id, note is not None)
    return AckResult("done", escalation)


def resolve(session: Session, escalation_id: int, actor: str, note: str | None = None) -> AckResult:
    """Mark the escalation resolved by `actor` (acknowledging it first if still open)."""
    actor, note = _clean(actor, note)
    now = datetime.now(timezone.utc)
    escalation = session.get(Escalation, escalation_id, populate_existing=True)
    if escalation is None:
        return AckResult("not_found", None)
    if escalation.status == OPEN:
        acknowledge(session, escalation_id, actor)
    result = session.execute(
        update(Escalation)
        .where(Escalation.id == escalation_id, Escalation.status == ACKNOWLEDGED)
        .values(status=RESOLVED, resolved_at=now, resolved_by=actor, resolve_note=note)
        .execution_options(synchronize_session=False)
    )
    escalation = session.get(Escalation, escalation_id, populate_existing=True)
    if result.rowcount != 1:
        return AckResult("already", escalation)
    _audit(session, actor, "escalation_resolved", escalation_id, note is not None)
    return AckResult("done", escalation)
