"""Clinic admin: therapists and their accounts, patient assignment, the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coach.portal import accounts, audit
from coach.portal.deps import admin, get_db, render, settings_of
from coach.portal.plans import EMAIL, NAME_MAX, PHONE, temporary_password, time_zones
from coach.portal.sessions import end_all_sessions
from coach.storage.models import AuditEvent, Patient, PortalUser, Therapist

router = APIRouter(prefix="/admin")


def _therapists(db: Session) -> list[dict[str, object]]:
    counts = dict(
        db.execute(
            select(Patient.therapist_id, func.count(Patient.id))
            .where(Patient.active)
            .group_by(Patient.therapist_id)
        ).all()
    )
    accounts_by_therapist = {
        u.therapist_id: u
        for u in db.scalars(select(PortalUser).where(PortalUser.role == "therapist"))
    }
    return [
        {
            "therapist": t,
            "patients": counts.get(t.id, 0),
            "account": accounts_by_therapist.get(t.id),
        }
        for t in db.scalars(select(Therapist).order_by(Therapist.name))
    ]


def _page(
    request: Request,
    db: Session,
    *,
    errors: dict[str, str] | None = None,
    shown: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    unassigned = db.scalars(
        select(Patient).where(Patient.therapist_id.is_(None), Patient.active).order_by(Patient.id)
    ).all()
    context = {
        "therapists": _therapists(db),
        "unassigned": unassigned,
        "admins": db.scalars(select(PortalUser).where(PortalUser.role == "admin")).all(),
        "zones": time_zones(),
        "errors": errors or {},
        "shown": shown or {},
        "values": values or {},
    }
    return render(request, "admin_therapists.html", context, status_code=status_code)


@router.get("/therapists")
def therapists(
    request: Request,
    user: PortalUser = Depends(admin),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    audit.record(db, user, "viewed_therapists")
    return _page(request, db)


@router.post("/therapists")
def add_therapist(
    request: Request,
    name: str = Form(""),
    email: str = Form(""),
    phone: str = Form(""),
    timezone: str = Form(""),
    backup_email: str = Form(""),
    user: PortalUser = Depends(admin),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    values = {
        "name": name.strip(),
        "email": accounts.normalise_email(email),
        "phone": phone.strip().replace(" ", ""),
        "timezone": timezone,
        "backup_email": accounts.normalise_email(backup_email),
    }
    errors = {}
    if not values["name"] or len(values["name"]) > NAME_MAX:
        errors["name"] = "Give the therapist's name."
    if not EMAIL.match(values["email"]):
        errors["email"] = "Give a valid e-mail address."
    elif db.scalar(select(PortalUser.id).where(PortalUser.email == values["email"])) or db.scalar(
        select(Therapist.id).where(Therapist.email == values["email"])
    ):
        errors["email"] = "That e-mail already has an account."
    if values["phone"] and not PHONE.match(values["phone"]):
        errors["phone"] = "Give the phone number in international form, e.g. +447700900123."
    if values["timezone"] and values["timezone"] not in time_zones():
        errors["timezone"] = "Choose a time zone from the list."
    if values["backup_email"] and not EMAIL.match(values["backup_email"]):
        errors["backup_email"] = "Give a valid e-mail address."
    if errors:
        return _page(request, db, errors=errors, values=values, status_code=400)
    therapist = Therapist(
        name=values["name"],
        email=values["email"],
        phone=values["phone"] or None,
        timezone=values["timezone"] or None,
        backup_email=values["backup_email"] or None,
    )
    db.add(therapist)
    db.flush()
    password = temporary_password()
    account = accounts.create_user(
        db,
        values["email"],
        password,
        "therapist",
        therapist_id=therapist.id,
        must_change_password=True,
    )
    audit.record(db, user, "added_therapist", "therapist", therapist.id, account=account.id)
    shown = {"email": account.email, "password": password}
    return _page(request, db, shown=shown)


@router.post("/users/{user_id}/{action}")
def user_action(
    user_id: int,
    action: str,
    user: PortalUser = Depends(admin),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    """unlock | deactivate | activate a therapist or admin account."""
    target = db.get(PortalUser, user_id)
    if (
        target is None
        or target.role not in ("therapist", "admin")
        or action not in ("unlock", "deactivate", "activate")
    ):
        raise HTTPException(status_code=404)
    if action == "deactivate" and target.id == user.id:
        raise HTTPException(status_code=400, detail="You cannot deactivate your own account.")
    if action == "unlock":
        accounts.unlock(db, target)
    else:
        target.active = action == "activate"
        if not target.active:
            end_all_sessions(db, target.id)
    audit.record(db, user, f"account_{action}", "portal_user", target.id)
    message = "unlocked" if action == "unlock" else "therapist_saved"
    return RedirectResponse(f"/admin/therapists?msg={message}", status_code=303)


@router.post("/patients/{patient_id}/assign")
def assign(
    patient_id: int,
    therapist_id: str = Form(""),
    user: PortalUser = Depends(admin),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    patient = db.get(Patient, patient_id)
    therapist = db.get(Therapist, int(therapist_id)) if therapist_id.isdigit() else None
    if patient is None or therapist is None:
        raise HTTPException(status_code=404)
    patient.therapist_id = therapist.id
    audit.record(db, user, "assigned_patient", "patient", patient.id, therapist=therapist.id)
    return RedirectResponse("/admin/therapists?msg=assigned", status_code=303)


@router.get("/audit")
def audit_log(
    request: Request,
    actor: str = "",
    action: str = "",
    subject: str = "",
    page: int = 1,
    user: PortalUser = Depends(admin),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    size = settings_of(request).page_size
    query = select(AuditEvent)
    if actor:
        query = query.where(func.lower(AuditEvent.actor).contains(actor.lower()[:120]))
    if action:
        query = query.where(AuditEvent.action == action[:64])
    if subject:
        kind, _, ident = subject.partition(":")
        query = query.where(AuditEvent.subject_type == kind[:32])
        if ident.isdigit():
            query = query.where(AuditEvent.subject_id == int(ident))
    total = int(db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    events = db.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    actions = db.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    audit.record(db, user, "viewed_audit_log")
    context = {
        "events": events,
        "page": page,
        "pages": pages,
        "total": total,
        "filters": {"actor": actor, "action": action, "subject": subject},
        "actions": actions,
    }
    return render(request, "admin_audit.html", context)
