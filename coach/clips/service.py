"""Store a clip's analysis for a patient, keep the baseline, and triage what it found."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.clips.evidence import clip_evidence
from coach.storage.models import ClipAnalysis, Patient
from coach.triage.escalation import EscalationRequest, raise_escalation


def baseline_report(session: Session, patient_id: int) -> dict[str, Any] | None:
    """The patient's baseline report (their first good clip), if any."""
    return session.scalar(
        select(ClipAnalysis.report).where(
            ClipAnalysis.patient_id == patient_id, ClipAnalysis.is_baseline.is_(True)
        )
    )


def record_clip_analysis(
    session: Session, patient: Patient, clip_id: str, report: dict[str, Any]
) -> tuple[ClipAnalysis, bool]:
    """Save the report (idempotent per clip); the first good clip becomes the baseline.

    Returns the row and whether the therapist was told (an early-synkinesis escalation).
    """
    existing = session.scalar(
        select(ClipAnalysis).where(
            ClipAnalysis.patient_id == patient.id, ClipAnalysis.clip_id == clip_id
        )
    )
    if existing is not None:
        return existing, existing.needs_review
    is_baseline = report["status"] == "ok" and baseline_report(session, patient.id) is None
    row = ClipAnalysis(
        patient_id=patient.id,
        clip_id=clip_id,
        status=report["status"],
        is_baseline=is_baseline,
        needs_review=bool(report["needs_review"]),
        report=report,
    )
    session.add(row)
    session.flush()
    if row.needs_review:
        raise_escalation(
            session,
            patient,
            EscalationRequest(
                kind="early_synkinesis",
                idempotency_key=f"clip:{patient.id}:{clip_id}",
                evidence=clip_evidence(report, row.id, row.is_baseline),
            ),
        )
    return row, row.needs_review
