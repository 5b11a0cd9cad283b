"""Who may see what: every portal query about patients or alerts goes through these clauses.

- therapist: their own patients and those patients' alerts;
- clinic admin: the duty inbox: patients with no therapist, alerts with no patient or whose
  patient has no therapist;
- caregiver: no clinical page at all (their own view, `caregiver_view.py`, shows what the
  patient consented to).
Anything outside a user's scope is answered with 404, exactly as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from coach.storage.models import Escalation, Patient, PortalUser


def patient_clause(user: PortalUser) -> ColumnElement[bool]:
    """WHERE clause over `Patient` limiting rows to what `user` may open."""
    if user.role == "therapist" and user.therapist_id is not None:
        return Patient.therapist_id == user.therapist_id
    if user.role == "admin":
        return Patient.therapist_id.is_(None)
    return false()


def escalation_clause(user: PortalUser) -> ColumnElement[bool]:
    """WHERE clause over `Escalation` (joined to `Patient` with an outer join)."""
    if user.role == "therapist" and user.therapist_id is not None:
        return Patient.therapist_id == user.therapist_id
    if user.role == "admin":
        return or_(Escalation.patient_id.is_(None), Patient.therapist_id.is_(None))
    return false()


def visible_patient(db: Session, user: PortalUser, patient_id: Any) -> Patient:
    """The patient if `user` may open it, else 404."""
    try:
        wanted = int(patient_id)
    except (TypeError, ValueError):
        raise HTTPException(status_code=404) from None
    patient = db.scalar(select(Patient).where(Patient.id == wanted, patient_clause(user)))
    if patient is None:
        raise HTTPException(status_code=404)
    return patient


def visible_escalation(db: Session, user: PortalUser, escalation_id: Any) -> Escalation:
    """The escalation if `user` may act on it, else 404."""
    try:
        wanted = int(escalation_id)
    except (TypeError, ValueError):
        raise HTTPException(status_code=404) from None
    escalation = db.scalar(
        select(Escalation)
        .outerjoin(Patient, Patient.id == Escalation.patient_id)
        .where(and_(Escalation.id == wanted, escalation_clause(user)))
    )
    if escalation is None:
        raise HTTPException(status_code=404)
    return escalation
