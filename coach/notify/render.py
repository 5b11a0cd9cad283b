"""Render an outbox row into the words of one channel, all wording from notifications.yml."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from coach.content import load_content
from coach.notify.ack_link import ack_url, make_token
from coach.storage.models import Escalation, Notification, Patient

TIME_FORMAT = "%Y-%m-%d %H:%M"


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


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes: every stored timestamp is UTC."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def format_text(template: str, values: dict[str, Any], *, escape: bool = False) -> str:
    """Fill `template`; with `escape`, values are HTML-escaped except `*_html` ones."""
    return _format(template, values, escape=escape)


def _format(template: str, values: dict[str, Any], *, escape: bool) -> str:
    safe = {
        k: html.escape(str(v)) if escape and not k.endswith("_html") else v
        for k, v in values.items()
    }
    try:
        return template.format_map(safe)
    except (KeyError, IndexError, ValueError) as exc:
        raise TemplateError(f"placeholder problem in template: {exc!r}") from exc


def _evidence(evidence: dict[str, Any]) -> tuple[str, str]:
    texts = content()
    labels = texts["evidence_labels"]
    line = texts["evidence_line"]
    if not evidence:
        return line["empty"], f"<li>{html.escape(line['empty'])}</li>"
    text_lines, html_lines = [], []
    for key, value in evidence.items():
        label = labels.get(key, key.replace("_", " ").capitalize())
        shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        values = {"label": label, "value": shown}
        text_lines.append(_format(line["text"], values, escape=False))
        html_lines.append(_format(line["html"], values, escape=True))
    return "\n".join(text_lines), "".join(html_lines)


def _locale_numbers(locale: str) -> dict[str, str]:
    locales = load_content("locales")
    entry = locales["locales"].get(locale) or locales["locales"][locales["default"]]
    return {"emergency_number": entry["emergency_number"]}


def escalation_context(
    escalation: Escalation, patient: Patient | None, recipient: str, ack_base_url: str
) -> dict[str, Any]:
    """Placeholders describing one escalation, with a fresh signed acknowledge link."""
    texts = content()
    token, expires = make_token(escalation.id, recipient)
    evidence_text, evidence_html = _evidence(escalation.evidence or {})
    therapist = patient.therapist if patient is not None else None
    return {
        "escalation_id": escalation.id,
        "level_label": texts["level_labels"].get(escalation.level, escalation.level),
        "kind_label": texts["kind_labels"].get(escalation.kind, escalation.kind),
        "patient_name": patient.display_name if patient else "-",
        "patient_id": escalation.patient_id if escalation.patient_id is not None else "-",
        "therapist_name": therapist.name if therapist else "-",
        "raised_at": as_utc(escalation.created_at).strftime(TIME_FORMAT),
        "evidence_text": evidence_text,
        "evidence_html": evidence_html,
        "ack_url": ack_url(ack_base_url, token),
        "ack_expires": expires.strftime(TIME_FORMAT),
    }


def _patient_context(patient: Patient | None) -> dict[str, Any]:
    if patient is None:
        return {}
    first = (patient.display_name or "").split(" ")[0] or patient.display_name
    return {"patient_first_name": first, **_locale_numbers(patient.locale)}


def _digest_context(payload: dict[str, Any]) -> dict[str, Any]:
    line = content()["templates"]["therapist_weekly_digest"]["line"]
    rows = []
    for row in payload.get("rows", []):
        values = {k: (line["none"] if v is None else v) for k, v in row.items()}
        rows.append(values)
    return {
        "therapist_name": payload.get("therapist_name", ""),
        "period_start": payload.get("period_start", ""),
        "period_end": payload.get("period_end", ""),
        "digest_text": "\n".join(_format(line["text"], r, escape=False) for r in rows),
        "digest_html": "".join(_format(line["html"], r, escape=True) for r in rows),
    }


def build_context(
    session: Session, notification: Notification, ack_base_url: str
) -> dict[str, Any]:
    """All placeholders for `notification` (reads its escalation and patient)."""
    values: dict[str, Any] = {}
    payload = notification.payload or {}
    escalation = (
        session.get(Escalation, notification.escalation_id)
        if notification.escalation_id is not None
        else None
    )
    patient_id = payload.get("patient_id") or (escalation.patient_id if escalation else None)
    patient = session.get(Patient, patient_id) if patient_id is not None else None
    if escalation is not None and notification.recipient_kind != "caregiver":
        recipient = f"{notification.recipient_kind}:{notification.recipient_id or 0}"
        values.update(escalation_context(escalation, patient, recipient, ack_base_url))
    if notification.recipient_kind == "caregiver":
        values.update(_patient_context(patient))
    if notification.template == "therapist_weekly_digest":
        values.update(_digest_context(payload))
    values.update({k: v for k, v in payload.items() if k.startswith("failed_")})
    return values


def render(template: str, channel: str, values: dict[str, Any]) -> Rendered:
    """The wording of `template` for `channel`, filled with `values`."""
    entry = content()["templates"].get(template)
    if entry is None or (channel not in entry and not (channel == "webhook" and entry)):
        raise TemplateError(f"no wording for template {template!r} on channel {channel!r}")
    if channel == "sms":
        body = _format(entry["sms"]["body"], values, escape=False)
        return Rendered(subject="", text=body, html="")
    email = entry.get("email")
    if email is None:
        raise TemplateError(f"template {template!r} has no email wording")
    return Rendered(
        subject=_format(email["subject"], values, escape=False).strip(),
        text=_format(email["text"], values, escape=False),
        html=_format(email["html"], values, escape=True),
    )
