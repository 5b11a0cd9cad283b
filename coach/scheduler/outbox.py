"""Outbox delivery: atomic claiming, sending, retry with backoff + jitter, dead-lettering.

Claiming is one atomic database operation, so any number of schedulers can run this at once:
PostgreSQL uses `SELECT ... FOR UPDATE SKIP LOCKED`; SQLite a conditional `UPDATE ... WHERE
status = 'pending'`. Every claim increments `attempts`, which is also the fencing token: a
sender may only finish a row whose `attempts` still equals the value it claimed, so a sender
that was presumed dead cannot overwrite a newer claim. A claim whose lease ran out (the process
died mid-send) is claimed again; the outcome of that earlier attempt is unknown, so the message
is re-sent with the same idempotency key (Message-ID / Idempotency-Key header) and an audit
event records it.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from coach.notify.channels import DeliveryError
from coach.notify.dispatch import deliver_notification
from coach.notify.settings import NotifySettings, notify_settings
from coach.scheduler.deadletter import escalate_dead_letter
from coach.scheduler.settings import SchedulerSettings
from coach.storage.models import AuditEvent, Notification

log = logging.getLogger(__name__)

URGENT_TEMPLATES = ("escalation_emergency", "caregiver_emergency")
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class Claim:
    """A row this process may send: its id and the attempt number it claimed (fencing token)."""

    id: int
    attempts: int
    recovered: bool


@dataclass
class OutboxStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    lost_claims: int = 0
    errors: list[str] = field(default_factory=list)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return or_(
        and_(Notification.status == "pending", Notification.next_attempt_at <= now),
        and_(Notification.status == "sending", Notification.claimed_until < now),
    )


def _candidates(limit: int, now: datetime):  # type: ignore[no-untyped-def]
    priority = case((Notification.template.in_(URGENT_TEMPLATES), 0), else_=1)
    return (
        select(Notification.id, Notification.status)
        .where(_due(now))
        .order_by(priority, Notification.next_attempt_at, Notification.id)
        .limit(limit)
    )


def claim_batch(
    factory: sessionmaker[Session], limit: int, lease_s: float, now: datetime | None = None
) -> list[Claim]:
    """Atomically claim up to `limit` due rows for this process."""
    now = now or utcnow()
    lease_end = now + timedelta(seconds=lease_s)
    claims: list[Claim] = []
    with factory.begin() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        query = _candidates(limit, now)
        if postgres:
            query = query.with_for_update(skip_locked=True, of=Notification)
        candidates = session.execute(query).all()
        for row_id, status in candidates:
            claimed = session.execute(
                update(Notification)
                .where(Notification.id == row_id, _due(now))
                .values(
                    status="sending",
                    claimed_until=lease_end,
                    attempts=Notification.attempts + 1,
                )
                .returning(Notification.attempts)
                .execution_options(synchronize_session=False)
            ).scalar_one_or_none()
            if claimed is None:
                continue
            recovered = status == "sending"
            claims.append(Claim(row_id, claimed, recovered))
            if recovered:
                session.add(
                    AuditEvent(
                        actor="scheduler",
                        action="notification_redelivery_unknown_outcome",
                        subject_type="notification",
                        subject_id=row_id,
                        detail={"attempt": claimed},
                    )
                )
    return claims


def backoff_seconds(attempts: int, settings: SchedulerSettings, rng: random.Random) -> float:
    """Exponential backoff with ± jitter: base · 2^(attempts-1), capped."""
    delay = min(settings.backoff_max_s, settings.backoff_base_s * 2 ** max(0, attempts - 1))
    return max(0.0, delay * (1 + rng.uniform(-settings.jitter, settings.jitter)))


def _fenced(claim: Claim):  # type: ignore[no-untyped-def]
    return update(Notification).where(
        Notification.id == claim.id,
        Notification.status == "sending",
        Notification.attempts == claim.attempts,
    )


def _mark_sent(factory: sessionmaker[Session], claim: Claim) -> bool:
    with factory.begin() as session:
        result = session.execute(
            _fenced(claim).values(
                status="sent", sent_at=utcnow(), claimed_until=None, last_error=None
            )
        )
        return result.rowcount == 1


def _mark_failed(
    factory: sessionmaker[Session],
    claim: Claim,
    error: DeliveryError,
    settings: SchedulerSettings,
    rng: random.Random,
) -> str:
    """Back to pending with a delay, or dead (+ dead-letter escalation). Returns the outcome."""
    message = str(error)[:MAX_ERROR_CHARS]
    give_up = error.permanent or claim.attempts >= settings.max_attempts
    with factory.begin() as session:
        if give_up:
            result = session.execute(
                _fenced(claim).values(status="dead", claimed_until=None, last_error=message)
            )
            if result.rowcount != 1:
                return "lost"
            dead = session.get(Notification, claim.id)
            if dead is not None:
                escalate_dead_letter(session, dead, settings.clinic_backup_email)
            return "dead"
        delay = backoff_seconds(claim.attempts, settings, rng)
        result = session.execute(
            _fenced(claim).values(
                status="pending",
                claimed_until=None,
                last_error=message,
                next_attempt_at=utcnow() + timedelta(seconds=delay),
            )
        )
        return "retried" if result.rowcount == 1 else "lost"


def _renew(factory: sessionmaker[Session], claim: Claim, lease_s: float) -> bool:
    with factory.begin() as session:
        result = session.execute(
            _fenced(claim).values(claimed_until=utcnow() + timedelta(seconds=lease_s))
        )
        return result.rowcount == 1


def deliver_claim(
    factory: sessionmaker[Session],
    claim: Claim,
    settings: SchedulerSettings,
    channel_settings: NotifySettings,
    rng: random.Random,
    stats: OutboxStats,
    claimed_at: float | None = None,
) -> None:
    """Send one claimed row and record the outcome (fenced on the claimed attempt).

    If the claim is too old for a send to finish inside its lease, the lease is renewed first
    (fenced), so a slow batch never overlaps another scheduler's claim of the same row.
    """
    age = time.monotonic() - claimed_at if claimed_at is not None else 0.0
    needs_renewal = age + channel_settings.timeout_s >= settings.claim_lease_s / 2
    if needs_renewal and not _renew(factory, claim, settings.claim_lease_s):
        stats.lost_claims += 1
        return
    try:
        with factory() as session:
            notification = session.get(Notification, claim.id)
            if notification is None:
                return
            deliver_notification(session, notification, settings.ack_base_url, channel_settings)
    except DeliveryError as exc:
        outcome = _mark_failed(factory, claim, exc, settings, rng)
        log.warning("notification %s attempt %s failed: %s", claim.id, claim.attempts, exc)
        if outcome == "dead":
            stats.dead += 1
        elif outcome == "retried":
            stats.retried += 1
        else:
            stats.lost_claims += 1
        stats.errors.append(str(exc))
        return
    if _mark_sent(factory, claim):
        stats.sent += 1
    else:
        stats.lost_claims += 1
        log.error("notification %s sent but its claim was taken over", claim.id)


def run_outbox(
    factory: sessionmaker[Session],
    settings: SchedulerSettings,
    *,
    channel_settings: NotifySettings | None = None,
    rng: random.Random | None = None,
    max_batches: int | None = None,
) -> OutboxStats:
    """Claim and deliver due messages until none is due or the drain budget is spent."""
    channel_settings = channel_settings or notify_settings()
    rng = rng or random.Random()
    stats = OutboxStats()
    deadline = time.monotonic() + settings.drain_budget_s
    batches = 0
    while time.monotonic() < deadline and (max_batches is None or batches < max_batches):
        claimed_at = time.monotonic()
        claims = claim_batch(factory, settings.outbox_batch, settings.claim_lease_s)
        if not claims:
            break
        batches += 1
        stats.claimed += len(claims)
        for claim in claims:
            deliver_claim(factory, claim, settings, channel_settings, rng, stats, claimed_at)
    return stats
