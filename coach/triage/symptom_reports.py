"""Symptoms a patient reports at any time (outside a check-in): record, triage, coach."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.content import load_content
from coach.escalation.raising import EscalationRequest, raise_escalation
from coach.nlp.symptoms import Symptom, coaching_response, early_sign_findings, extract_symptoms
from coach.storage.models import Patient, SymptomReport
from coach.triage.who_was_told import recipient_kinds

MAX_COACHING_REPLIES = 2  # CLINICAL.md: at most two coaching messages, the most important first


@dataclass
class SymptomNote:
    """What a message reported, what is new, and who will hear about it."""

    symptoms: list[Symptom]
    new_signs: list[Symptom]
    recipients: set[str] = field(default_factory=set)
    other_side: bool = False  # weakness/numbness named on the side that was not affected

    @property
    def coaching(self) -> list[str]:
        """Domain responses that coach on the early signs reported (at most two)."""
        names: list[str] = []
        for sign in early_sign_findings(self.symptoms):
            name = coaching_response(sign.symptom)
            if name and name not in names:
                names.append(name)
        return names[:MAX_COACHING_REPLIES]


def _recently_reported(session: Session, patient: Patient, symptom: str, since: datetime) -> bool:
    return (
        session.scalar(
            select(SymptomReport.id).where(
                SymptomReport.patient_id == patient.id,
                SymptomReport.symptom == symptom,
                SymptomReport.negated.is_(False),
                SymptomReport.reported_at >= since,
            )
        )
        is not None
    )


def record_symptom_message(
    session: Session, patient: Patient, text: str, source_key: str, now: datetime | None = None
) -> SymptomNote:
    """Store the symptoms of one message (idempotent on `source_key`); a new early sign goes
    to the therapist within a working day."""
    now = now or datetime.now(timezone.utc)
    symptoms = extract_symptoms(text, patient.affected_side)
    findings = early_sign_findings(symptoms)
    repeat_days = load_content("clinical")["symptom_reports"]["early_sign_repeat_days"]
    already = session.scalar(select(SymptomReport.id).where(SymptomReport.source_key == source_key))
    new_signs = (
        []
        if already
        else [
            s
            for s in findings
            if not _recently_reported(
                session, patient, s.symptom, now - timedelta(days=repeat_days)
            )
        ]
    )
    if not already:
        for symptom in symptoms:
            session.add(
                SymptomReport(
                    checkin_id=None,
                    patient_id=patient.id,
                    symptom=symptom.symptom,
                    side=symptom.side,
                    trigger=symptom.trigger,
                    negated=symptom.negated,
                    text=symptom.text[:200],
                    reported_at=now,
                    source_key=source_key,
                )
            )
        session.flush()
    other_side = bool(patient.affected_side) and any(
        s.is_finding and s.symptom == "weakness" and s.side not in (None, patient.affected_side)
        for s in symptoms
    )
    note = SymptomNote(symptoms=symptoms, new_signs=new_signs, other_side=other_side)
    if new_signs:
        escalation = raise_escalation(
            session,
            patient,
            EscalationRequest(
                kind="early_synkinesis",
                idempotency_key=f"early_synkinesis:{source_key}",
                evidence={
                    "source": "message",
                    "signs": [
                        {"symptom": s.symptom, "side": s.side, "trigger": s.trigger, "text": s.text}
                        for s in new_signs
                    ],
                },
            ),
        )
        note.recipients = recipient_kinds([escalation])
    return note
