"""Look-ups of patients by messaging identity: exact (channel, sender id), never across channels."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from coach.channels.identity import NAMESPACED, REST, channel_of
from coach.storage.models import ChannelIdentity, Patient

KNOWN_CHANNELS = NAMESPACED | {REST}


def identity_channel(channel: str | None, sender_id: str) -> str | None:
    """The channel that owns `sender_id` (its connector's namespace); None when the tracker's
    input channel names another of our channels, i.e. the two disagree."""
    owner = channel_of(sender_id)
    if channel in KNOWN_CHANNELS and channel != owner:
        return None
    return owner


def patient_for_sender(session: Session, channel: str | None, sender_id: str) -> Patient | None:
    """The active patient behind exactly (channel, sender id), or None."""
    owner = identity_channel(channel, sender_id)
    if owner is None:
        return None
    return session.scalars(
        select(Patient)
        .join(ChannelIdentity)
        .where(
            ChannelIdentity.channel == owner,
            ChannelIdentity.sender_id == sender_id,
            Patient.active.is_(True),
        )
        .options(selectinload(Patient.therapist))
    ).first()


@dataclass(frozen=True)
class PatientProfile:
    """The few patient facts a conversation turn needs (a cheap, column-only query)."""

    patient_id: int
    eye_closure_incomplete: bool
    affected_side: str | None
    consented: bool = False
    clip_consented: bool = False


def patient_profile(session: Session, channel: str | None, sender_id: str) -> PatientProfile | None:
    """Like `patient_for_sender`, without loading ORM objects."""
    owner = identity_channel(channel, sender_id)
    if owner is None:
        return None
    row = session.execute(
        select(
            Patient.id,
            Patient.eye_closure_incomplete,
            Patient.affected_side,
            Patient.data_consent_version,
            Patient.clip_consent_version,
        )
        .join(ChannelIdentity)
        .where(
            ChannelIdentity.channel == owner,
            ChannelIdentity.sender_id == sender_id,
            Patient.active.is_(True),
        )
    ).first()
    if row is None:
        return None
    return PatientProfile(
        row.id,
        row.eye_closure_incomplete,
        row.affected_side,
        consented=row.data_consent_version is not None,
        clip_consented=row.clip_consent_version is not None,
    )
