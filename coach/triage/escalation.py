"""Write an escalation and its outbox notifications in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.content import load_content
from coach.storage.models import AuditEvent, Caregiver, Escalation, Notification, Patient

EMERGENCY_CONSENT = "emergency"


@dataclass(frozen=True)
class EscalationRequest:
    """What triage decided: a kind of concern, for a patient, with its evidence."""

    kind: str
    idempotency_key: str
    evidence: dict[str, Any]

    @property
    def level(self) -> str:
        return load_content("clinical")["escalation_levels"].get(self.kind, "urgent")


def _therapist_notifications(escalation: Escalation, patient: Patient) -> list[Notification]:
    therapist = patient.therapist
    if therapist is None:
        return []
    rows = [
        Notification(
            idempotency_key=f"{escalation.idempotency_key}:therapist:{therapist.id}:email:0",
            recipient_kind="therapist",
            recipient_id=therapist.id,
            channel="email",
            address=therapist.email,
            template=f"escalation_{escalation.level}",
            payload={"escalation_kind": escalation.kind, "ladder_step": 0},
        )
    ]
    if therapist.phone and escalation.level in ("emergency", "urgent"):
        rows.append(
            Notification(
                idempotency_key=f"{escalation.idempotency_key}:therapist:{therapist.id}:sms:0",
                recipient_kind="therapist",
                recipient_id=therapist.id,
                channel="sms",
                address=therapist.phone,
                template=f"escalation_{escalation.level}",
                payload={"escalation_kind": escalation.kind, "ladder_step": 0},
            )
        )
    if therapist.webhook_url:
        rows.append(
            Notification(
                idempotency_key=f"{escalation.idempotency_key}:therapist:{therapist.id}:webhook:0",
                recipient_kind="therapist",
                recipient_id=therapist.id,
                channel="webhook",
                address=therapist.webhook_url,
                template=f"escalation_{escalation.level}",
                payload={"escalation_kind": escalation.kind, "ladder_step": 0},
            )
        )
    return rows


def _caregiver_notifications(
    session: Session, escalation: Escalation, patient: Patient
) -> list[Notification]:
    """Emergency notices for caregivers who consented to them; no clinical detail in payload."""
    if not load_content("clinical")["levels"][escalation.level]["notify_caregiver"]:
        return []
    caregivers = session.scalars(select(Caregiver).where(Caregiver.patient_id == patient.id))
    rows = []
    for caregiver in caregivers:
        if EMERGENCY_CONSENT not in (caregiver.consent_scope or []):
            continue
        channel, address = (
            ("sms", caregiver.phone) if caregiver.phone else ("email", caregiver.email)
        )
        if not address:
            continue
        rows.append(
            Notification(
                idempotency_key=f"{escalation.idempotency_key}:caregiver:{caregiver.id}:{channel}",
                recipient_kind="caregiver",
                recipient_id=caregiver.id,
                channel=channel,
                address=address,
                template="caregiver_emergency",
                payload={},
            )
        )
    return rows


def raise_escalation(
    session: Session, patient: Patient | None, request: EscalationRequest
) -> Escalation:
    """Add the escalation and its notifications to `session` (idempotent on the key)."""
    existing = session.scalar(
        select(Escalation).where(Escalation.idempotency_key == request.idempotency_key)
    )
    if existing is not None:
        return existing
    escalation = Escalation(
        patient_id=patient.id if patient else None,
        kind=request.kind,
        level=request.level,
        idempotency_key=request.idempotency_key,
        evidence=request.evidence,
    )
    session.add(escalation)
    if patient is not None:
        notifications = _therapist_notifications(escalation, patient)
        notifications += _caregiver_notifications(session, escalation, patient)
        for notification in notifications:
            notification.escalation = escalation
            session.add(notification)
    session.flush()
    session.add(
        AuditEvent(
            actor="triage",
            action="escalation_raised",
            subject_type="escalation",
            subject_id=escalation.id,
            detail={"kind": request.kind, "level": escalation.level},
        )
    )
    return escalation
