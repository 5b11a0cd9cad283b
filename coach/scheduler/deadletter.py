"""A message given up after N failures is itself an escalation, to the backup / clinic."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.content import load_content
from coach.storage.models import AuditEvent, Escalation, Notification, Patient

log = logging.getLogger(__name__)

DEAD_LETTER_KIND = "delivery_failed"
DEAD_LETTER_TEMPLATE = "delivery_failed"
DEFAULT_DEAD_LETTER_LEVEL = "urgent"


def _recipients(patient: Patient | None, failed_address: str, clinic_backup: str) -> list[str]:
    therapist = patient.therapist if patient is not None else None
    candidates = [
        therapist.email if therapist else None,
        therapist.backup_email if therapist else None,
        clinic_backup or None,
    ]
    seen: list[str] = []
    for address in candidates:
        if address and address != failed_address and address not in seen:
            seen.append(address)
    return seen


def escalate_dead_letter(session: Session, dead: Notification, clinic_backup: str) -> None:
    """Add a `delivery_failed` escalation with email notices (in the caller's transaction)."""
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
        return
    key = f"dead:{dead.idempotency_key}"
    if session.scalar(select(Escalation.id).where(Escalation.idempotency_key == key)):
        return
    original = session.get(Escalation, dead.escalation_id) if dead.escalation_id else None
    patient_id = original.patient_id if original else (dead.payload or {}).get("patient_id")
    patient = session.get(Patient, patient_id) if patient_id is not None else None
    levels = load_content("clinical")["escalation_levels"]
    escalation = Escalation(
        patient_id=patient_id,
        kind=DEAD_LETTER_KIND,
        level=levels.get(DEAD_LETTER_KIND, DEFAULT_DEAD_LETTER_LEVEL),
        idempotency_key=key,
        evidence={
            "failed_notification_id": dead.id,
            "channel": dead.channel,
            "attempts": dead.attempts,
        },
    )
    session.add(escalation)
    session.flush()
    texts = load_content("notifications")
    payload = {
        "failed_recipient_kind": dead.recipient_kind,
        "failed_channel": dead.channel,
        "failed_attempts": dead.attempts,
        "failed_escalation_id": original.id if original else "-",
        "failed_kind_label": texts["kind_labels"].get(original.kind, original.kind)
        if original
        else dead.template,
        "failed_level_label": texts["level_labels"].get(original.level, original.level)
        if original
        else "-",
        "failed_error": dead.last_error or "-",
        "ladder_step": 0,
    }
    recipients = _recipients(patient, dead.address, clinic_backup)
    if not recipients:
        log.critical("dead letter %s: no backup contact configured (CLINIC_BACKUP_EMAIL)", dead.id)
    for index, address in enumerate(recipients):
        session.add(
            Notification(
                escalation_id=escalation.id,
                idempotency_key=f"{key}:backup:{index}:email",
                recipient_kind="backup",
                recipient_id=None,
                channel="email",
                address=address,
                template=DEAD_LETTER_TEMPLATE,
                payload=payload,
            )
        )
    session.add(
        AuditEvent(
            actor="scheduler",
            action="escalation_raised",
            subject_type="escalation",
            subject_id=escalation.id,
            detail={"kind": DEAD_LETTER_KIND, "level": escalation.level},
        )
    )
