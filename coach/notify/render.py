"""Render an outbox row into the words of one channel, all wording from notifications.yml.

Therapist, backup and duty messages name no patient and carry no clinical detail: a severity,
a link to the alert in the portal (login required) and a single-use acknowledge link. The
patient's words and the evidence are only shown in the portal.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from coach.config import get_settings
from coach.content import load_content
from coach.escalation.links import ack_url, portal_alert_url, token_for
from coach.storage.models import Escalation, Notification, Patient, as_utc

TIME_FORMAT = "%Y-%m-%d %H:%M"
LINKED_RECIPIENTS = ("therapist", "backup", "duty")


class TemplateError(Exception):
    """The content file has no wording for this template/channel, or a placeholder is unknown."""


@dataclass(frozen=True)
class Rendered:
    """One message ready to send: subject/text/html for email, text for SMS."""

    subject: str
    text: str
    html: str


def content() -> dict[str, Any]:
    """The notifications content file."""
    return load_content("notifications")


def format_text(template: str, values: dict[str, Any], *, escape: bool = False) -> str:
    """Fill `template`; with `escape`, values are HTML-escaped except `*_html` ones."""
    safe = {
        k: html.escape(str(v)) if escape and not k.endswith("_html") else v
        for k, v in values.items()
    }
    try:
        return template.format_map(safe)
    except (KeyError, IndexError, ValueError) as exc:
        raise TemplateError(f"placeholder problem in template: {exc!r}") from exc


def _locale_numbers(locale: str) -> dict[str, str]:
    locales = load_content("locales")
    entry = locales["locales"].get(locale) or locales["locales"][locales["default"]]
    return {"emergency_number": entry["emergency_number"]}


def escalation_context(notification: Notification, escalation: Escalation) -> dict[str, Any]:
    """Placeholders for a message about `escalation`: severity, times and the two links."""
    texts = content()
    token, expires = token_for(notification)
    evidence = escalation.evidence or {}
    return {
        "escalation_id": escalation.id,
        "level_label": texts["level_labels"].get(escalation.level, escalation.level),
        "raised_at": as_utc(escalation.created_at).strftime(TIME_FORMAT),
        "portal_url": portal_alert_url(escalation.id),
        "ack_url": ack_url(token),
        "ack_expires": expires.strftime(TIME_FORMAT),
        "ladder_step": (notification.payload or {}).get("ladder_step", 0),
        # dead-letter alerts (coach.escalation.deadletter): what failed, without content
        "failed_recipient_kind": evidence.get("failed_recipient_kind", "-"),
        "failed_channel": evidence.get("failed_channel", "-"),
        "failed_attempts": evidence.get("failed_attempts", "-"),
        "failed_escalation_id": evidence.get("failed_escalation_id") or "-",
        "failed_level_label": texts["level_labels"].get(evidence.get("failed_level"), "-"),
    }


def _patient_context(patient: Patient | None) -> dict[str, Any]:
    if patient is None:
        return {}
    first = (patient.display_name or "").split(" ")[0] or patient.display_name
    return {"patient_first_name": first, **_locale_numbers(patient.locale)}


def _digest_context(payload: dict[str, Any]) -> dict[str, Any]:
    keys = ("therapist_name", "period_start", "period_end", "patients", "checkins", "open_alerts")
    values = {key: payload.get(key, "") for key in keys}
    values["portal_url"] = get_settings().portal_base_url + "/"
    return values


def build_context(
    notification: Notification, escalation: Escalation | None, patient: Patient | None
) -> dict[str, Any]:
    """All placeholders for `notification`, given its escalation and patient (if any)."""
    values: dict[str, Any] = {}
    if escalation is not None and notification.recipient_kind in LINKED_RECIPIENTS:
        values.update(escalation_context(notification, escalation))
    if notification.recipient_kind == "caregiver":
        values.update(_patient_context(patient))
    if notification.template == "therapist_weekly_digest":
        values.update(_digest_context(notification.payload or {}))
    return values


def render(template: str, channel: str, values: dict[str, Any]) -> Rendered:
    """The wording of `template` for `channel`, filled with `values`."""
    entry = content()["templates"].get(template)
    if entry is None or channel not in entry:
        raise TemplateError(f"no wording for template {template!r} on channel {channel!r}")
    if channel == "sms":
        body = format_text(entry["sms"]["body"], values)
        return Rendered(subject="", text=body, html="")
    email = entry["email"]
    return Rendered(
        subject=format_text(email["subject"], values).strip(),
        text=format_text(email["text"], values),
        html=format_text(email["html"], values, escape=True),
    )
