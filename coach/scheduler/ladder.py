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
from coach.notify.render import as_utc
from coach.scheduler.settings import SchedulerSettings
from coach.storage.models import AuditEvent, Escalation, Notification, Patient

STEP_RENOTIFY = 1
STEP_BACKUP = 2
LAST_STEP = STEP_BACKUP
SMS_LEVELS = ("emergency", "urgent")


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


def _step_notifications(
    escalation: Escalation, patient: Patient | None, step: int, clinic_backup: str
) -> list[Notification]:
    therapist = patient.therapist if patient is not None else None
    base = f"{escalation.idempotency_key}:ladder:{step}"
    payload = {"escalation_kind": escalation.kind, "ladder_step": step}
    rows: list[Notification] = []
    if step == STEP_RENOTIFY and therapist is not None:
        rows.append(
            Notification(
                idempotency_key=f"{base}:therapist:{therapist.id}:email",
                recipient_kind="therapist",
                recipient_id=therapist.id,
                channel="email",
                address=therapist.email,
                template="escalation_reminder",
                payload=payload,
            )
        )
        if therapist.phone and escalation.level in SMS_LEVELS:
            rows.append(
                Notification(
                    idempotency_key=f"{base}:therapist:{therapist.id}:sms",
                    recipient_kind="therapist",
                    recipient_id=therapist.id,
                    channel="sms",
                    address=therapist.phone,
                    template="escalation_reminder",
                    payload=payload,
                )
            )
    if step == STEP_BACKUP:
        addresses = [therapist.backup_email if therapist else None, clinic_backup or None]
        unique = [a for i, a in enumerate(addresses) if a and a not in addresses[:i]]
        for index, address in enumerate(unique):
            rows.append(
                Notification(
                    idempotency_key=f"{base}:backup:{index}:email",
                    recipient_kind="backup",
                    recipient_id=therapist.id if therapist else None,
                    channel="email",
                    address=address,
                    template="escalation_backup",
                    payload=payload,
                )
            )
    for row in rows:
        row.escalation_id = escalation.id
    return rows


def _take_step(
    session: Session, escalation: Escalation, now: datetime, clinic_backup: str
) -> int | None:
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
    rows = _step_notifications(escalation, patient, step, clinic_backup)
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


def run_ladder(
    factory: sessionmaker[Session], settings: SchedulerSettings, *, now: datetime | None = None
) -> LadderStats:
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
            written = _take_step(session, escalation, now, settings.clinic_backup_email)
            if written is not None:
                stats.stepped += 1
                stats.notifications += written
    return stats
