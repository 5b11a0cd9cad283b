"""Consent answers: each one kept with the version of the text the patient saw."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from coach.content import load_content
from coach.storage.models import AuditEvent, ConsentRecord, Patient

DATA = "data"
CLIPS = "clips"
KINDS = (DATA, CLIPS)


def consent_version(kind: str) -> str:
    """The current version of the `kind` consent text (coach/content/channels.yml)."""
    return str(load_content("channels")["consent"][kind]["version"])


def record_consent(
    session: Session,
    patient_id: int,
    kind: str,
    granted: bool,
    channel: str,
    now: datetime | None = None,
) -> str:
    """Keep the answer; a refusal also withdraws an earlier yes. Returns the version."""
    if kind not in KINDS:
        raise ValueError(f"unknown consent kind {kind!r}")
    now = now or datetime.now(timezone.utc)
    version = consent_version(kind)
    session.add(
        ConsentRecord(
            patient_id=patient_id,
            kind=kind,
            version=version,
            granted=granted,
            channel=channel,
            at=now,
        )
    )
    columns = (
        (Patient.data_consent_version, Patient.data_consented_at)
        if kind == DATA
        else (Patient.clip_consent_version, Patient.clip_consented_at)
    )
    session.execute(
        update(Patient)
        .where(Patient.id == patient_id)
        .values({columns[0]: version if granted else None, columns[1]: now if granted else None})
        .execution_options(synchronize_session=False)
    )
    session.add(
        AuditEvent(
            actor=f"patient:{patient_id}",
            action=f"consent_{kind}_{'granted' if granted else 'refused'}",
            subject_type="patient",
            subject_id=patient_id,
            detail={"version": version, "channel": channel},
        )
    )
    return version


def has_answered(session: Session, patient_id: int, kind: str) -> bool:
    """Whether the patient ever answered the `kind` question."""
    return bool(
        session.scalar(
            select(
                exists().where(ConsentRecord.patient_id == patient_id, ConsentRecord.kind == kind)
            )
        )
    )
