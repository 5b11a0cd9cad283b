"""Weekly digest to each therapist: one outbox email per therapist per ISO week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from statistics import mean

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from coach.content import load_content
from coach.scheduler.reminders import add_once
from coach.scheduler.settings import SchedulerSettings
from coach.storage.models import (
    CheckIn,
    Escalation,
    Notification,
    Patient,
    QuestionnaireResponse,
    Therapist,
)

MOOD_DECIMALS = 1


@dataclass
class DigestStats:
    therapists: int = 0
    queued: int = 0


def _patient_row(session: Session, patient: Patient, since: datetime) -> dict[str, object]:
    moods = session.scalars(
        select(CheckIn.mood).where(CheckIn.patient_id == patient.id, CheckIn.completed_at >= since)
    ).all()
    latest_saq = session.scalar(
        select(QuestionnaireResponse.score)
        .where(QuestionnaireResponse.patient_id == patient.id)
        .order_by(QuestionnaireResponse.answered_at.desc())
        .limit(1)
    )
    open_alerts = session.scalar(
        select(func.count(Escalation.id)).where(
            Escalation.patient_id == patient.id, Escalation.status == "open"
        )
    )
    known = [m for m in moods if m is not None]
    return {
        "patient_name": patient.display_name,
        "checkins": len(moods),
        "mood": round(mean(known), MOOD_DECIMALS) if known else None,
        "saq": round(latest_saq, MOOD_DECIMALS) if latest_saq is not None else None,
        "open_alerts": open_alerts or 0,
    }


def run_digest(
    factory: sessionmaker[Session], settings: SchedulerSettings, *, now: datetime | None = None
) -> DigestStats:
    """Queue this ISO week's digest for every therapist with active patients (idempotent)."""
    now = now or datetime.now(timezone.utc)
    days = int(load_content("notifications")["digest"]["days"])
    since = now - timedelta(days=days)
    year, week, _ = now.isocalendar()
    stats = DigestStats()
    with factory.begin() as session:
        for therapist in session.scalars(select(Therapist).order_by(Therapist.id)):
            patients = [p for p in therapist.patients if p.active]
            if not patients:
                continue
            stats.therapists += 1
            row = Notification(
                idempotency_key=f"digest:{therapist.id}:{year}-W{week:02d}",
                recipient_kind="therapist",
                recipient_id=therapist.id,
                channel="email",
                address=therapist.email,
                template="therapist_weekly_digest",
                payload={
                    "therapist_name": therapist.name,
                    "period_start": since.date().isoformat(),
                    "period_end": now.date().isoformat(),
                    "rows": [_patient_row(session, p, since) for p in patients],
                },
            )
            if add_once(session, row):
                stats.queued += 1
    return stats
