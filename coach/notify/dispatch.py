"""Send one outbox row over its channel (render → channel); raises DeliveryError on failure."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from coach.notify.channels import DeliveryError, send_email, send_sms, send_webhook
from coach.notify.render import (
    TemplateError,
    as_utc,
    build_context,
    content,
    render,
)
from coach.notify.settings import NotifySettings
from coach.storage.models import Escalation, Notification


def webhook_payload(
    session: Session, notification: Notification, values: dict[str, Any]
) -> dict[str, Any]:
    """The JSON body for a clinic system: structured data, no prose."""
    escalation = (
        session.get(Escalation, notification.escalation_id)
        if notification.escalation_id is not None
        else None
    )
    if escalation is None:
        raise DeliveryError("webhook messages need an escalation", permanent=True)
    return {
        "event": content()["webhook"]["event"],
        "idempotency_key": notification.idempotency_key,
        "template": notification.template,
        "escalation": {
            "id": escalation.id,
            "kind": escalation.kind,
            "level": escalation.level,
            "kind_label": values.get("kind_label"),
            "level_label": values.get("level_label"),
            "patient_id": escalation.patient_id,
            "created_at": as_utc(escalation.created_at).isoformat(),
            "ladder_step": (notification.payload or {}).get("ladder_step", 0),
            "evidence": escalation.evidence or {},
            "ack_url": values.get("ack_url"),
        },
    }


def deliver_notification(
    session: Session, notification: Notification, ack_base_url: str, settings: NotifySettings
) -> None:
    """Render and send `notification`; `session` is only read from."""
    try:
        values = build_context(session, notification, ack_base_url)
        if notification.channel == "webhook":
            payload = webhook_payload(session, notification, values)
            send_webhook(payload, notification.address, notification.idempotency_key, settings)
            return
        rendered = render(notification.template, notification.channel, values)
    except TemplateError as exc:
        raise DeliveryError(f"template: {exc}", permanent=True) from exc
    if notification.channel == "email":
        send_email(rendered, notification.address, notification.idempotency_key, settings)
    elif notification.channel == "sms":
        send_sms(rendered, notification.address, settings)
    else:
        raise DeliveryError(f"unknown channel {notification.channel!r}", permanent=True)
