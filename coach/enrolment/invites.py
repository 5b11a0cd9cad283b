"""Create and redeem one-time invites; wrong guesses lock a sender out for a while."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coach.content import load_content
from coach.enrolment.codes import canonical, code_hash, display, new_code
from coach.storage.models import AuditEvent, ChannelIdentity, Invite, InviteAttempt, Patient

MAX_CODE_ATTEMPTS = 5  # fresh codes tried when a random one collides (practically never)


class RedeemStatus(str, Enum):
    """What happened to a code someone sent."""

    JOINED = "joined"
    ALREADY_JOINED = "already_joined"  # this sender is already this patient's
    LINKED_ELSEWHERE = "linked_elsewhere"  # this sender belongs to another patient
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    LOCKED = "locked"


@dataclass(frozen=True)
class NewInvite:
    """A created invite; `code` is shown once (only its hash is stored)."""

    invite_id: int
    patient_id: int
    code: str  # display form, e.g. K7QM-4RXT
    expires_at: datetime


@dataclass(frozen=True)
class RedeemResult:
    status: RedeemStatus
    patient_id: int | None = None
    identity_id: int | None = None
    attempts_left: int | None = None
    locked_until: datetime | None = None


def _policy() -> dict:
    return load_content("channels")["invites"]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def create_invite(
    session: Session,
    patient_id: int,
    *,
    created_by: str,
    now: datetime | None = None,
    ttl: timedelta | None = None,
) -> NewInvite:
    """A new single-use invite for an existing patient; raises LookupError for an unknown id."""
    if session.get(Patient, patient_id) is None:
        raise LookupError(f"no patient {patient_id}")
    now = now or datetime.now(timezone.utc)
    expires = now + (ttl if ttl is not None else timedelta(hours=float(_policy()["ttl_hours"])))
    for _ in range(MAX_CODE_ATTEMPTS):
        code = new_code()
        invite = Invite(
            patient_id=patient_id,
            code_hash=code_hash(code),
            created_at=now,
            expires_at=expires,
            created_by=created_by[:120],
        )
        try:
            with session.begin_nested():
                session.add(invite)
                session.flush()
        except IntegrityError:
            continue
        session.add(
            AuditEvent(
                actor=created_by[:120],
                action="invite_created",
                subject_type="patient",
                subject_id=patient_id,
                detail={"invite_id": invite.id, "expires_at": expires.isoformat()},
            )
        )
        return NewInvite(invite.id, patient_id, display(code), expires)
    raise RuntimeError("could not find a free invite code")


def _failures(session: Session, channel: str, sender_id: str, since: datetime) -> list[datetime]:
    return list(
        session.scalars(
            select(InviteAttempt.at).where(
                InviteAttempt.channel == channel,
                InviteAttempt.sender_id == sender_id,
                InviteAttempt.succeeded.is_(False),
                InviteAttempt.at >= since,
            )
        )
    )


def _attempt(session: Session, channel: str, sender_id: str, now: datetime, ok: bool) -> None:
    session.add(InviteAttempt(channel=channel, sender_id=sender_id, at=now, succeeded=ok))


def _refused(
    session: Session, status: RedeemStatus, channel: str, sender_id: str, now: datetime
) -> RedeemResult:
    """Record a wrong code; how many tries are left before the lock-out."""
    _attempt(session, channel, sender_id, now, ok=False)
    session.flush()
    policy = _policy()
    window = timedelta(minutes=float(policy["lockout_window_minutes"]))
    used = len(_failures(session, channel, sender_id, now - window))
    return RedeemResult(status, attempts_left=max(0, int(policy["max_failed_attempts"]) - used))


def lockout_until(
    session: Session, channel: str, sender_id: str, now: datetime | None = None
) -> datetime | None:
    """When this sender may try a code again, or None when they may now."""
    now = now or datetime.now(timezone.utc)
    policy = _policy()
    window = timedelta(minutes=float(policy["lockout_window_minutes"]))
    failures = sorted(_aware(at) for at in _failures(session, channel, sender_id, now - window))
    limit = int(policy["max_failed_attempts"])
    if len(failures) < limit:
        return None
    return failures[-limit] + window  # the oldest failure that still counts leaves the window


def redeem_invite(
    session: Session,
    code_text: str,
    channel: str,
    sender_id: str,
    *,
    now: datetime | None = None,
) -> RedeemResult:
    """Link (channel, sender id) to the invite's patient, once; see RedeemStatus."""
    now = now or datetime.now(timezone.utc)
    locked = lockout_until(session, channel, sender_id, now)
    if locked is not None:
        return RedeemResult(RedeemStatus.LOCKED, locked_until=locked)
    code = canonical(code_text)
    invite = (
        session.scalar(select(Invite).where(Invite.code_hash == code_hash(code))) if code else None
    )
    existing = session.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.sender_id == sender_id
        )
    )
    if invite is not None and existing is not None:
        same = existing.patient_id == invite.patient_id
        status = RedeemStatus.ALREADY_JOINED if same else RedeemStatus.LINKED_ELSEWHERE
        return RedeemResult(status, patient_id=existing.patient_id, identity_id=existing.id)
    if invite is None:
        return _refused(session, RedeemStatus.UNKNOWN, channel, sender_id, now)
    if invite.used_at is not None:
        return _refused(session, RedeemStatus.USED, channel, sender_id, now)
    if _aware(invite.expires_at) <= now:
        return _refused(session, RedeemStatus.EXPIRED, channel, sender_id, now)
    claimed = session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:  # someone else redeemed it a moment ago
        return _refused(session, RedeemStatus.USED, channel, sender_id, now)
    identity = ChannelIdentity(channel=channel, sender_id=sender_id, patient_id=invite.patient_id)
    session.add(identity)
    session.flush()
    session.execute(
        update(Invite)
        .where(Invite.id == invite.id)
        .values(used_by_identity_id=identity.id)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Patient)
        .where(Patient.id == invite.patient_id)
        .values(active=True)
        .execution_options(synchronize_session=False)
    )
    _attempt(session, channel, sender_id, now, ok=True)
    session.add(
        AuditEvent(
            actor=f"patient:{invite.patient_id}",
            action="invite_redeemed",
            subject_type="patient",
            subject_id=invite.patient_id,
            detail={"invite_id": invite.id, "channel": channel, "identity_id": identity.id},
        )
    )
    return RedeemResult(RedeemStatus.JOINED, patient_id=invite.patient_id, identity_id=identity.id)


def open_invites(session: Session, patient_id: int, now: datetime | None = None) -> int:
    """How many unused, unexpired invites a patient has."""
    now = now or datetime.now(timezone.utc)
    return int(
        session.scalar(
            select(func.count(Invite.id)).where(
                Invite.patient_id == patient_id, Invite.used_at.is_(None), Invite.expires_at > now
            )
        )
        or 0
    )
