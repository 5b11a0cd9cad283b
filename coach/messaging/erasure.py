"""Delete my data: the patient's clips, reports and channel ids go; an audit record stays.

Deleted: check-ins, symptom and mood reports, questionnaires, clip analyses, clip files, plots
and key frames (unless another patient uploaded the same bytes), clip bindings, prompt
records, upload links, the channel identities (phone numbers, chat ids) and the consent state.
Kept: the patient row (the therapist's enrolment, marked inactive), consent history (versions
and times only), escalations with their evidence redacted and sender ids hashed out of their
keys (the clinic's record that someone was alerted), and an audit event with counts. The
conversation text itself lives in Rasa's tracker store: the connector erases it for the
returned sender ids (coach.channels.erasure) once the turn is over.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from coach.clips.intake import clip_path, key_frames_path, plot_path
from coach.media.incoming import incoming_path
from coach.storage.models import (
    AuditEvent,
    ChannelIdentity,
    CheckIn,
    ClipAnalysis,
    ClipUpload,
    Escalation,
    Invite,
    InviteAttempt,
    MoodReport,
    Notification,
    Patient,
    PromptDelivery,
    QuestionnaireResponse,
    SymptomReport,
    UploadLink,
)

REDACTED = {"redacted": "the patient deleted their data"}


@dataclass
class ErasureReport:
    """What was deleted (counts only) and what is left to do after the commit."""

    patient_id: int
    counts: dict[str, int] = field(default_factory=dict)
    sender_ids: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def _erased_key(key: str) -> str:
    return f"erased:{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def _count(session: Session, statement) -> int:  # type: ignore[no-untyped-def]
    return int(session.execute(statement).rowcount or 0)


def _clip_files(session: Session, patient_id: int, media_dir: Path | None) -> tuple[int, list]:
    """Files of this patient's clips that no other patient shares."""
    mine = set(
        session.scalars(select(ClipUpload.clip_id).where(ClipUpload.patient_id == patient_id))
    )
    mine |= set(
        session.scalars(select(ClipAnalysis.clip_id).where(ClipAnalysis.patient_id == patient_id))
    )
    shared = set(
        session.scalars(
            select(ClipUpload.clip_id).where(
                ClipUpload.clip_id.in_(mine), ClipUpload.patient_id != patient_id
            )
        )
    ) | set(
        session.scalars(
            select(ClipAnalysis.clip_id).where(
                ClipAnalysis.clip_id.in_(mine), ClipAnalysis.patient_id != patient_id
            )
        )
    )
    files: list[Path] = []
    for clip_id in sorted(mine - shared):
        for path in (clip_path(clip_id, media_dir), incoming_path(clip_id, media_dir)):
            if path is not None:
                files.append(path)
        files.append(plot_path(clip_id, media_dir))
        files.append(key_frames_path(clip_id, media_dir))  # frames of the patient's face
    return len(mine), files


def erase_patient_data(
    session: Session, patient_id: int, media_dir: Path | None = None, now: datetime | None = None
) -> ErasureReport:
    """Delete the patient's data in `session`'s transaction; call `remove_files` after commit."""
    now = now or datetime.now(timezone.utc)
    report = ErasureReport(patient_id)
    identities = list(
        session.scalars(select(ChannelIdentity).where(ChannelIdentity.patient_id == patient_id))
    )
    report.sender_ids = [identity.sender_id for identity in identities]
    identity_ids = [identity.id for identity in identities]
    report.counts["clips"], report.files = _clip_files(session, patient_id, media_dir)
    counts = report.counts
    counts["symptom_reports"] = _count(
        session, delete(SymptomReport).where(SymptomReport.patient_id == patient_id)
    )
    counts["checkins"] = _count(session, delete(CheckIn).where(CheckIn.patient_id == patient_id))
    counts["mood_reports"] = _count(
        session, delete(MoodReport).where(MoodReport.patient_id == patient_id)
    )
    counts["questionnaires"] = _count(
        session,
        delete(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == patient_id),
    )
    counts["clip_analyses"] = _count(
        session, delete(ClipAnalysis).where(ClipAnalysis.patient_id == patient_id)
    )
    _count(session, delete(ClipUpload).where(ClipUpload.patient_id == patient_id))
    _count(session, delete(PromptDelivery).where(PromptDelivery.patient_id == patient_id))
    if identity_ids:
        _count(session, delete(UploadLink).where(UploadLink.identity_id.in_(identity_ids)))
        session.execute(
            update(Invite)
            .where(Invite.used_by_identity_id.in_(identity_ids))
            .values(used_by_identity_id=None)
            .execution_options(synchronize_session=False)
        )
    if report.sender_ids:
        _count(session, delete(InviteAttempt).where(InviteAttempt.sender_id.in_(report.sender_ids)))
    counts["escalations_redacted"] = _redact_escalations(session, patient_id)
    counts["identities"] = _count(
        session, delete(ChannelIdentity).where(ChannelIdentity.patient_id == patient_id)
    )
    session.execute(
        update(Patient)
        .where(Patient.id == patient_id)
        .values(
            active=False,
            data_consent_version=None,
            data_consented_at=None,
            clip_consent_version=None,
            clip_consented_at=None,
            last_prompted_on=None,
            prompt_claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    session.add(
        AuditEvent(
            at=now,
            actor=f"patient:{patient_id}",
            action="patient_data_deleted",
            subject_type="patient",
            subject_id=patient_id,
            detail=dict(counts),
        )
    )
    return report


def _redact_escalations(session: Session, patient_id: int) -> int:
    escalations = list(
        session.scalars(select(Escalation).where(Escalation.patient_id == patient_id))
    )
    for escalation in escalations:
        old, new = escalation.idempotency_key, _erased_key(escalation.idempotency_key)
        escalation.evidence = dict(REDACTED)
        escalation.idempotency_key = new
        session.execute(
            update(Notification)
            .where(Notification.escalation_id == escalation.id)
            .values(
                idempotency_key=func.replace(Notification.idempotency_key, old, new),
            )
            .execution_options(synchronize_session=False)
        )
    return len(escalations)


def remove_files(report: ErasureReport) -> int:
    """Delete the clip files of an erasure (after its transaction committed); how many went."""
    removed = 0
    for path in report.files:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
    return removed
