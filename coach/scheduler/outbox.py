"""Outbox delivery: batched atomic claims, one connection per batch, retry with backoff +
jitter, dead-lettering.

Claiming is one atomic database operation per batch, so any number of schedulers can run this
at once: PostgreSQL uses `SELECT ... FOR UPDATE SKIP LOCKED`; SQLite a conditional `UPDATE ...
WHERE id IN (...) AND <still due>`. Every claim increments `attempts`, which is also the fencing
token: a sender may only finish a row whose `attempts` still equals the value it claimed, so a
sender that was presumed dead cannot overwrite a newer claim. A live process renews its claims
(`LeaseKeeper`), so only a dead or stalled process's claims expire.

Delivery semantics (no channel can be exactly-once on the wire: a process killed after the
receiver accepted a message but before the database recorded it leaves the outcome unknown):

- A claim whose lease ran out (the process died mid-send), and a failure after which the
  receiver may have the message (a timeout during SMTP DATA, a lost HTTP response), make the
  next attempt a *redelivery*: an audit event `notification_redelivery_unknown_outcome` is
  written for it, and it carries the same idempotency key.
- Email and webhooks are effectively exactly-once for receivers that honour the key: the same
  Message-ID / `X-Coach-Idempotency-Key` header (mail stores de-duplicate by Message-ID) and the
  same `Idempotency-Key` header (the webhook convention). Their outcomes are written in groups
  of OUTBOX_RECORD_EVERY, which bounds how many are redelivered after a crash.
- SMS is at-least-once: Twilio's Messages API has no idempotency key, so a redelivery can reach
  the phone twice. SMS go one at a time and each outcome is written right after its send, so a
  crash repeats at most the one SMS that was in flight. For emergencies a second text beats a
  missing one.

A batch is sent over OUTBOX_CONNECTIONS connections at once (threads; the database is only
touched by the calling thread). Any error while delivering one message is a failed attempt of
that message only: it is retried
with backoff and dead-lettered (with an alert to the backup / clinic) after OUTBOX_MAX_ATTEMPTS,
and the rest of the batch goes on.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, case, exists, or_, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from coach.escalation.deadletter import escalate_dead_letter
from coach.notify.channels import DeliveryError, Senders
from coach.notify.dispatch import deliver_notification
from coach.notify.settings import NotifySettings, notify_settings
from coach.scheduler.settings import SchedulerSettings
from coach.storage.models import AuditEvent, Escalation, Notification, Patient

log = logging.getLogger(__name__)

URGENT_TEMPLATES = ("escalation_emergency", "caregiver_emergency")
MAX_ERROR_CHARS = 500
HOLDER_CHARS = 64
REDELIVERY = "notification_redelivery_unknown_outcome"
RECORD_AT_ONCE_CHANNELS = ("sms",)  # no receiver-side idempotency: shrink the unknown window
RENEWALS_PER_LEASE = 3


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


@dataclass
class _Outcome:
    claim: Claim
    error: DeliveryError | None


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def process_holder() -> str:
    """This process's name in `notification.claimed_by`: host and pid."""
    return f"{socket.gethostname()[: HOLDER_CHARS - 12]}:{os.getpid()}"


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


def _audit_redelivery(session: Session, notification_id: int, attempt: int, why: str) -> None:
    session.add(
        AuditEvent(
            actor="scheduler",
            action=REDELIVERY,
            subject_type="notification",
            subject_id=notification_id,
            detail={"attempt": attempt, "why": why},
        )
    )


def claim_batch(
    factory: sessionmaker[Session],
    limit: int,
    lease_s: float,
    now: datetime | None = None,
    *,
    holder: str | None = None,
) -> list[Claim]:
    """Atomically claim up to `limit` due rows for this process (one UPDATE for the batch)."""
    now = now or utcnow()
    lease_end = now + timedelta(seconds=lease_s)
    with factory.begin() as session:
        query = _candidates(limit, now)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=Notification)
        candidates = session.execute(query).all()
        if not candidates:
            return []
        order = {row_id: index for index, (row_id, _) in enumerate(candidates)}
        was_sending = {row_id for row_id, status in candidates if status == "sending"}
        claimed = session.execute(
            update(Notification)
            .where(Notification.id.in_(list(order)), _due(now))
            .values(
                status="sending",
                claimed_until=lease_end,
                attempts=Notification.attempts + 1,
                claimed_by=(holder or process_holder())[:HOLDER_CHARS],
            )
            .returning(Notification.id, Notification.attempts)
            .execution_options(synchronize_session=False)
        ).all()
        claims = sorted(
            (Claim(row_id, attempts, row_id in was_sending) for row_id, attempts in claimed),
            key=lambda c: order[c.id],
        )
        for claim in claims:
            if claim.recovered:
                _audit_redelivery(session, claim.id, claim.attempts, "claim expired")
    return claims


def _anything_due(factory: sessionmaker[Session]) -> bool:
    """Whether any message is due now (a claim can come back empty after a lost race)."""
    with factory() as session:
        return bool(session.scalar(select(exists().where(_due(utcnow())))))


def backoff_seconds(attempts: int, settings: SchedulerSettings, rng: random.Random) -> float:
    """Exponential backoff with ± jitter: base · 2^(attempts-1), capped."""
    delay = min(settings.backoff_max_s, settings.backoff_base_s * 2 ** max(0, attempts - 1))
    return max(0.0, delay * (1 + rng.uniform(-settings.jitter, settings.jitter)))


_TABLE = Notification.__table__


def _fenced(claim: Claim):  # type: ignore[no-untyped-def]
    """An UPDATE of this claim's row only while the claim is still ours (Core: no ORM cost)."""
    return update(_TABLE).where(
        _TABLE.c.id == claim.id,
        _TABLE.c.status == "sending",
        _TABLE.c.attempts == claim.attempts,
    )


def _mark_sent(session: Session, claims: list[Claim], now: datetime) -> set[int]:
    """Mark `claims` sent in one statement, each fenced on its attempt; the ids it marked."""
    if not claims:
        return set()
    marked = session.execute(
        update(_TABLE)
        .where(
            _TABLE.c.status == "sending",
            tuple_(_TABLE.c.id, _TABLE.c.attempts).in_([(c.id, c.attempts) for c in claims]),
        )
        .values(status="sent", sent_at=now, claimed_until=None, last_error=None)
        .returning(_TABLE.c.id)
    )
    return set(marked.scalars())


def _record_failure(
    session: Session,
    outcome: _Outcome,
    settings: SchedulerSettings,
    rng: random.Random,
    stats: OutboxStats,
) -> None:
    claim, error = outcome.claim, outcome.error
    assert error is not None
    message = str(error)[:MAX_ERROR_CHARS]
    stats.errors.append(message)
    give_up = error.permanent or claim.attempts >= settings.max_attempts
    if give_up:
        values = {"status": "dead", "claimed_until": None, "last_error": message}
    else:
        delay = backoff_seconds(claim.attempts, settings, rng)
        values = {
            "status": "pending",
            "claimed_until": None,
            "last_error": message,
            "next_attempt_at": utcnow() + timedelta(seconds=delay),
        }
    if session.execute(_fenced(claim).values(**values)).rowcount != 1:
        stats.lost_claims += 1
        return
    if error.outcome_unknown and not give_up:
        _audit_redelivery(session, claim.id, claim.attempts + 1, "outcome unknown")
    if give_up:
        stats.dead += 1
        dead = session.get(Notification, claim.id)
        if dead is not None:
            escalate_dead_letter(session, dead)
    else:
        stats.retried += 1


def record_outcomes(
    factory: sessionmaker[Session],
    outcomes: list[_Outcome],
    settings: SchedulerSettings,
    rng: random.Random,
    stats: OutboxStats,
) -> None:
    """Write the outcomes of sent/failed claims in one transaction (each fenced on its claim)."""
    if not outcomes:
        return
    sent = [o.claim for o in outcomes if o.error is None]
    with factory.begin() as session:
        marked = _mark_sent(session, sent, utcnow())
        for outcome in outcomes:
            if outcome.error is not None:
                _record_failure(session, outcome, settings, rng, stats)
        stats.sent += len(marked)
        for claim in sent:
            if claim.id not in marked:
                stats.lost_claims += 1
                log.error("notification %s sent but its claim was taken over", claim.id)
    outcomes.clear()


class LeaseKeeper:
    """Renews this process's claims while it lives, so a slow send never loses its claim and a
    dead process's claims expire within one lease (OUTBOX_CLAIM_LEASE_S), however long the send
    timeout. Runs on its own thread for the duration of a `with` block."""

    def __init__(self, factory: sessionmaker[Session], holder: str, lease_s: float) -> None:
        self.factory = factory
        self.holder = holder
        self.lease_s = lease_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-lease", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def renew(self) -> int:
        """Extend every unexpired claim this process holds; returns how many."""
        now = utcnow()
        with self.factory.begin() as session:
            result = session.execute(
                update(Notification)
                .where(
                    Notification.status == "sending",
                    Notification.claimed_by == self.holder,
                    Notification.claimed_until >= now,
                )
                .values(claimed_until=now + timedelta(seconds=self.lease_s))
                .execution_options(synchronize_session=False)
            )
            return result.rowcount

    def _run(self) -> None:
        while not self._stop.wait(self.lease_s / RENEWALS_PER_LEASE):
            try:
                self.renew()
            except Exception:  # the database may be busy or down: the next turn retries
                log.warning("could not renew outbox claims", exc_info=True)


def _load(
    factory: sessionmaker[Session], claims: list[Claim]
) -> dict[int, tuple[Notification, Escalation | None, Patient | None]]:
    """The claimed rows with their escalations and patients, read in three queries."""
    with factory() as session:
        rows = session.scalars(
            select(Notification).where(Notification.id.in_([c.id for c in claims]))
        ).all()
        escalation_ids = {r.escalation_id for r in rows if r.escalation_id is not None}
        escalations = {
            e.id: e
            for e in session.scalars(select(Escalation).where(Escalation.id.in_(escalation_ids)))
        }
        patient_of = {
            r.id: (r.payload or {}).get("patient_id")
            or (escalations[r.escalation_id].patient_id if r.escalation_id in escalations else None)
            for r in rows
        }
        wanted = {p for p in patient_of.values() if p is not None}
        patients = {p.id: p for p in session.scalars(select(Patient).where(Patient.id.in_(wanted)))}
        session.expunge_all()
    return {
        r.id: (r, escalations.get(r.escalation_id or -1), patients.get(patient_of[r.id] or -1))
        for r in rows
    }


class SenderPool:
    """OUTBOX_CONNECTIONS open `Senders` (each its own SMTP connection and HTTP client) shared
    by as many sending threads: network round trips overlap instead of adding up."""

    def __init__(self, settings: NotifySettings, size: int) -> None:
        self._all = [Senders(settings) for _ in range(max(1, size))]
        self._free: queue.SimpleQueue[Senders] = queue.SimpleQueue()
        for senders in self._all:
            self._free.put(senders)
        self.executor = ThreadPoolExecutor(max_workers=len(self._all), thread_name_prefix="send")
        # One SMS in flight at a time: a crash can then repeat at most one text (no idempotency
        # at Twilio), and a long code sends about one message a second anyway.
        self._one_at_a_time = {channel: threading.Lock() for channel in RECORD_AT_ONCE_CHANNELS}

    def __enter__(self) -> SenderPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.executor.shutdown(wait=True)
        for senders in self._all:
            senders.close()

    def send(
        self, notification: Notification, escalation: Escalation | None, patient: Patient | None
    ) -> DeliveryError | None:
        """Deliver one message on a free connection; its failure (never raises)."""
        serial = self._one_at_a_time.get(notification.channel)
        senders = self._free.get()
        try:
            if serial is not None:
                with serial:
                    deliver_notification(senders, notification, escalation, patient)
            else:
                deliver_notification(senders, notification, escalation, patient)
        except DeliveryError as exc:
            return exc
        except Exception as exc:  # a bug or bad data in one message must not stop the batch
            # The type only: an exception's text may quote an address or a patient's words.
            log.error("notification %s: unexpected %s", notification.id, type(exc).__name__)
            log.debug("notification %s traceback", notification.id, exc_info=True)
            return DeliveryError(f"unexpected error: {type(exc).__name__}")
        finally:
            self._free.put(senders)
        return None


def deliver_batch(
    factory: sessionmaker[Session],
    claims: list[Claim],
    settings: SchedulerSettings,
    pool: SenderPool,
    rng: random.Random,
    stats: OutboxStats,
) -> None:
    """Send the claimed rows over the pool's connections and record the outcomes as they come
    (every OUTBOX_RECORD_EVERY, at once for SMS and for failures)."""
    loaded = _load(factory, claims)
    sending = {
        pool.executor.submit(pool.send, *loaded[claim.id]): claim
        for claim in claims
        if claim.id in loaded
    }
    outcomes: list[_Outcome] = []
    for future in as_completed(sending):
        claim = sending[future]
        error = future.result()
        if error is not None:
            log.warning("notification %s attempt %s failed: %s", claim.id, claim.attempts, error)
        outcomes.append(_Outcome(claim, error))
        if (
            loaded[claim.id][0].channel in RECORD_AT_ONCE_CHANNELS
            or error is not None
            or len(outcomes) >= settings.record_every
        ):
            record_outcomes(factory, outcomes, settings, rng, stats)
    record_outcomes(factory, outcomes, settings, rng, stats)


def run_outbox(
    factory: sessionmaker[Session],
    settings: SchedulerSettings,
    *,
    channel_settings: NotifySettings | None = None,
    rng: random.Random | None = None,
    max_batches: int | None = None,
    holder: str | None = None,
) -> OutboxStats:
    """Claim and deliver due messages until none is due or the drain budget is spent."""
    rng = rng or random.Random()
    holder = holder or process_holder()
    stats = OutboxStats()
    deadline = time.monotonic() + settings.drain_budget_s
    batches = 0
    pool = SenderPool(channel_settings or notify_settings(), settings.connections)
    with pool, LeaseKeeper(factory, holder, settings.claim_lease_s):
        while time.monotonic() < deadline and (max_batches is None or batches < max_batches):
            claims = claim_batch(
                factory, settings.outbox_batch, settings.claim_lease_s, holder=holder
            )
            if not claims:
                if _anything_due(factory):
                    continue  # another scheduler won the race for these rows: claim again
                break
            batches += 1
            stats.claimed += len(claims)
            deliver_batch(factory, claims, settings, pool, rng, stats)
    return stats
