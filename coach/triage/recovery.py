"""Recovery milestones (CLINICAL.md "Recovery stalled"): when each nudge is due, and its note.

No improvement 3 weeks after onset, or incomplete recovery at 3 months: the coach suggests
asking for a specialist referral and the therapist gets a routine note. Days come from
`recovery` in coach/content/clinical.yml.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from coach.content import load_content
from coach.escalation.raising import EscalationRequest, raise_escalation
from coach.storage.models import Patient

STALLED = "stalled"  # 3 weeks after onset
INCOMPLETE = "incomplete"  # 3 months after onset
DAYS_KEY = {STALLED: "stalled_after_days", INCOMPLETE: "incomplete_after_days"}
INTENT = {STALLED: "EXTERNAL_recovery_stalled", INCOMPLETE: "EXTERNAL_recovery_incomplete"}
RESPONSE = {STALLED: "utter_recovery_stalled", INCOMPLETE: "utter_recovery_incomplete"}
KIND = "recovery_stalled"


def milestone_for_intent(intent: str) -> str | None:
    """The milestone a scheduler intent stands for (None for any other intent)."""
    return next((name for name, known in INTENT.items() if known == intent), None)


def due_milestone(onset: date, today: date) -> str | None:
    """The milestone whose nudge is due on the patient's `today` (the later one first)."""
    rules = load_content("clinical")["recovery"]
    days = (today - onset).days
    for milestone in (INCOMPLETE, STALLED):
        start = int(rules[DAYS_KEY[milestone]])
        if start <= days <= start + int(rules["nudge_window_days"]):
            return milestone
    return None


def note_therapist(session: Session, patient: Patient, milestone: str, today: date) -> bool:
    """Raise the routine note for this milestone (once per patient); True if a therapist hears."""
    days = int(load_content("clinical")["recovery"][DAYS_KEY[milestone]])
    escalation = raise_escalation(
        session,
        patient,
        EscalationRequest(
            kind=KIND,
            idempotency_key=f"{KIND}:{patient.id}:{milestone}",
            evidence={
                "source": "recovery milestone nudge",
                "milestone": f"{days} days after onset",
                "onset_date": patient.onset_date.isoformat() if patient.onset_date else None,
                "days_since_onset": (today - patient.onset_date).days
                if patient.onset_date
                else None,
                "patient_told": "if no improvement (3 weeks) or not fully recovered (3 months), "
                "ask for a specialist referral",
            },
        ),
    )
    session.flush()
    return any(n.recipient_kind == "therapist" for n in escalation.notifications)
