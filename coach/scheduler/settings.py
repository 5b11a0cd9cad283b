"""Scheduler and delivery settings, read from environment variables with documented defaults.

Clinic-reviewed policy (ladder timers per severity, acknowledge-link lifetime, caregiver reminder
rules, all message wording) lives in `coach/content/notifications.yml`; the operational knobs
below are environment variables.

| variable | default | meaning |
|---|---|---|
| SCHEDULER_SWEEP_INTERVAL_S | 60 | how often the due-check-in sweep runs |
| SCHEDULER_SWEEP_BATCH | 500 | most prompts sent per sweep run (the rest go next run) |
| SCHEDULER_PROMPT_LEASE_S | 300 | a patient being prompted is not claimed again for this long |
| SCHEDULER_RASA_CONCURRENCY | 8 | parallel `trigger_intent` calls |
| SCHEDULER_RASA_TIMEOUT_S | 10 | timeout of one `trigger_intent` call |
| SCHEDULER_OUTBOX_INTERVAL_S | 2 | how often the outbox is polled (emergency latency budget: 5 s) |
| SCHEDULER_LADDER_INTERVAL_S | 30 | how often unacknowledged escalations are checked |
| SCHEDULER_REMINDER_INTERVAL_S | 900 | how often caregiver reminders are checked |
| SCHEDULER_DIGEST_AT | mon 08:00 | weekly digest at the therapist's local `<day> <HH:MM>` |
| SCHEDULER_JOBS | (all eight jobs) | jobs this process runs on their interval |
| SCHEDULER_STANDBY_AFTER | 3 | other jobs run here when silent for this many intervals (0: never) |
| SCHEDULER_RETENTION_INTERVAL_S | 3600 | how often stored clips past their retention are deleted |
| OUTBOX_BATCH | 50 | messages claimed per claim query (connections reused across it) |
| OUTBOX_RECORD_EVERY | 20 | email/webhook outcomes written per transaction (SMS: each at once) |
| OUTBOX_CONNECTIONS | 4 | SMTP connections (and sending threads) used at once by one process |
| OUTBOX_CLAIM_LEASE_S | 30 | claims of a process that stopped renewing them (died) expire |
| OUTBOX_MAX_ATTEMPTS | 8 | failures before a message is dead-lettered (and escalated) |
| OUTBOX_BACKOFF_BASE_S | 10 | first retry delay; doubles per attempt |
| OUTBOX_BACKOFF_MAX_S | 1800 | retry delay cap |
| OUTBOX_JITTER | 0.2 | ± fraction of random jitter on every retry delay |
| OUTBOX_DRAIN_BUDGET_S | 10 | one outbox run stops claiming after this long |

Delivery channel settings (SMTP, Twilio, webhook) are in `coach.notify.settings`; the clinic's
contacts (CLINIC_DUTY_EMAIL, CLINIC_BACKUP_EMAIL) and PORTAL_BASE_URL (links in messages) in
`coach.config`.
A live scheduler renews its claims every third of the lease, whatever the send timeout, so
only a dead (or stalled) process's claims are taken over, after at most one lease.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from coach.config import get_settings

DEFAULT_SWEEP_INTERVAL_S = 60.0
DEFAULT_SWEEP_BATCH = 500
DEFAULT_PROMPT_LEASE_S = 300.0
DEFAULT_RASA_CONCURRENCY = 8
DEFAULT_RASA_TIMEOUT_S = 10.0
DEFAULT_OUTBOX_INTERVAL_S = 2.0
DEFAULT_LADDER_INTERVAL_S = 30.0
DEFAULT_REMINDER_INTERVAL_S = 900.0
DEFAULT_DIGEST_AT = "mon 08:00"
DEFAULT_JOBS = "sweep,outbox,ladder,reminders,digest,spool,retention,recovery"
DEFAULT_STANDBY_AFTER = 3.0
DEFAULT_RETENTION_INTERVAL_S = 3600.0
DEFAULT_OUTBOX_BATCH = 50
DEFAULT_RECORD_EVERY = 20
DEFAULT_CONNECTIONS = 4
DEFAULT_CLAIM_LEASE_S = 30.0
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_BACKOFF_BASE_S = 10.0
DEFAULT_BACKOFF_MAX_S = 1800.0
DEFAULT_JITTER = 0.2
DEFAULT_DRAIN_BUDGET_S = 10.0


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    return float(raw) if raw else default


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw else default


@dataclass(frozen=True)
class SchedulerSettings:
    """Operational knobs of the scheduler process (see the module docstring)."""

    database_url: str
    jobs: tuple[str, ...]
    standby_after: float
    retention_interval_s: float
    sweep_interval_s: float
    sweep_batch: int
    prompt_lease_s: float
    rasa_concurrency: int
    rasa_timeout_s: float
    outbox_interval_s: float
    ladder_interval_s: float
    reminder_interval_s: float
    digest_at: str
    outbox_batch: int
    record_every: int
    connections: int
    claim_lease_s: float
    max_attempts: int
    backoff_base_s: float
    backoff_max_s: float
    jitter: float
    drain_budget_s: float


def scheduler_settings(database_url: str | None = None) -> SchedulerSettings:
    """Read the scheduler settings from the environment (not cached: tests change env)."""
    url = database_url or os.environ.get("DATABASE_URL") or get_settings().database_url
    jobs = os.environ.get("SCHEDULER_JOBS", DEFAULT_JOBS)
    return SchedulerSettings(
        database_url=url,
        jobs=tuple(j.strip() for j in jobs.split(",") if j.strip()),
        standby_after=_float("SCHEDULER_STANDBY_AFTER", DEFAULT_STANDBY_AFTER),
        retention_interval_s=_float("SCHEDULER_RETENTION_INTERVAL_S", DEFAULT_RETENTION_INTERVAL_S),
        sweep_interval_s=_float("SCHEDULER_SWEEP_INTERVAL_S", DEFAULT_SWEEP_INTERVAL_S),
        sweep_batch=_int("SCHEDULER_SWEEP_BATCH", DEFAULT_SWEEP_BATCH),
        prompt_lease_s=_float("SCHEDULER_PROMPT_LEASE_S", DEFAULT_PROMPT_LEASE_S),
        rasa_concurrency=_int("SCHEDULER_RASA_CONCURRENCY", DEFAULT_RASA_CONCURRENCY),
        rasa_timeout_s=_float("SCHEDULER_RASA_TIMEOUT_S", DEFAULT_RASA_TIMEOUT_S),
        outbox_interval_s=_float("SCHEDULER_OUTBOX_INTERVAL_S", DEFAULT_OUTBOX_INTERVAL_S),
        ladder_interval_s=_float("SCHEDULER_LADDER_INTERVAL_S", DEFAULT_LADDER_INTERVAL_S),
        reminder_interval_s=_float("SCHEDULER_REMINDER_INTERVAL_S", DEFAULT_REMINDER_INTERVAL_S),
        digest_at=os.environ.get("SCHEDULER_DIGEST_AT", DEFAULT_DIGEST_AT),
        outbox_batch=_int("OUTBOX_BATCH", DEFAULT_OUTBOX_BATCH),
        record_every=max(1, _int("OUTBOX_RECORD_EVERY", DEFAULT_RECORD_EVERY)),
        connections=max(1, _int("OUTBOX_CONNECTIONS", DEFAULT_CONNECTIONS)),
        claim_lease_s=_float("OUTBOX_CLAIM_LEASE_S", DEFAULT_CLAIM_LEASE_S),
        max_attempts=_int("OUTBOX_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS),
        backoff_base_s=_float("OUTBOX_BACKOFF_BASE_S", DEFAULT_BACKOFF_BASE_S),
        backoff_max_s=_float("OUTBOX_BACKOFF_MAX_S", DEFAULT_BACKOFF_MAX_S),
        jitter=_float("OUTBOX_JITTER", DEFAULT_JITTER),
        drain_budget_s=_float("OUTBOX_DRAIN_BUDGET_S", DEFAULT_DRAIN_BUDGET_S),
    )
