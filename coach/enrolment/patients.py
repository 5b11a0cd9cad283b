"""A new patient on a therapist's list (the portal's enrolment page and `coach patients add`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy.orm import Session

from coach.storage.models import AuditEvent, Patient


@dataclass(frozen=True)
class NewPatient:
    """What a therapist tells the coach about a patient they enrol."""

    display_name: str
    timezone: str
    checkin_time: time
    locale: str = "en-GB"
    onset_date: date | None = None
    affected_side: str | None = None
    eye_closure_incomplete: bool = False


def add_patient(
    session: Session, therapist_id: int | None, details: NewPatient, *, created_by: str
) -> Patient:
    """Add the patient (not yet reachable: they join with an invite) and audit it."""
    patient = Patient(
        display_name=details.display_name,
        timezone=details.timezone,
        locale=details.locale,
        checkin_time=details.checkin_time,
        onset_date=details.onset_date,
        affected_side=details.affected_side,
        eye_closure_incomplete=details.eye_closure_incomplete,
        therapist_id=therapist_id,
    )
    session.add(patient)
    session.flush()
    session.add(
        AuditEvent(
            actor=created_by[:120],
            action="patient_enrolled",
            subject_type="patient",
            subject_id=patient.id,
            detail={"therapist_id": therapist_id},
        )
    )
    return patient
