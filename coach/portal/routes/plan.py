"""Plan and settings of a patient; caregivers, their consents and their portal access."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.content import load_content
from coach.portal import accounts, audit
from coach.portal.access import visible_patient
from coach.portal.caregiver_access import caregiver_account, make_link
from coach.portal.deps import get_db, render, settings_of, staff
from coach.portal.plans import (
    CaregiverForm,
    PlanForm,
    caregiver_scopes,
    exercise_catalogue,
    temporary_password,
    time_zones,
)
from coach.portal.sessions import end_all_sessions
from coach.storage.models import Caregiver, Patient, PortalUser

router = APIRouter()


def _caregivers(db: Session, patient: Patient) -> list[dict[str, object]]:
    rows = db.scalars(
        select(Caregiver).where(Caregiver.patient_id == patient.id).order_by(Caregiver.id)
    )
    return [{"caregiver": c, "account": caregiver_account(db, c.id)} for c in rows]


def _page(
    request: Request,
    db: Session,
    patient: Patient,
    form: PlanForm,
    *,
    caregiver_form: CaregiverForm | None = None,
    shown: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    notices, views = caregiver_scopes()
    context = {
        "patient": patient,
        "form": form,
        "zones": time_zones(),
        "exercises": exercise_catalogue(),
        "weekdays": load_content("portal")["weekdays"],
        "clinic_clip_day": load_content("notifications")["prompts"]["clip_weekday"],
        "caregivers": _caregivers(db, patient),
        "notices": notices,
        "views": views,
        "new_caregiver": caregiver_form or CaregiverForm(),
        "shown": shown or {},
    }
    return render(request, "plan.html", context, status_code=status_code)


@router.get("/patients/{patient_id}/plan")
def plan_form(
    request: Request,
    patient_id: str,
    user: PortalUser = Depends(staff),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    patient = visible_patient(db, user, patient_id)
    audit.record(db, user, "viewed_plan", "patient", patient.id)
    return _page(request, db, patient, PlanForm.of(patient))


@router.post("/patients/{patient_id}/plan")
def save_plan(
    request: Request,
    patient_id: str,
    affected_side: str = Form(""),
    checkin_time: str = Form(""),
    timezone: str = Form(""),
    clip_weekday: str = Form(""),
    exercises: list[str] = Form(default_factory=list),
    eye_closure_incomplete: str = Form(""),
    user: PortalUser = Depends(staff),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    patient = visible_patient(db, user, patient_id)
    form = PlanForm(
        affected_side=affected_side,
        checkin_time=checkin_time,
        timezone=timezone,
        clip_weekday=clip_weekday,
        exercises=exercises,
        eye_closure_incomplete=eye_closure_incomplete == "on",
    )
    if not form.validate():
        return _page(request, db, patient, form, status_code=400)
    changed = form.apply(patient)
    audit.record(db, user, "changed_plan", "patient", patient.id, fields=sorted(changed))
    return RedirectResponse(f"/patients/{patient.id}/plan?msg=plan_saved", status_code=303)


def _caregiver_of(db: Session, patient: Patient, caregiver_id: str) -> Caregiver:
    caregiver = db.scalar(
        select(Caregiver).where(
            Caregiver.id == (int(caregiver_id) if caregiver_id.isdigit() else -1),
            Caregiver.patient_id == patient.id,
        )
    )
    if caregiver is None:
        raise HTTPException(status_code=404)
    return caregiver


@router.post("/patients/{patient_id}/caregivers")
@router.post("/patients/{patient_id}/caregivers/{caregiver_id}")
def save_caregiver(
    request: Request,
    patient_id: str,
    caregiver_id: str | None = None,
    name: str = Form(""),
    email: str = Form(""),
    phone: str = Form(""),
    scope: list[str] = Form(default_factory=list),
    consented: str = Form(""),
    user: PortalUser = Depends(staff),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    patient = visible_patient(db, user, patient_id)
    caregiver = _caregiver_of(db, patient, caregiver_id) if caregiver_id else None
    form = CaregiverForm(name, email, phone, scope, consented == "on")
    if not form.validate():
        return _page(
            request, db, patient, PlanForm.of(patient), caregiver_form=form, status_code=400
        )
    if caregiver is None:
        caregiver = Caregiver(patient_id=patient.id, name=form.name, consent_scope=[])
        db.add(caregiver)
    form.apply(caregiver)
    db.flush()
    audit.record(
        db, user, "changed_caregiver", "caregiver", caregiver.id, scope=caregiver.consent_scope
    )
    return RedirectResponse(f"/patients/{patient.id}/plan?msg=caregiver_saved", status_code=303)


@router.post("/patients/{patient_id}/caregivers/{caregiver_id}/access")
def caregiver_access(
    request: Request,
    patient_id: str,
    caregiver_id: str,
    action: str = Form(""),
    user: PortalUser = Depends(staff),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """Create a caregiver sign-in (password and/or link), or revoke it."""
    patient = visible_patient(db, user, patient_id)
    caregiver = _caregiver_of(db, patient, caregiver_id)
    account = caregiver_account(db, caregiver.id)
    settings = settings_of(request)
    shown: dict[str, object] = {"caregiver_id": caregiver.id}
    if action == "revoke":
        if account is not None:
            account.active = False
            end_all_sessions(db, account.id)
        audit.record(db, user, "revoked_caregiver_access", "caregiver", caregiver.id)
        return RedirectResponse(f"/patients/{patient.id}/plan?msg=caregiver_saved", status_code=303)
    if action not in ("password", "link"):
        raise HTTPException(status_code=400, detail="Unknown action.")
    if account is None:
        if not caregiver.email:
            raise HTTPException(status_code=400, detail="The caregiver needs an e-mail address.")
        taken = db.scalar(
            select(PortalUser.id).where(
                PortalUser.email == accounts.normalise_email(caregiver.email)
            )
        )
        if taken is not None:
            raise HTTPException(status_code=400, detail="That e-mail already has a portal account.")
        password = temporary_password()
        account = accounts.create_user(
            db,
            caregiver.email,
            password,
            "caregiver",
            caregiver_id=caregiver.id,
            must_change_password=True,
        )
        shown["password"] = password
        shown["email"] = account.email
    account.active = True
    if action == "password" and "password" not in shown:
        password = temporary_password()
        accounts.set_password(account, password)
        account.must_change_password = True
        end_all_sessions(db, account.id)
        shown["password"] = password
        shown["email"] = account.email
    if action == "link":
        shown["link"] = make_link(settings.base_url, account, settings.caregiver_link_days * 86400)
        shown.pop("password", None)
    audit.record(db, user, f"caregiver_access_{action}", "caregiver", caregiver.id)
    return _page(request, db, patient, PlanForm.of(patient), shown=shown)
