"""Raise an escalation: the row and its outbox notifications, in the caller's transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.content import load_content
from coach.escalation.keys import bounded_key
from coach.escalation.recipients import Audience, notifications_for, recipients
from coach.storage.models import AuditEvent, Escalation, Patient

log = logging.getLogger(__name__)
DEFAULT_LEVEL = "urgent"


@dataclass(frozen=True)
class EscalationRequest:
    """What triage decided: a kind of concern, with its evidence and an idempotency key."""

    kind: str
    idempotency_key: str
    evidence: dict[str, Any]

    @property
    def level(self) -> str:
        return load_content("clinical")["escalation_levels"].get(self.kind, DEFAULT_LEVEL)


def raise_escalation(
    session: Session,
    patient: Patient | None,
    request: EscalationRequest,
    *,
    audience: Audience = Audience.INITIAL,
    exclude_address: str | None = None,
    actor: str = "triage",
) -> Escalation:
    """Add the escalation and its notifications to `session` (idempotent on the key)."""
    key = bounded_key(request.idempotency_key)
    existing = session.scalar(select(Escalation).where(Escalation.idempotency_key == key))
    if existing is not None:
        return existing
    escalation = Escalation(
        patient_id=patient.id if patient else None,
        kind=request.kind,
        level=request.level,
        idempotency_key=key,
        evidence=request.evidence,
    )
    session.add(escalation)
    session.flush()
    found = recipients(session, escalation, patient, audience, exclude_address=exclude_address)
    if not found:
        log.critical("escalation %s (%s) has nobody to notify", escalation.id, request.kind)
    session.add_all(notifications_for(escalation, found, 0, audience))
    session.add(
        AuditEvent(
            actor=actor,
            action="escalation_raised",
            subject_type="escalation",
            subject_id=escalation.id,
            detail={"kind": request.kind, "level": escalation.level, "notified": len(found)},
        )
    )
    session.flush()
    return escalation
