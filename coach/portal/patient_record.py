"""A patient's record for the patient page: timeline, chart series, clips, alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from coach.notify.render import as_utc
from coach.storage.models import (
    CheckIn,
    ClipAnalysis,
    Escalation,
    Patient,
    QuestionnaireResponse,
)

TIMELINE_DAYS = 14  # one page of the timeline


@dataclass(frozen=True)
class TimelineEntry:
    """One dated thing that happened: a check-in, a questionnaire, a clip or an alert."""

    at: datetime
    kind: str  # checkin | saq | clip | alert
    item: Any
    symptoms: list[Any] = field(default_factory=list)


@dataclass
class PatientRecord:
    """Everything the patient page shows, loaded with a handful of queries."""

    patient: Patient
    checkins: list[Any]  # (completed_at, sessions_done, minutes_practised, mood) rows, full history
    saqs: list[QuestionnaireResponse]
    clips: list[ClipAnalysis]
    alerts: list[Escalation]
    timeline: list[TimelineEntry]
    timeline_before: datetime | None  # start of the next (older) timeline page, if any


def load_record(
    db: Session, patient: Patient, *, until: datetime, timeline_days: int = TIMELINE_DAYS
) -> PatientRecord:
    """The record of `patient` with a timeline page ending at `until` (newest first)."""
    checkins = db.execute(
        select(CheckIn.completed_at, CheckIn.sessions_done, CheckIn.minutes_practised, CheckIn.mood)
        .where(CheckIn.patient_id == patient.id)
        .order_by(CheckIn.completed_at)
    ).all()
    saqs = list(
        db.scalars(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.patient_id == patient.id)
            .order_by(QuestionnaireResponse.answered_at)
        )
    )
    clips = list(
        db.scalars(
            select(ClipAnalysis)
            .where(ClipAnalysis.patient_id == patient.id)
            .order_by(ClipAnalysis.created_at)
        )
    )
    alerts = list(
        db.scalars(
            select(Escalation)
            .where(Escalation.patient_id == patient.id)
            .order_by(Escalation.created_at.desc())
        )
    )
    since = until - timedelta(days=timeline_days)
    page_checkins = db.scalars(
        select(CheckIn)
        .where(
            CheckIn.patient_id == patient.id,
            CheckIn.completed_at < until,
            CheckIn.completed_at >= since,
        )
        .options(selectinload(CheckIn.symptoms))
        .order_by(CheckIn.completed_at.desc())
    ).all()
    entries = [
        TimelineEntry(as_utc(c.completed_at), "checkin", c, list(c.symptoms)) for c in page_checkins
    ]
    window = [
        (as_utc(s.answered_at), "saq", s) for s in saqs if since <= as_utc(s.answered_at) < until
    ]
    window += [
        (as_utc(c.created_at), "clip", c) for c in clips if since <= as_utc(c.created_at) < until
    ]
    window += [
        (as_utc(a.created_at), "alert", a) for a in alerts if since <= as_utc(a.created_at) < until
    ]
    entries += [TimelineEntry(at, kind, item) for at, kind, item in window]
    entries.sort(key=lambda e: e.at, reverse=True)
    oldest = [as_utc(checkins[0].completed_at)] if checkins else []
    oldest += [as_utc(s.answered_at) for s in saqs[:1]] + [as_utc(c.created_at) for c in clips[:1]]
    more = bool(oldest) and min(oldest) < since
    return PatientRecord(
        patient, list(checkins), saqs, clips, alerts, entries, since if more else None
    )
