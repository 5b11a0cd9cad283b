"""Database models: one table per thing the coach keeps."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Timezone-aware UTC now (all timestamps are stored in UTC)."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """A stored timestamp as aware UTC (SQLite hands back naive datetimes; all are UTC)."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


class Base(DeclarativeBase):
    """Declarative base for all coach tables."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Therapist(Base):
    __tablename__ = "therapist"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[Optional[str]] = mapped_column(String(32))
    webhook_url: Mapped[Optional[str]] = mapped_column(String(500))
    backup_email: Mapped[Optional[str]] = mapped_column(String(254))
    # IANA zone for the weekly digest; None = the deployment's DEFAULT_TIMEZONE.
    timezone: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    patients: Mapped[list[Patient]] = relationship(back_populates="therapist")


class Patient(Base):
    __tablename__ = "patient"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    locale: Mapped[str] = mapped_column(String(16), default="en-GB")
    checkin_time: Mapped[time] = mapped_column(Time, default=time(9, 0))
    onset_date: Mapped[Optional[date]] = mapped_column(Date)
    affected_side: Mapped[Optional[str]] = mapped_column(String(8))  # "left" | "right"
    eye_closure_incomplete: Mapped[bool] = mapped_column(Boolean, default=False)
    therapist_id: Mapped[Optional[int]] = mapped_column(ForeignKey("therapist.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_prompted_on: Mapped[Optional[date]] = mapped_column(Date)
    # Lease taken by the scheduler while a check-in prompt is in flight (revision 0002).
    prompt_claimed_until: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Therapist's plan (revision 0007): weekly clip weekday (Monday = 0; None = the clinic's
    # default in notifications.yml) and the exercise keys (content/portal.yml) to reinforce.
    clip_weekday: Mapped[Optional[int]] = mapped_column(Integer)
    plan_exercises: Mapped[Optional[list[Any]]] = mapped_column(JSON, default=list)
    # Consent given on first contact (revision 0006); None = not given. History: ConsentRecord.
    data_consent_version: Mapped[Optional[str]] = mapped_column(String(32))
    data_consented_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    clip_consent_version: Mapped[Optional[str]] = mapped_column(String(32))
    clip_consented_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    therapist: Mapped[Optional[Therapist]] = relationship(back_populates="patients")
    caregivers: Mapped[list[Caregiver]] = relationship(back_populates="patient")
    identities: Mapped[list[ChannelIdentity]] = relationship(back_populates="patient")


class Caregiver(Base):
    """A caregiver; `consent_scope` lists what the patient agreed they may receive."""

    __tablename__ = "caregiver"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[Optional[str]] = mapped_column(String(254))
    phone: Mapped[Optional[str]] = mapped_column(String(32))
    # e.g. ["missed_checkin", "missed_exercise", "emergency"]; empty = no consent
    consent_scope: Mapped[list[Any]] = mapped_column(JSON, default=list)
    consented_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    # The caregiver replied STOP to a reminder (revision 0006): no more reminders.
    opted_out_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    patient: Mapped[Patient] = relationship(back_populates="caregivers")


class ChannelIdentity(Base):
    """Maps a messaging identity (channel + sender id) to a patient."""

    __tablename__ = "channel_identity"
    __table_args__ = (UniqueConstraint("channel", "sender_id", name="uq_channel_sender"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    sender_id: Mapped[str] = mapped_column(String(128))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # STOP on this channel (revision 0006): no proactive message here until START.
    opted_out_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    patient: Mapped[Patient] = relationship(back_populates="identities")


class CheckIn(Base):
    __tablename__ = "checkin"
    __table_args__ = (
        Index("uq_checkin_patient_local_date", "patient_id", "local_date", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    # One check-in per conversation turn that submitted it: makes a retried submit idempotent.
    submission_key: Mapped[str] = mapped_column(String(128), unique=True)
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    face_feeling: Mapped[Optional[str]] = mapped_column(Text)
    early_sign_key: Mapped[Optional[str]] = mapped_column(String(64))
    early_sign_present: Mapped[Optional[bool]] = mapped_column(Boolean)
    sessions_done: Mapped[Optional[int]] = mapped_column(Integer)
    minutes_practised: Mapped[Optional[int]] = mapped_column(Integer)
    mirror_used: Mapped[Optional[bool]] = mapped_column(Boolean)
    forced_movements: Mapped[Optional[bool]] = mapped_column(Boolean)
    eye_care_done: Mapped[Optional[bool]] = mapped_column(Boolean)
    mood: Mapped[Optional[int]] = mapped_column(Integer)
    # The patient's local date: one check-in per day, a second one updates it (revision 0010).
    local_date: Mapped[Optional[date]] = mapped_column(Date)

    symptoms: Mapped[list[SymptomReport]] = relationship(back_populates="checkin")


class SymptomReport(Base):
    """A symptom from a check-in, or from a message at any time (then checkin_id is None)."""

    __tablename__ = "symptom_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a report sent outside a check-in (revision 0008).
    checkin_id: Mapped[Optional[int]] = mapped_column(ForeignKey("checkin.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    symptom: Mapped[str] = mapped_column(String(64))
    side: Mapped[Optional[str]] = mapped_column(String(8))
    trigger: Mapped[Optional[str]] = mapped_column(String(32))
    negated: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(String(200))
    # When it was reported, and the message key that reported it (revision 0008).
    reported_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), default=utcnow)
    source_key: Mapped[Optional[str]] = mapped_column(String(160), index=True)

    checkin: Mapped[Optional[CheckIn]] = relationship(back_populates="symptoms")


class MoodReport(Base):
    """Low mood told in a message outside the check-in's 0–10 question (revision 0008)."""

    __tablename__ = "mood_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    source_key: Mapped[str] = mapped_column(String(160), unique=True)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuestionnaireResponse(Base):
    """One completed weekly SAQ."""

    __tablename__ = "questionnaire_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    submission_key: Mapped[str] = mapped_column(String(128), unique=True)
    instrument: Mapped[str] = mapped_column(String(16), default="SAQ")
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    items: Mapped[list[Any]] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Float)
    change_from_previous: Mapped[Optional[float]] = mapped_column(Float)
    real_change: Mapped[bool] = mapped_column(Boolean, default=False)


class RecoveryNudge(Base):
    """A recovery milestone nudge (3 weeks, 3 months after onset): claimed, then sent once."""

    __tablename__ = "recovery_nudge"
    __table_args__ = (UniqueConstraint("patient_id", "milestone", name="uq_recovery_nudge"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    milestone: Mapped[str] = mapped_column(String(16))  # stalled | incomplete
    claimed_until: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClipAnalysis(Base):
    """One analysed selfie clip; the patient's first good clip is their baseline."""

    __tablename__ = "clip_analysis"
    __table_args__ = (UniqueConstraint("patient_id", "clip_id", name="uq_patient_clip"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    clip_id: Mapped[str] = mapped_column(String(64))  # sha256 of the file in the media folder
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16))  # ok | partial
    is_baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Set when the retention job deleted the video (revision 0005); the report stays.
    clip_deleted_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class Escalation(Base):
    """A concern handed to a human; climbs a ladder until acknowledged."""

    __tablename__ = "escalation"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[Optional[int]] = mapped_column(ForeignKey("patient.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))  # emergency | urgent | working_day | routine
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ladder_step: Mapped[int] = mapped_column(Integer, default=0)
    next_step_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[Optional[str]] = mapped_column(String(120))
    # Portal (revision 0007): the acknowledging note, and resolution (status "resolved").
    ack_note: Mapped[Optional[str]] = mapped_column(Text)
    resolved_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[Optional[str]] = mapped_column(String(120))
    resolve_note: Mapped[Optional[str]] = mapped_column(Text)

    notifications: Mapped[list[Notification]] = relationship(back_populates="escalation")


class Notification(Base):
    """Outbox row: one message to one recipient over one channel, delivered by the scheduler."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[Optional[int]] = mapped_column(ForeignKey("escalation.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient_kind: Mapped[str] = mapped_column(String(16))  # therapist | caregiver | backup
    recipient_id: Mapped[Optional[int]] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))  # email | sms | webhook
    address: Mapped[str] = mapped_column(String(500))
    template: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|sent|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_until: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[Optional[str]] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Which scheduler process holds / held the claim (revision 0005), for audits and tests.
    claimed_by: Mapped[Optional[str]] = mapped_column(String(64))
    # The acknowledge link carried by this message was used (single-use links, revision 0005).
    link_used_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    escalation: Mapped[Optional[Escalation]] = relationship(back_populates="notifications")


class AuditEvent(Base):
    """Who did what to which record; `detail` never holds PHI."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[Optional[str]] = mapped_column(String(32))
    subject_id: Mapped[Optional[int]] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PortalUser(Base):
    """A portal login: a therapist, a clinic admin or a caregiver (revision 0007)."""

    __tablename__ = "portal_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # therapist | admin | caregiver
    therapist_id: Mapped[Optional[int]] = mapped_column(ForeignKey("therapist.id"), index=True)
    caregiver_id: Mapped[Optional[int]] = mapped_column(ForeignKey("caregiver.id"), index=True)
    totp_secret: Mapped[Optional[str]] = mapped_column(String(64))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class PortalSession(Base):
    """A server-side login session; the cookie holds a token whose SHA-256 is `token_hash`."""

    __tablename__ = "portal_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    mfa_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    via_link: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginAttempt(Base):
    """One failed sign-in, for rate limiting by client address and by account."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)  # hashed client address
    email: Mapped[str] = mapped_column(String(254), index=True)


# Portal read paths (revision 0007): latest-row-per-patient look-ups and open alerts per patient.
Index("ix_checkin_patient_completed", CheckIn.patient_id, CheckIn.completed_at)
Index(
    "ix_saq_patient_answered", QuestionnaireResponse.patient_id, QuestionnaireResponse.answered_at
)
Index("ix_clip_patient_created", ClipAnalysis.patient_id, ClipAnalysis.created_at)
Index("ix_escalation_patient_status", Escalation.patient_id, Escalation.status)


class SchedulerJobRun(Base):
    """When each periodic job last ran, and where: lets any scheduler stand in for a silent one."""

    __tablename__ = "scheduler_job_run"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_started_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    last_finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    last_holder: Mapped[Optional[str]] = mapped_column(String(64))


class Invite(Base):
    """A therapist's one-time invite; only the code's SHA-256 is kept."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(120))
    used_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    used_by_identity_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("channel_identity.id", ondelete="SET NULL")
    )


class InviteAttempt(Base):
    """One invite code tried by one sender (wrong guesses are rate-limited per sender)."""

    __tablename__ = "invite_attempt"
    __table_args__ = (Index("ix_invite_attempt_sender", "channel", "sender_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    sender_id: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)


class ConsentRecord(Base):
    """Every consent answer, with the version of the text the patient saw."""

    __tablename__ = "consent_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # data | clips
    version: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClipUpload(Base):
    """A clip id belongs to the patient who uploaded it: only they can have it analysed."""

    __tablename__ = "clip_upload"
    __table_args__ = (UniqueConstraint("patient_id", "clip_id", name="uq_clip_upload"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    clip_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PromptDelivery(Base):
    """One proactive prompt on one channel, and what the provider said about it."""

    __tablename__ = "prompt_delivery"
    __table_args__ = (Index("ix_prompt_delivery_patient_day", "patient_id", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    identity_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("channel_identity.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(32))
    intent: Mapped[str] = mapped_column(String(64))
    local_date: Mapped[date] = mapped_column(Date)
    # queued (web chat: shown at the next visit) | accepted | delivered | shown | failed
    status: Mapped[str] = mapped_column(String(16))
    provider_message_id: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    error: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UploadLink(Base):
    """A one-time clip upload link (SMS patients cannot send video in the chat)."""

    __tablename__ = "upload_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("channel_identity.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
