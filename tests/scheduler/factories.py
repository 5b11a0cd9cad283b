"""Small builders for scheduler tests."""

from __future__ import annotations

from datetime import time
from typing import Any

from sqlalchemy.orm import Session

from coach.escalation.raising import EscalationRequest, raise_escalation
from coach.storage.models import Caregiver, ChannelIdentity, Patient, Therapist


def therapist(session: Session, n: int = 1, **extra: Any) -> Therapist:
    row = Therapist(name=f"Dr Ther {n}", email=f"ther{n}@clinic.test", **extra)
    session.add(row)
    session.flush()
    return row


def patient(
    session: Session,
    name: str = "Ada Lovelace",
    *,
    zone: str = "Europe/London",
    at: time = time(9, 0),
    therapist_row: Therapist | None = None,
    channel: str | None = "telegram",
    sender: str | None = None,
    **extra: Any,
) -> Patient:
    """A consented patient reachable on `channel` (a prompt-capable one unless told)."""
    row = Patient(
        display_name=name,
        timezone=zone,
        checkin_time=at,
        therapist_id=therapist_row.id if therapist_row else None,
        **{"data_consent_version": "test", **extra},
    )
    session.add(row)
    session.flush()
    if channel:
        session.add(
            ChannelIdentity(
                channel=channel, sender_id=sender or f"{channel}:{row.id}", patient_id=row.id
            )
        )
        session.flush()
    return row


def caregiver(session: Session, patient_row: Patient, scope: list[str], **extra: Any) -> Caregiver:
    row = Caregiver(patient_id=patient_row.id, name="Care Giver", consent_scope=scope, **extra)
    session.add(row)
    session.flush()
    return row


def escalate(
    session: Session,
    patient_row: Patient,
    kind: str = "eye_at_risk",
    key: str = "esc-1",
    evidence: dict[str, Any] | None = None,
):  # type: ignore[no-untyped-def]
    session.refresh(patient_row)
    return raise_escalation(
        session,
        patient_row,
        EscalationRequest(kind, key, evidence or {"text": "my eye hurts and is red"}),
    )


def key(
    escalation_key: str,
    kind: str = "therapist",
    who: int | str = 1,
    channel: str = "email",
    audience: str = "initial",
) -> str:
    """The idempotency key of one notification (coach.escalation.recipients)."""
    return f"{escalation_key}:{audience}:{kind}:{who}:{channel}"


def address_tag(address: str) -> str:
    """The recipient tag of an address-only recipient (backup, duty)."""
    from coach.escalation.keys import digest

    return f"a{digest(address)[:12]}"
