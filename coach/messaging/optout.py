"""STOP and START: pause or resume proactive messages to whoever sent them on that channel.

A patient's identity on that channel is paused (prompts go nowhere else by themselves). On
SMS/WhatsApp the sender may instead be a caregiver who gets reminders: their reminders stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.channels.identity import SMS, WHATSAPP, external_id
from coach.storage.models import AuditEvent, Caregiver, ChannelIdentity

PATIENT = "patient"
CAREGIVER = "caregiver"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class OptResult:
    """Who the sender turned out to be, and whether anything changed."""

    who: str
    changed: bool


def _identity(session: Session, channel: str, sender_id: str) -> ChannelIdentity | None:
    return session.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.sender_id == sender_id
        )
    )


def _caregivers(session: Session, channel: str, sender_id: str) -> list[Caregiver]:
    if channel not in (SMS, WHATSAPP):
        return []
    number = external_id(sender_id)
    return list(
        session.scalars(
            select(Caregiver).where(Caregiver.phone.in_([number, f"{WHATSAPP}:{number}"]))
        )
    )


def set_opt_out(
    session: Session, channel: str, sender_id: str, stop: bool, now: datetime | None = None
) -> OptResult:
    """STOP (`stop=True`) or START from (channel, sender id)."""
    now = now or datetime.now(timezone.utc)
    value = now if stop else None
    action = "opted_out" if stop else "opted_in"
    identity = _identity(session, channel, sender_id)
    if identity is not None:
        changed = (identity.opted_out_at is None) == stop
        if changed:
            identity.opted_out_at = value
            session.add(
                AuditEvent(
                    actor=f"patient:{identity.patient_id}",
                    action=action,
                    subject_type="channel_identity",
                    subject_id=identity.id,
                    detail={"channel": channel},
                )
            )
        return OptResult(PATIENT, changed)
    caregivers = _caregivers(session, channel, sender_id)
    changed = False
    for caregiver in caregivers:
        if (caregiver.opted_out_at is None) == stop:
            caregiver.opted_out_at = value
            changed = True
            session.add(
                AuditEvent(
                    actor=f"caregiver:{caregiver.id}",
                    action=action,
                    subject_type="caregiver",
                    subject_id=caregiver.id,
                    detail={"channel": channel},
                )
            )
    return OptResult(CAREGIVER if caregivers else UNKNOWN, changed)
