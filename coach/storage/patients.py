"""Look-ups of patients by messaging identity."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from coach.storage.models import ChannelIdentity, Patient


def patient_for_sender(session: Session, channel: str | None, sender_id: str) -> Patient | None:
    """The active patient behind (channel, sender id); a web/REST sender matches any channel."""
    query = (
        select(Patient)
        .join(ChannelIdentity)
        .where(ChannelIdentity.sender_id == sender_id, Patient.active.is_(True))
        .options(selectinload(Patient.therapist))
    )
    if channel:
        exact = session.scalars(query.where(ChannelIdentity.channel == channel)).first()
        if exact is not None:
            return exact
    return session.scalars(query).first()


@dataclass(frozen=True)
class PatientProfile:
    """The few patient facts a conversation turn needs (a cheap, column-only query)."""

    patient_id: int
    eye_closure_incomplete: bool
    affected_side: str | None


def patient_profile(session: Session, channel: str | None, sender_id: str) -> PatientProfile | None:
    """Like `patient_for_sender`, without loading ORM objects."""
    query = (
        select(
            Patient.id,
            Patient.eye_closure_incomplete,
            Patient.affected_side,
            ChannelIdentity.channel,
        )
        .join(ChannelIdentity)
        .where(ChannelIdentity.sender_id == sender_id, Patient.active.is_(True))
    )
    rows = session.execute(query).all()
    row = next((r for r in rows if r.channel == channel), rows[0] if rows else None)
    return PatientProfile(row.id, row.eye_closure_incomplete, row.affected_side) if row else None
