"""Which targeted early-sign question a patient gets today (rotates daily, per patient)."""

from __future__ import annotations

from datetime import date

from coach.content import load_content


def early_sign_question_for(patient_id: int | None, day: date) -> str:
    """The early-sign question key for this patient on this day."""
    keys = load_content("checkin")["early_sign_questions"]
    return keys[(day.toordinal() + (patient_id or 0)) % len(keys)]
