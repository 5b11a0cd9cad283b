"""Acknowledge an escalation: stops its ladder (used by the CLI, the link and the portal)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import update
from sqlalchemy.orm import Session

from coach.storage.models import AuditEvent, Escalation, Notification

LADDER_TEMPLATES = ("escalation_reminder", "escalation_backup")


@dataclass(frozen=True)
class AckResult:
    """`outcome` is acknowledged | already | not_found."""

    outcome: str
    escalation: Escalation | None


def acknowledge(session: Session, escalation_id: int, by: str) -> AckResult:
    """Mark the escalation acknowledged (once) and cancel its not-yet-sent ladder messages."""
    now = datetime.now(timezone.utc)
    result = session.execute(
        update(Escalation)
        .where(Escalation.id == escalation_id, Escalation.status == "open")
        .values(status="acknowledged", acknowledged_at=now, acknowledged_by=by, next_step_at=None)
        .execution_options(synchronize_session=False)
    )
    escalation = session.get(Escalation, escalation_id, populate_existing=True)
    if escalation is None:
        return AckResult("not_found", None)
    if result.rowcount != 1:
        return AckResult("already", escalation)
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
    session.add(
        AuditEvent(
            actor=by,
            action="escalation_acknowledged",
            subject_type="escalation",
            subject_id=escalation_id,
            detail={},
        )
    )
    return AckResult("acknowledged", escalation)
