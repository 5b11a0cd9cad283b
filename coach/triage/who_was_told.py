"""What the patient is told about who was alerted: only what the written notifications say."""

from __future__ import annotations

from collections.abc import Iterable

from coach.content import load_content
from coach.storage.models import Escalation

THERAPIST = "therapist"
CAREGIVER = "caregiver"


def recipient_kinds(escalations: Iterable[Escalation]) -> set[str]:
    """Kinds of recipient (therapist, caregiver, clinic inbox …) the escalations will notify."""
    return {n.recipient_kind for e in escalations for n in e.notifications}


def who_was_told(recipients: set[str], *, spooled: bool = False, needed: bool = True) -> str:
    """The sentence for `recipients` (content/safety.yml); "" when nobody needed telling."""
    phrases = load_content("safety")["who_was_told"]
    others = recipients - {THERAPIST, CAREGIVER}
    if THERAPIST in recipients and CAREGIVER in recipients:
        key = "therapist_and_contact"
    elif THERAPIST in recipients:
        key = "therapist_and_clinic" if others else "therapist"
    elif CAREGIVER in recipients:
        key = "contact"
    elif others:
        key = "clinic"
    elif spooled:
        key = "saved"
    else:
        key = "nobody" if needed else "not_needed"
    return phrases[key]
