"""Send one outbox row over its channel (render → channel); raises DeliveryError on failure."""

from __future__ import annotations

from typing import Any

from coach.escalation.links import portal_alert_url
from coach.notify.channels import DeliveryError, Senders
from coach.notify.render import TemplateError, build_context, content, render
from coach.storage.models import Escalation, Notification, Patient, as_utc


def webhook_payload(notification: Notification, escalation: Escalation | None) -> dict[str, Any]:
    """The JSON body for a clinic system: identifiers and severity, no patient's words."""
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
            "patient_id": escalation.patient_id,
            "created_at": as_utc(escalation.created_at).isoformat(),
            "ladder_step": (notification.payload or {}).get("ladder_step", 0),
            "portal_url": portal_alert_url(escalation.id),
        },
    }


def deliver_notification(
    senders: Senders,
    notification: Notification,
    escalation: Escalation | None,
    patient: Patient | None,
) -> None:
    """Render and send `notification` on the open `senders`."""
    key = notification.idempotency_key
    if notification.channel == "webhook":
        senders.webhook(webhook_payload(notification, escalation), notification.address, key)
        return
    try:
        rendered = render(
            notification.template,
            notification.channel,
            build_context(notification, escalation, patient),
        )
    except TemplateError as exc:
        raise DeliveryError(f"template: {exc}", permanent=True) from exc
    if notification.channel == "email":
        senders.email(rendered, notification.address, key)
    elif notification.channel == "sms":
        senders.sms(rendered, notification.address, key)
    else:
        raise DeliveryError(f"unknown channel {notification.channel!r}", permanent=True)
