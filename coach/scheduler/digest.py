"""Weekly digest to each therapist: one outbox email per therapist per ISO week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from coach.config import get_settings
from coach.content import load_content
from coach.scheduler.reminders import add_once
from coach.scheduler.settings import SchedulerSettings
from coach.scheduler.sweep import zone_info
from coach.storage.models import CheckIn, Escalation, Notification, Therapist

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_digest_at(spec: str) -> tuple[int, time]:
    """`"mon 08:00"` → (0, 08:00): ISO weekday index from Monday and local wall-clock time."""
    day, _, clock = spec.strip().lower().partition(" ")
    hour, _, minute = clock.strip().partition(":")
    if day[:3] not in WEEKDAYS:
        raise ValueError(f"SCHEDULER_DIGEST_AT: unknown weekday in {spec!r}")
    return WEEKDAYS.index(day[:3]), time(int(hour or 0), int(minute or 0))


def digest_week(now: datetime, zone: ZoneInfo, weekday: int, at: time) -> str | None:
    """The local ISO week (e.g. "2026-W48") whose digest is due at `now`, or None before it is."""
    local = now.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    due = datetime.combine(monday + timedelta(days=weekday), at, tzinfo=zone)
    if local < due:
        return None
    year, week, _ = date.isocalendar(monday)
    return f"{year}-W{week:02d}"


@dataclass
class DigestStats:
    therapists: int = 0
    queued: int = 0


def _week_counts(session: Session, patient_ids: list[int], since: datetime) -> dict[str, int]:
    """Counts for the digest (it names no patient: each patient's week is in the portal)."""
    checkins = session.scalar(
        select(func.count(CheckIn.id)).where(
            CheckIn.patient_id.in_(patient_ids), CheckIn.completed_at >= since
        )
    )
    open_alerts = session.scalar(
        select(func.count(Escalation.id)).where(
            Escalation.patient_id.in_(patient_ids), Escalation.status == "open"
        )
    )
    return {
        "patients": len(patient_ids),
        "checkins": checkins or 0,
        "open_alerts": open_alerts or 0,
    }


def run_digest(
    factory: sessionmaker[Session], settings: SchedulerSettings, *, now: datetime | None = None
) -> DigestStats:
    """Queue the digest of every therapist (with active patients) whose local weekday and time
    have come this local ISO week; idempotent per therapist and week."""
    now = now or datetime.now(timezone.utc)
    weekday, at = parse_digest_at(settings.digest_at)
    days = int(load_content("notifications")["digest"]["days"])
    since = now - timedelta(days=days)
    stats = DigestStats()
    with factory.begin() as session:
        for therapist in session.scalars(select(Therapist).order_by(Therapist.id)):
            zone = zone_info(therapist.timezone or get_settings().default_timezone)
            week = digest_week(now, zone, weekday, at)
            if week is None:
                continue
            patients = [p for p in therapist.patients if p.active]
            if not patients:
                continue
            stats.therapists += 1
            row = Notification(
                idempotency_key=f"digest:{therapist.id}:{week}",
                recipient_kind="therapist",
                recipient_id=therapist.id,
                channel="email",
                address=therapist.email,
                template="therapist_weekly_digest",
                payload={
                    "therapist_name": therapist.name,
                    "period_start": since.date().isoformat(),
                    "period_end": now.date().isoformat(),
                    **_week_counts(session, [p.id for p in patients], since),
                },
            )
            if add_once(session, row):
                stats.queued += 1
    return stats
