"""Look-ups of patients by messaging identity."""

from __future__ import annotations

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
