"""Alert inbox (therapists) and duty inbox (clinic admins): acknowledge with a note, resolve."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from coach.portal import audit, escalations
from coach.portal.access import visible_escalation
from coach.portal.deps import admin, get_db, render, staff, therapist
from coach.portal.inbox import INBOX_LIMIT, counts, inbox, unresolved_total
from coach.storage.models import PortalUser

router = APIRouter()


def _inbox_page(request: Request, db: Session, user: PortalUser, title: str) -> Response:
    alerts = inbox(db, user)
    audit.record(db, user, "viewed_inbox", shown=len(alerts))
    context = {
        "alerts": alerts,
        "counts": counts(alerts),
        "title": title,
        "back": request.url.path,
        "total": unresolved_total(db, user) if len(alerts) >= INBOX_LIMIT else len(alerts),
    }
    return render(request, "inbox.html", context)


@router.get("/inbox")
def therapist_inbox(
    request: Request,
    user: PortalUser = Depends(therapist),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    return _inbox_page(request, db, user, "Alert inbox")


@router.get("/admin/duty")
def duty_inbox(
    request: Request,
    user: PortalUser = Depends(admin),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    return _inbox_page(request, db, user, "Duty inbox: red flags with no therapist")


def _back(target: str, fallback: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else fallback


@router.post("/alerts/{escalation_id}/acknowledge")
def acknowledge(
    escalation_id: str,
    note: str = Form(""),
    back: str = Form("/inbox"),
    user: PortalUser = Depends(staff),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    escalation = visible_escalation(db, user, escalation_id)
    outcome = escalations.acknowledge(db, escalation.id, audit.actor(user), note)
    if outcome.escalation is None:
        raise HTTPException(status_code=404)
    message = "acknowledged" if outcome.result == "acknowledged" else "already"
    return RedirectResponse(f"{_back(back, '/inbox')}?msg={message}", status_code=303)


@router.post("/alerts/{escalation_id}/resolve")
def resolve(
    escalation_id: str,
    note: str = Form(""),
    back: str = Form("/inbox"),
    user: PortalUser = Depends(staff),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    escalation = visible_escalation(db, user, escalation_id)
    outcome = escalations.resolve(db, escalation.id, audit.actor(user), note)
    if outcome.escalation is None:
        raise HTTPException(status_code=404)
    return RedirectResponse(f"{_back(back, '/inbox')}?msg=resolved", status_code=303)
