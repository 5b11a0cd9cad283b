"""Low mood told in a message: the supportive reply's pieces, and the repeated-low-mood note."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.content import load_content
from coach.escalation.raising import EscalationRequest, raise_escalation
from coach.storage.models import CheckIn, MoodReport, Patient
from coach.triage.who_was_told import recipient_kinds

LOW_MOOD_REPEATED = "low_mood_repeated"


@dataclass(frozen=True)
class MoodOutcome:
    """Whether low mood has now been repeated over several days, and who was told."""

    low_days: int
    repeated: bool
    recipients: set[str]


def feeling_reflection(text: str) -> str:
    """One sentence that names the feeling the message expresses (content/safety.yml)."""
    content = load_content("safety")
    lowered = (text or "").lower().replace("\u2019", "'")
    for entry in content["feelings"]:
        if re.search(entry["pattern"], lowered):
            return entry["reflection"]
    return content["default_reflection"]


def peer_support(locale: str | None) -> str:
    """Peer-support organisations to name for `locale`."""
    options = load_content("locales")["peer_support"]
    return options.get(locale or "", options["default"])


def _low_days(session: Session, patient: Patient, since: datetime) -> int:
    """Distinct days since `since` with low mood: messages, or a check-in mood at/below low."""
    low = load_content("clinical")["mood"]["low_threshold"]
    told = session.scalars(
        select(MoodReport.reported_at).where(
            MoodReport.patient_id == patient.id, MoodReport.reported_at >= since
        )
    )
    scored = session.scalars(
        select(CheckIn.completed_at).where(
            CheckIn.patient_id == patient.id,
            CheckIn.completed_at >= since,
            CheckIn.mood <= low,
        )
    )
    return len({moment.date() for moment in [*told, *scored]})


def record_low_mood(
    session: Session, patient: Patient, source_key: str, now: datetime | None = None
) -> MoodOutcome:
    """Store one low-mood message (idempotent) and note repeated low mood to the therapist."""
    now = now or datetime.now(timezone.utc)
    rules = load_content("clinical")["mood"]
    if session.scalar(select(MoodReport.id).where(MoodReport.source_key == source_key)) is None:
        session.add(MoodReport(patient_id=patient.id, source_key=source_key, reported_at=now))
        session.flush()
    days = _low_days(session, patient, now - timedelta(days=rules["repeated_low_window_days"]))
    if days < rules["repeated_low_days"]:
        return MoodOutcome(low_days=days, repeated=False, recipients=set())
    year, week, _ = now.isocalendar()
    escalation = raise_escalation(
        session,
        patient,
        EscalationRequest(
            kind=LOW_MOOD_REPEATED,
            idempotency_key=f"{LOW_MOOD_REPEATED}:{patient.id}:{year}-W{week:02d}",
            evidence={"source": "messages", "low_mood_days": days},
        ),
    )
    return MoodOutcome(low_days=days, repeated=True, recipients=recipient_kinds([escalation]))
