"""Escalation ladder: unacknowledged escalations re-notify the therapist, then the backup.

Timers per severity live in notifications.yml (`ladder`), each counted from the previous step.
Taking a step is a conditional update on `ladder_step`, so two schedulers never take it twice,
and its notifications are written in the same transaction (the outbox delivers them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from coach.content import load_content
from coach.escalation.recipients import Audience, notifications_for, recipients
from coach.storage.models import AuditEvent, Escalation, Patient, as_utc

STEP_AUDIENCE = {1: Audience.RENOTIFY, 2: Audience.BACKUP}
LAST_STEP = max(STEP_AUDIENCE)


@dataclass
class LadderStats:
    scheduled: int = 0
    stepped: int = 0
    notifications: int = 0


def step_delays(level: str) -> list[timedelta]:
    """Delay before step 1 and before step 2 for `level` (from notifications.yml)."""
    ladder = load_content("notifications")["ladder"]
    timers = ladder.get(level) or ladder["urgent"]
    return [
        timedelta(minutes=float(timers["renotify_therapist_after_minutes"])),
        timedelta(minutes=float(timers["notify_backup_after_minutes"])),
    ]


def _take_step(session: Session, escalation: Escalation, now: datetime) -> int | None:
    """Advance one step if nobody else did; returns the number of notifications written."""
    step = escalation.ladder_step + 1
    delays = step_delays(escalation.level)
    next_at = now + delays[step] if step < LAST_STEP else None
    result = session.execute(
        update(Escalation)
        .where(
            Escalation.id == escalation.id,
            Escalation.status == "open",
            Escalation.ladder_step == escalation.ladder_step,
        )
        .values(ladder_step=step, next_step_at=next_at)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    patient = session.get(Patient, escalation.patient_id) if escalation.patient_id else None
    audience = STEP_AUDIENCE[step]
    rows = notifications_for(
        escalation, recipients(session, escalation, patient, audience), step, audience
    )
    session.add_all(rows)
    session.add(
        AuditEvent(
            actor="scheduler",
            action="escalation_ladder_step",
            subject_type="escalation",
            subject_id=escalation.id,
            detail={"step": step, "notifications": len(rows)},
        )
    )
    return len(rows)


def run_ladder(factory: sessionmaker[Session], *, now: datetime | None = None) -> LadderStats:
    """Schedule new escalations' first step; take every step that is due."""
    now = now or datetime.now(timezone.utc)
    stats = LadderStats()
    with factory.begin() as session:
        due = session.scalars(
            select(Escalation)
            .where(Escalation.status == "open", Escalation.ladder_step < LAST_STEP)
            .where(or_(Escalation.next_step_at.is_(None), Escalation.next_step_at <= now))
            .order_by(Escalation.id)
        ).all()
        for escalation in due:
            if escalation.next_step_at is None and escalation.ladder_step == 0:
                first = as_utc(escalation.created_at) + step_delays(escalation.level)[0]
                session.execute(
                    update(Escalation)
                    .where(Escalation.id == escalation.id, Escalation.next_step_at.is_(None))
                    .values(next_step_at=first)
                    .execution_options(synchronize_session=False)
                )
                stats.scheduled += 1
                if first > now:
                    continue
            written = _take_step(session, escalation, now)
            if written is not None:
                stats.stepped += 1
                stats.notifications += written
    return stats
