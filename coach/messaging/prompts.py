"""Proactive prompts on the patient's own channel; a prompt counts as sent only when the
provider accepted it.

The channel is the patient's most recent identity that can receive a prompt (WhatsApp, SMS,
Telegram, web chat) and has not said STOP; after `max_attempts_per_channel` failures today
(a refusal now, or a failed/undelivered status callback later) the next identity is tried.
- WhatsApp: the approved template for the prompt (Twilio content SID and variables, with its
  quick replies, e.g. "/start_checkin") when one is configured: a business-initiated message
  outside the 24-hour window must be one. Without a template, the session message below.
- SMS, Telegram (and WhatsApp without a template): Rasa's `trigger_intent` with that channel as
  output; the connector sends each message and Rasa answers 200 only if all were accepted.
- Web chat: queued; the page triggers it when the patient next opens it (coach.webchat).
Every attempt is a PromptDelivery row (with the provider's message id for status callbacks).
The check-in sweep and the recovery nudges both send through `deliver_prompt`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timezone

import httpx
from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from coach.channels.identity import PROMPTABLE, WEBCHAT, WHATSAPP
from coach.channels.settings import channel_settings
from coach.config import get_settings
from coach.content import load_content
from coach.notify.channels import DeliveryError, send_twilio
from coach.notify.settings import notify_settings
from coach.scheduler.rasa_client import RasaError, trigger_intent
from coach.storage.models import ChannelIdentity, Patient, PromptDelivery

log = logging.getLogger(__name__)
QUEUED = "queued"
ACCEPTED = "accepted"
DELIVERED = "delivered"
SHOWN = "shown"
FAILED = "failed"
SUPERSEDED = "superseded"
ERROR_CHARS = 200
NO_CHANNEL_LEFT = "no channel left to prompt today"


@dataclass(frozen=True)
class PromptOutcome:
    """`accepted`: counts as sent. `exhausted`: no channel left to try today."""

    accepted: bool
    channel: str | None = None
    error: str | None = None
    exhausted: bool = False


@dataclass(frozen=True)
class Target:
    identity_id: int
    channel: str
    sender_id: str
    display_name: str
    clip_consented: bool


def reachable_clause() -> ColumnElement[bool]:
    """WHERE clause over `Patient`: a channel that can carry a prompt, not stopped (STOP)."""
    return exists().where(
        ChannelIdentity.patient_id == Patient.id,
        ChannelIdentity.channel.in_(PROMPTABLE),
        ChannelIdentity.opted_out_at.is_(None),
    )


def _max_attempts() -> int:
    return int(load_content("channels")["prompts"]["max_attempts_per_channel"])


def prompt_target(session: Session, patient_id: int, local_date: date) -> Target | None:
    """The identity to prompt today (see the module docstring), or None."""
    failures = dict(
        session.execute(
            select(PromptDelivery.identity_id, func.count(PromptDelivery.id))
            .where(
                PromptDelivery.patient_id == patient_id,
                PromptDelivery.local_date == local_date,
                PromptDelivery.status == FAILED,
            )
            .group_by(PromptDelivery.identity_id)
        ).all()
    )
    rows = session.execute(
        select(
            ChannelIdentity.id,
            ChannelIdentity.channel,
            ChannelIdentity.sender_id,
            Patient.display_name,
            Patient.clip_consent_version,
        )
        .join(Patient, Patient.id == ChannelIdentity.patient_id)
        .where(
            ChannelIdentity.patient_id == patient_id,
            ChannelIdentity.channel.in_(PROMPTABLE),
            ChannelIdentity.opted_out_at.is_(None),
        )
        .order_by(ChannelIdentity.id.desc())
    ).all()
    for row in rows:
        if failures.get(row.id, 0) < _max_attempts():
            return Target(
                row.id, row.channel, row.sender_id, row.display_name, bool(row.clip_consent_version)
            )
    return None


def _sweep_intents() -> set[str]:
    """The check-in sweep's prompts (a failed one is sent again by the next sweep)."""
    prompts = load_content("notifications")["prompts"]
    return {str(prompts[k]) for k in ("daily_intent", "weekly_intent", "clip_intent")}


def prompt_intent(intent: str, clip_consented: bool) -> str:
    """No clip request without clip consent: the daily check-in instead."""
    prompts = load_content("notifications")["prompts"]
    if intent == prompts["clip_intent"] and not clip_consented:
        return str(prompts["daily_intent"])
    return intent


def _record(
    factory: sessionmaker[Session],
    patient_id: int,
    target: Target,
    intent: str,
    local_date: date,
    status: str,
    provider_id: str | None = None,
    error: str | None = None,
) -> None:
    with factory.begin() as session:
        session.add(
            PromptDelivery(
                patient_id=patient_id,
                identity_id=target.identity_id,
                channel=target.channel,
                intent=intent,
                local_date=local_date,
                status=status,
                provider_message_id=provider_id or None,
                error=(error or "")[:ERROR_CHARS] or None,
            )
        )


def _send(http: httpx.Client, target: Target, intent: str) -> str | None:
    """Deliver now; the provider's message id. Raises RasaError / DeliveryError."""
    settings = channel_settings()
    template = settings.whatsapp_content_sids.get(intent)
    if target.channel == WHATSAPP and template:
        first_name = (target.display_name.split() or [""])[0]
        return send_twilio(
            notify_settings(),
            target.sender_id.removeprefix(f"{WHATSAPP}:"),
            from_=settings.twilio_whatsapp_from,
            content_sid=template,
            content_variables={"1": first_name},
        )
    app = get_settings()
    answer = trigger_intent(
        http, app.rasa_url, app.rasa_token, target.sender_id, target.channel, intent
    )
    ids = [m.get("provider_message_id") for m in answer.get("messages") or []]
    return next((str(i) for i in reversed(ids) if i), None)


def deliver_prompt(
    factory: sessionmaker[Session],
    http: httpx.Client,
    patient_id: int,
    local_date: date,
    intent: str,
) -> PromptOutcome:
    """Prompt the patient on their channel now (see the module docstring)."""
    with factory() as session:
        target = prompt_target(session, patient_id, local_date)
    if target is None:
        return PromptOutcome(False, error=NO_CHANNEL_LEFT, exhausted=True)
    intent = prompt_intent(intent, target.clip_consented)
    if target.channel == WEBCHAT:
        sweep = _sweep_intents()
        same_kind = sweep if intent in sweep else {intent}  # today's check-in replaces older ones
        with factory.begin() as session:
            session.execute(
                update(PromptDelivery)
                .where(
                    PromptDelivery.identity_id == target.identity_id,
                    PromptDelivery.status == QUEUED,
                    PromptDelivery.intent.in_(same_kind),
                )
                .values(status=SUPERSEDED, updated_at=datetime.now(timezone.utc))
                .execution_options(synchronize_session=False)
            )
        _record(factory, patient_id, target, intent, local_date, QUEUED)
        return PromptOutcome(True, target.channel)
    try:
        provider_id = _send(http, target, intent)
    except (RasaError, DeliveryError) as exc:
        _record(factory, patient_id, target, intent, local_date, FAILED, error=str(exc))
        return PromptOutcome(False, target.channel, str(exc))
    _record(factory, patient_id, target, intent, local_date, ACCEPTED, provider_id)
    return PromptOutcome(True, target.channel)


def take_queued_prompt(session: Session, identity_id: int) -> PromptDelivery | None:
    """The oldest web chat prompt waiting for this identity (older ones of the same kind were
    superseded when it was queued)."""
    return session.scalar(
        select(PromptDelivery)
        .where(PromptDelivery.identity_id == identity_id, PromptDelivery.status == QUEUED)
        .order_by(PromptDelivery.id)
        .limit(1)
    )


def mark(session: Session, delivery_id: int, status: str, error: str | None = None) -> None:
    """Record what happened to a delivery."""
    session.execute(
        update(PromptDelivery)
        .where(PromptDelivery.id == delivery_id)
        .values(
            status=status,
            error=(error or "")[:ERROR_CHARS] or None,
            updated_at=datetime.now(timezone.utc),
        )
        .execution_options(synchronize_session=False)
    )


def apply_provider_status(session: Session, message_id: str, status: str, error: str = "") -> bool:
    """A provider's delivery report; a failed prompt is retried by the next sweep (or goes to
    the next channel). False when the message is not a prompt."""
    delivery = session.scalar(
        select(PromptDelivery).where(PromptDelivery.provider_message_id == message_id)
    )
    if delivery is None:
        return False
    if status in ("failed", "undelivered"):
        mark(session, delivery.id, FAILED, f"{status} {error}".strip())
        if delivery.intent not in _sweep_intents():  # e.g. a recovery nudge: sent once
            return True
        session.execute(
            update(Patient)
            .where(
                Patient.id == delivery.patient_id, Patient.last_prompted_on == delivery.local_date
            )
            .values(last_prompted_on=None, prompt_claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        log.warning("prompt %s was not delivered (%s); it will be retried", delivery.id, status)
    elif status in ("delivered", "read") and delivery.status != FAILED:
        mark(session, delivery.id, DELIVERED)
    return True
