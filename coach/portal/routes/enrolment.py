"""Enrolment: a therapist adds a patient and gets a one-time invite (code, links, QR codes).

The invite code is shown once, on the page that made it (only its hash is stored). A therapist
enrols onto their own list and invites only their own patients; a clinic admin enrols
unassigned patients (assigned later on the duty pages). The work is `coach.enrolment`.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from coach.config import get_settings
from coach.enrolment import add_patient, create_invite
from coach.portal import audit
from coach.portal.access import visible_patient
from coach.portal.deps import get_db, render, staff
from coach.portal.enrolment import EnrolForm, enrolment_state, invite_view
from coach.portal.plans import PlanForm, time_zones
from coach.storage.models import Patient, PortalUser

router = APIRouter()
DEFAULT_CHECKIN_TIME = "09:00"


def _form_page(request: Request, form: EnrolForm, status_code: int = 200) -> Response:
    context = {"form": form, "zones": time_zones()}
    return render(request, "enrol.html", context, status_code=status_code)


def _invite_page(
    request: Request, db: Session, user: PortalUser, patient: Patient, *, new: bool
) -> Response:
    """The patient's enrolment state; with `new`, a fresh invite shown once."""
    context: dict[str, object] = {"patient": patient, "invite": None, "channels": []}
    if new:
        invite = create_invite(db, patient.id, created_by=audit.actor(user))
        links, channels = invite_view(invite)
        context.update(invite=invite, links=links, channels=channels)
    context["state"] = enrolment_state(db, patient.id)
    return render(request, "invite.html", context)


@router.get("/enrol")
def enrol_form(request: Request, user: PortalUser = Depends(staff)) -> Response:
    plan = PlanForm(checkin_time=DEFAULT_CHECKIN_TIME, timezone=get_settings().default_timezone)
    return _form_page(request, EnrolForm(plan=plan))


@router.post("/enrol")
def enrol(
    request: Request,
    display_name: str = Form(""),
    onset_date: str = Form(""),
    affected_side: str = Form(""),
    eye_closure_incomplete: str = Form(""),
    checkin_time: str = Form(""),
    timezone: str = Form(""),
    user: PortalUser = Depends(staff),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """Add the patient to the signed-in therapist's list and show their first invite."""
    plan = PlanForm(
        affected_side=affected_side,
        checkin_time=checkin_time,
        timezone=timezone,
        eye_closure_incomplete=eye_closure_incomplete == "on",
    )
    form = EnrolForm(display_name=display_name, onset_date=onset_date.strip(), plan=plan)
    if not form.validate():
        return _form_page(request, form, status_code=400)
    therapist_id = user.therapist_id if user.role == "therapist" else None
    patient = add_patient(db, therapist_id, form.details(), created_by=audit.actor(user))
    return _invite_page(request, db, user, patient, new=True)


@router.get("/patients/{patient_id}/invite")
def invite_state(
    request: Request,
    patient_id: str,
    user: PortalUser = Depends(staff),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    patient = visible_patient(db, user, patient_id)
    audit.record(db, user, "viewed_enrolment", "patient", patient.id)
    return _invite_page(request, db, user, patient, new=False)


@router.post("/patients/{patient_id}/invite")
def new_invite(
    request: Request,
    patient_id: str,
    user: PortalUser = Depends(staff),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """A new one-time invite for one of the user's patients."""
    patient = visible_patient(db, user, patient_id)
    return _invite_page(request, db, user, patient, new=True)
