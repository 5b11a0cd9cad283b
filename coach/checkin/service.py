"""Store a completed check-in or SAQ with its symptoms and escalations, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coach.checkin.coaching import CheckInAnswers, coaching_responses
from coach.checkin.plan import plan_steps
from coach.checkin.saq import SaqResult, score_saq
from coach.escalation.raising import raise_escalation
from coach.nlp.symptoms import early_sign_findings, extract_symptoms
from coach.scheduler.sweep import zone_info
from coach.storage.models import CheckIn, Patient, QuestionnaireResponse, SymptomReport
from coach.triage.checkin_rules import checkin_escalations, saq_escalation
from coach.triage.who_was_told import recipient_kinds

THANKS = "utter_checkin_thanks"
UPDATED_THANKS = "utter_checkin_updated"
ANSWER_FIELDS = (
    "face_feeling",
    "early_sign_key",
    "early_sign_present",
    "sessions_done",
    "minutes_practised",
    "mirror_used",
    "forced_movements",
    "eye_care_done",
    "mood",
)


@dataclass
class CheckInOutcome:
    """What the patient is told and what the therapist will hear about."""

    responses: list[str]
    escalation_kinds: list[str] = field(default_factory=list)
    already_recorded: bool = False
    updated: bool = False  # today's earlier check-in was replaced
    recipients: set[str] = field(default_factory=set)  # who the escalations will notify
    plan_steps: str | None = None  # today's plan exercises, for utter_coach_plan


def patient_today(patient: Patient, now: datetime | None = None) -> date:
    """Today's date on the patient's wall clock."""
    moment = now or datetime.now(timezone.utc)
    return moment.astimezone(zone_info(patient.timezone)).date()


def checkin_today(
    session: Session, patient: Patient, now: datetime | None = None
) -> CheckIn | None:
    """The check-in the patient already saved today (their local date), if any."""
    return session.scalar(
        select(CheckIn).where(
            CheckIn.patient_id == patient.id, CheckIn.local_date == patient_today(patient, now)
        )
    )


def record_checkin(
    session: Session,
    patient: Patient,
    answers: CheckInAnswers,
    submission_key: str,
    now: datetime | None = None,
) -> CheckInOutcome:
    """Save today's check-in (or update it), its symptom reports and escalations.

    One check-in per patient per local day: a second one the same day replaces the answers of
    the first. Idempotent on `submission_key` (a retried submit changes nothing).
    """
    symptoms = extract_symptoms(answers.face_feeling or "", patient.affected_side)
    findings = early_sign_findings(symptoms)
    steps = plan_steps(patient.plan_exercises or [], patient_today(patient, now))
    responses = coaching_responses(
        answers,
        early_signs_found=bool(findings) or bool(answers.early_sign_present),
        has_plan=steps is not None,
    )
    if session.scalar(select(CheckIn.id).where(CheckIn.submission_key == submission_key)):
        return CheckInOutcome(responses=responses, already_recorded=True, plan_steps=steps)
    checkin = checkin_today(session, patient, now)
    updated = checkin is not None
    if checkin is None:
        checkin = CheckIn(patient_id=patient.id, local_date=patient_today(patient, now))
        session.add(checkin)
    else:
        session.execute(delete(SymptomReport).where(SymptomReport.checkin_id == checkin.id))
        checkin.completed_at = now or datetime.now(timezone.utc)
        responses = [UPDATED_THANKS if r == THANKS else r for r in responses]
    checkin.submission_key = submission_key
    for name in ANSWER_FIELDS:
        setattr(checkin, name, getattr(answers, name))
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
    escalations = [raise_escalation(session, patient, request) for request in requests]
    return CheckInOutcome(
        responses=responses,
        escalation_kinds=[r.kind for r in requests],
        updated=updated,
        recipients=recipient_kinds(escalations),
        plan_steps=steps,
    )


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
