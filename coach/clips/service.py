"""Store a clip's analysis for a patient, keep the baseline, and triage what it found."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coach.clips.evidence import clip_evidence
from coach.clips.intake import clip_path
from coach.storage.models import ClipAnalysis, ClipUpload, Patient

EARLY_SYNKINESIS = "early_synkinesis"


def _escalate(
    session: Session, patient: Patient, kind: str, key: str, evidence: dict[str, Any]
) -> None:
    """The one place clips raise an escalation (outbox rows in the caller's transaction)."""
    from coach.escalation.raising import EscalationRequest, raise_escalation

    raise_escalation(session, patient, EscalationRequest(kind, key, evidence))


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
    """Save the report (idempotent per clip); the first good clip without a red flag becomes
    the baseline.

    Returns the row and whether the therapist was told: an early-synkinesis escalation, and a
    red flag ("other_cause", urgent: weakness on the unaffected side or both sides) on its own.
    """
    existing = session.scalar(
        select(ClipAnalysis).where(
            ClipAnalysis.patient_id == patient.id, ClipAnalysis.clip_id == clip_id
        )
    )
    if existing is not None:
        return existing, existing.needs_review
    # A clip that needs a doctor (weakness on the unaffected side) is never the starting point.
    usable = report["status"] == "ok" and not report.get("red_flag")
    is_baseline = usable and baseline_report(session, patient.id) is None
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
    evidence = clip_evidence(report, row.id, row.is_baseline)
    red_flag = report.get("red_flag")
    if red_flag:
        _escalate(session, patient, red_flag, f"clip:{red_flag}:{patient.id}:{clip_id}", evidence)
    signs = report["flags"].get("ocular_synkinesis") or report["flags"].get("oral_synkinesis")
    crossed = (report.get("baseline") or {}).get("crossed")
    if signs or crossed or (row.needs_review and not red_flag):
        _escalate(session, patient, EARLY_SYNKINESIS, f"clip:{patient.id}:{clip_id}", evidence)
    return row, row.needs_review


def discard_refused_clip(session: Session, clip_id: str) -> bool:
    """Delete a clip the analysis refused (no face, too dark, ...) and who uploaded it, unless an
    analysis uses it."""
    if session.scalar(select(ClipAnalysis.id).where(ClipAnalysis.clip_id == clip_id).limit(1)):
        return False
    session.execute(delete(ClipUpload).where(ClipUpload.clip_id == clip_id))
    path = clip_path(clip_id)
    if path is None:
        return False
    path.unlink(missing_ok=True)
    return True
