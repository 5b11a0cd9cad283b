"""Who hears about an escalation, at each step of its life: the one recipients function.

- initial: the therapist (email; SMS for emergency/urgent; their webhook) and, when the level
  says so, consented caregivers; the clinic's duty inbox when there is no patient or therapist.
- renotify (ladder step 1): the therapist again (email; SMS for emergency/urgent), else duty.
- backup (ladder step 2): the therapist's backup and the clinic backup contact; duty if none.
- dead_letter: the therapist, their backup, the clinic backup (duty if no backup), never the
  address that failed.
- duty: the duty inbox only (e.g. a spooled red flag that could not be replayed).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.config import get_settings
from coach.content import load_content
from coach.escalation.keys import digest
from coach.storage.models import Caregiver, Escalation, Notification, Patient, Therapist

EMERGENCY_CONSENT = "emergency"
SMS_LEVELS = ("emergency", "urgent")


class Audience(str, Enum):
    """Which moment of an escalation's life a set of messages is for."""

    INITIAL = "initial"
    RENOTIFY = "renotify"
    BACKUP = "backup"
    DEAD_LETTER = "dead_letter"
    DUTY = "duty"


@dataclass(frozen=True)
class Recipient:
    """One message to send: to whom (kind, id), over which channel, with which wording."""

    kind: str  # therapist | caregiver | backup | duty
    id: int | None
    channel: str  # email | sms | webhook
    address: str
    template: str

    @property
    def tag(self) -> str:
        """Stable per recipient: the record id, else a hash of the address."""
        return str(self.id) if self.id is not None else f"a{digest(self.address)[:12]}"


def _therapist_messages(
    therapist: Therapist, level: str, template: str, *, webhook: bool
) -> list[Recipient]:
    rows = [Recipient("therapist", therapist.id, "email", therapist.email, template)]
    if therapist.phone and level in SMS_LEVELS:
        rows.append(Recipient("therapist", therapist.id, "sms", therapist.phone, template))
    if webhook and therapist.webhook_url:
        rows.append(
            Recipient("therapist", therapist.id, "webhook", therapist.webhook_url, template)
        )
    return rows


def _caregiver_messages(session: Session, patient: Patient, level: str) -> list[Recipient]:
    """Emergency notices for caregivers who consented to them (no clinical detail)."""
    if not load_content("clinical")["levels"].get(level, {}).get("notify_caregiver"):
        return []
    rows = []
    caregivers = session.scalars(
        select(Caregiver).where(Caregiver.patient_id == patient.id).order_by(Caregiver.id)
    )
    for caregiver in caregivers:
        if EMERGENCY_CONSENT not in (caregiver.consent_scope or []):
            continue
        channel, address = (
            ("sms", caregiver.phone) if caregiver.phone else ("email", caregiver.email)
        )
        if address:
            rows.append(
                Recipient("caregiver", caregiver.id, channel, address, "caregiver_emergency")
            )
    return rows


def _duty(template: str) -> list[Recipient]:
    duty = get_settings().clinic_duty_email
    return [Recipient("duty", None, "email", duty, template)] if duty else []


def _backups(therapist: Therapist | None, template: str) -> list[Recipient]:
    addresses = [therapist.backup_email if therapist else None, get_settings().clinic_backup_email]
    rows = [Recipient("backup", None, "email", a, template) for a in addresses if a]
    return rows or _duty(template)


def recipients(
    session: Session,
    escalation: Escalation,
    patient: Patient | None,
    audience: Audience,
    *,
    exclude_address: str | None = None,
) -> list[Recipient]:
    """Everyone who gets a message about `escalation` for `audience` (unique per address)."""
    therapist = patient.therapist if patient is not None else None
    level = escalation.level
    found: list[Recipient] = []
    if audience is Audience.INITIAL:
        if therapist is not None:
            found += _therapist_messages(therapist, level, f"escalation_{level}", webhook=True)
        else:
            found += _duty("escalation_duty")
        if patient is not None:
            found += _caregiver_messages(session, patient, level)
    elif audience is Audience.RENOTIFY:
        if therapist is not None:
            found += _therapist_messages(therapist, level, "escalation_reminder", webhook=False)
        else:
            found += _duty("escalation_reminder")
    elif audience is Audience.BACKUP:
        found += _backups(therapist, "escalation_backup")
    elif audience is Audience.DEAD_LETTER:
        if therapist is not None:
            found.append(
                Recipient("therapist", therapist.id, "email", therapist.email, "delivery_failed")
            )
        found += _backups(therapist, "delivery_failed")
    elif audience is Audience.DUTY:
        found += _duty("escalation_duty")
    unique: list[Recipient] = []
    seen: set[tuple[str, str]] = set()
    for recipient in found:
        where = (recipient.channel, recipient.address)
        if where in seen or recipient.address == exclude_address:
            continue
        seen.add(where)
        unique.append(recipient)
    return unique


def notifications_for(
    escalation: Escalation, found: list[Recipient], step: int, audience: Audience
) -> list[Notification]:
    """Outbox rows for `found`; keys are stable per escalation, audience, recipient and channel."""
    return [
        Notification(
            escalation_id=escalation.id,
            idempotency_key=(
                f"{escalation.idempotency_key}:{audience.value}:{r.kind}:{r.tag}:{r.channel}"
            ),
            recipient_kind=r.kind,
            recipient_id=r.id,
            channel=r.channel,
            address=r.address,
            template=r.template,
            payload={} if r.kind == "caregiver" else {"ladder_step": step},
        )
        for r in found
    ]
