"""Triage of a completed check-in or questionnaire into escalation requests."""

from __future__ import annotations

from coach.content import load_content
from coach.escalation.raising import EscalationRequest
from coach.nlp.symptoms import Symptom, early_sign_findings


def checkin_escalations(
    submission_key: str,
    symptoms: list[Symptom],
    early_sign_key: str | None,
    early_sign_present: bool | None,
    mood: int | None,
) -> list[EscalationRequest]:
    """Escalations a check-in calls for: new early signs, low mood."""
    requests: list[EscalationRequest] = []
    findings = early_sign_findings(symptoms)
    if findings or early_sign_present:
        requests.append(
            EscalationRequest(
                kind="early_synkinesis",
                idempotency_key=f"early_synkinesis:{submission_key}",
                evidence={
                    "source": "daily_checkin",
                    "signs": [
                        {"symptom": s.symptom, "side": s.side, "trigger": s.trigger, "text": s.text}
                        for s in findings
                    ],
                    "targeted_question": early_sign_key if early_sign_present else None,
                },
            )
        )
    low = load_content("clinical")["mood"]["low_threshold"]
    if mood is not None and mood <= low:
        requests.append(
            EscalationRequest(
                kind="low_mood",
                idempotency_key=f"low_mood:{submission_key}",
                evidence={"source": "daily_checkin", "mood": mood},
            )
        )
    return requests


def saq_escalation(
    submission_key: str, score: float, change: float | None, real_change: bool
) -> EscalationRequest | None:
    """An early-synkinesis escalation when the SAQ rose by a real change."""
    if not real_change or change is None or change <= 0:
        return None
    return EscalationRequest(
        kind="early_synkinesis",
        idempotency_key=f"saq_rise:{submission_key}",
        evidence={"source": "weekly_saq", "score": score, "change": change},
    )
