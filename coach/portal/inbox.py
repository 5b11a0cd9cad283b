"""The alert inbox: escalations a user may act on, most severe first, then oldest first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from coach.content import load_content
from coach.notify.render import as_utc
from coach.portal.access import escalation_clause
from coach.storage.models import Escalation, Patient, PortalUser

WORDS_KEYS = ("text", "message")
LADDER_LABELS = {
    0: "therapist notified",
    1: "reminder sent to therapist",
    2: "backup contact notified",
}
UNRESOLVED = ("open", "acknowledged")
INBOX_LIMIT = 100  # most severe and oldest first; the page says when more exist


@dataclass(frozen=True)
class Evidence:
    """One line of evidence: label and value; `words` marks the patient's own words."""

    label: str
    value: str
    words: bool = False
    clip_analysis_id: int | None = None


@dataclass(frozen=True)
class Alert:
    """An escalation as the inbox shows it."""

    escalation: Escalation
    patient_id: int | None
    patient_name: str | None
    level_label: str
    kind_label: str
    age: str
    ladder_label: str
    evidence: list[Evidence]


def age_text(since: datetime, now: datetime) -> str:
    """'3 d 4 h', '2 h 5 min', '7 min'."""
    minutes = max(0, int((now - as_utc(since)).total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def evidence_of(escalation: Escalation) -> list[Evidence]:
    """The evidence as readable lines, the patient's own words marked."""
    texts = load_content("notifications")
    labels, kinds = texts["evidence_labels"], texts["kind_labels"]
    lines = []
    for key, value in (escalation.evidence or {}).items():
        if key == "clip_analysis_id":
            lines.append(Evidence(labels.get(key, key), str(value), clip_analysis_id=int(value)))
            continue
        shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        if key == "flag":
            shown = kinds.get(shown, shown)
        label = labels.get(key, key.replace("_", " ").capitalize())
        lines.append(Evidence(label, shown, words=key in WORDS_KEYS))
    return lines


def describe(escalation: Escalation, patient: Patient | None, now: datetime) -> Alert:
    """An escalation with its labels, age, ladder step and evidence."""
    texts = load_content("notifications")
    return Alert(
        escalation=escalation,
        patient_id=patient.id if patient else None,
        patient_name=patient.display_name if patient else None,
        level_label=texts["level_labels"].get(escalation.level, escalation.level),
        kind_label=texts["kind_labels"].get(escalation.kind, escalation.kind),
        age=age_text(escalation.created_at, now),
        ladder_label=LADDER_LABELS.get(escalation.ladder_step, f"step {escalation.ladder_step}"),
        evidence=evidence_of(escalation),
    )


def inbox(
    db: Session,
    user: PortalUser,
    *,
    statuses: tuple[str, ...] = UNRESOLVED,
    limit: int = INBOX_LIMIT,
) -> list[Alert]:
    """Unresolved alerts `user` may act on: by severity, then age (oldest first)."""
    now = datetime.now(timezone.utc)
    order = load_content("portal")["level_order"]
    severity = case({level: rank for rank, level in enumerate(order)}, value=Escalation.level)
    rows = db.execute(
        select(Escalation, Patient)
        .outerjoin(Patient, Patient.id == Escalation.patient_id)
        .where(escalation_clause(user), Escalation.status.in_(statuses))
        .order_by(
            case((Escalation.status == "open", 0), else_=1),
            severity,
            Escalation.created_at,
        )
        .limit(limit)
    ).all()
    return [describe(escalation, patient, now) for escalation, patient in rows]


def unresolved_total(db: Session, user: PortalUser) -> int:
    """How many unresolved alerts `user` may act on (the inbox shows at most its limit)."""
    return int(
        db.scalar(
            select(func.count(Escalation.id))
            .outerjoin(Patient, Patient.id == Escalation.patient_id)
            .where(escalation_clause(user), Escalation.status.in_(UNRESOLVED))
        )
        or 0
    )


def counts(alerts: list[Alert]) -> dict[str, Any]:
    """Open alerts per level (for the inbox header)."""
    result: dict[str, int] = {}
    for alert in alerts:
        if alert.escalation.status == "open":
            result[alert.escalation.level] = result.get(alert.escalation.level, 0) + 1
    return result
