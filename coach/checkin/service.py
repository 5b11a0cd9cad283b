"""Store a completed check-in or SAQ with its symptoms and escalations, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.checkin.coaching import CheckInAnswers, coaching_responses
from coach.checkin.saq import SaqResult, score_saq
from coach.nlp.symptoms import early_sign_findings, extract_symptoms
from coach.storage.models import CheckIn, Patient, QuestionnaireResponse, SymptomReport
from coach.triage.checkin_rules import checkin_escalations, saq_escalation
from coach.triage.escalation import raise_escalation


@dataclass
class CheckInOutcome:
    """What the patient is told and what the therapist will hear about."""

    responses: list[str]
    escalation_kinds: list[str] = field(default_factory=list)
    already_recorded: bool = False


def record_checkin(
    session: Session, patient: Patient, answers: CheckInAnswers, submission_key: str
) -> CheckInOutcome:
    """Save the check-in, its symptom reports and escalations (idempotent on submission_key)."""
    symptoms = extract_symptoms(answers.face_feeling or "", patient.affected_side)
    findings = early_sign_findings(symptoms)
    responses = coaching_responses(
        answers, early_signs_found=bool(findings) or bool(answers.early_sign_present)
    )
    if session.scalar(select(CheckIn.id).where(CheckIn.submission_key == submission_key)):
        return CheckInOutcome(responses=responses, already_recorded=True)
    checkin = CheckIn(
        patient_id=patient.id,
        submission_key=submission_key,
        face_feeling=answers.face_feeling,
        early_sign_key=answers.early_sign_key,
        early_sign_present=answers.early_sign_present,
        sessions_done=answers.sessions_done,
        minutes_practised=answers.minutes_practised,
        mirror_used=answers.mirror_used,
        forced_movements=answers.forced_movements,
        eye_care_done=answers.eye_care_done,
        mood=answers.mood,
    )
    session.add(checkin)
    session.flush()
    for symptom in symptoms:
        session.add(
            SymptomReport(
                checkin_id=checkin.id,
                patient_id=patient.id,
                symptom=symptom.symptom,
                side=symptom.side,
                trigger=symptom.trigger,
                negated=symptom.negated,
                text=symptom.text,
            )
        )
    requests = checkin_escalations(
        submission_key, symptoms, answers.early_sign_key, answers.early_sign_present, answers.mood
    )
    for request in requests:
        raise_escalation(session, patient, request)
    return CheckInOutcome(responses=responses, escalation_kinds=[r.kind for r in requests])


def record_saq(
    session: Session, patient: Patient, items: list[int], submission_key: str
) -> tuple[SaqResult, bool]:
    """Score and save a weekly SAQ; returns the result and whether the therapist was told."""
    previous = session.scalar(
        select(QuestionnaireResponse)
        .where(
            QuestionnaireResponse.patient_id == patient.id,
            QuestionnaireResponse.submission_key != submission_key,
        )
        .order_by(QuestionnaireResponse.answered_at.desc(), QuestionnaireResponse.id.desc())
    )
    result = score_saq(items, previous.score if previous else None)
    escalation = saq_escalation(submission_key, result.score, result.change, result.real_change)
    if session.scalar(
        select(QuestionnaireResponse.id).where(
            QuestionnaireResponse.submission_key == submission_key
        )
    ):
        return result, escalation is not None
    session.add(
        QuestionnaireResponse(
            patient_id=patient.id,
            submission_key=submission_key,
            items=list(result.items),
            score=result.score,
            change_from_previous=result.change,
            real_change=result.real_change,
        )
    )
    if escalation is not None:
        raise_escalation(session, patient, escalation)
    return result, escalation is not None
