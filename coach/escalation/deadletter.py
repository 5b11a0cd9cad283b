"""A message given up after its last failure is itself an escalation, to the backup / clinic."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from coach.escalation.keys import bounded_key
from coach.escalation.raising import EscalationRequest, raise_escalation
from coach.escalation.recipients import Audience
from coach.storage.models import AuditEvent, Escalation, Notification, Patient

log = logging.getLogger(__name__)

DEAD_LETTER_KIND = "delivery_failed"
DEAD_LETTER_TEMPLATE = "delivery_failed"


def escalate_dead_letter(session: Session, dead: Notification) -> Escalation | None:
    """Add a `delivery_failed` escalation for `dead` (in the caller's transaction)."""
    session.add(
        AuditEvent(
            actor="scheduler",
            action="notification_dead",
            subject_type="notification",
            subject_id=dead.id,
            detail={"channel": dead.channel, "attempts": dead.attempts},
        )
    )
    if dead.template == DEAD_LETTER_TEMPLATE:
        log.critical("dead-letter alert %s could not be delivered either", dead.id)
        return None
    original = session.get(Escalation, dead.escalation_id) if dead.escalation_id else None
    patient_id = original.patient_id if original else (dead.payload or {}).get("patient_id")
    patient = session.get(Patient, patient_id) if patient_id is not None else None
    request = EscalationRequest(
        kind=DEAD_LETTER_KIND,
        idempotency_key=bounded_key("dead", dead.idempotency_key),
        evidence={
            "failed_notification_id": dead.id,
            "failed_escalation_id": original.id if original else None,
            "failed_kind": original.kind if original else dead.template,
            "failed_level": original.level if original else None,
            "failed_recipient_kind": dead.recipient_kind,
            "failed_channel": dead.channel,
            "failed_attempts": dead.attempts,
            "failed_error": dead.last_error or "",
        },
    )
    return raise_escalation(
        session,
        patient,
        request,
        audience=Audience.DEAD_LETTER,
        exclude_address=dead.address,
        actor="scheduler",
    )
