"""The page acknowledge links land on: GET shows the alert and a button, only POST acknowledges
(mail scanners that prefetch links cannot acknowledge an alert nobody has read). A link works
once, for the recipient it was sent to (`coach.escalation.links`).

The page names no patient: whoever holds the link sees the alert's number, severity and kind.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from coach.content import load_content
from coach.notify.render import TIME_FORMAT, as_utc
from coach.portal import escalations
from coach.portal.deps import get_db, render
from coach.storage.models import Escalation

router = APIRouter()
STATUS = {
    "confirm": 200,
    "done": 200,
    "already": 409,
    "used": 410,
    "expired": 410,
    "invalid": 403,
    "not_found": 404,
}
# The token is in the URL: the app-wide Referrer-Policy (same-origin) keeps it from other sites
# ("no-referrer" would make the browser send `Origin: null` on the POST, which CSRF refuses).
HEADERS = {"Cache-Control": "no-store"}


def _page(request: Request, name: str, escalation: Escalation | None, token: str = "") -> Response:
    texts = load_content("notifications")
    if name != "confirm":
        token = ""  # the form (and the token in it) only on the confirmation page
    if name in ("expired", "invalid", "not_found"):
        escalation = None  # a link that does not work shows nothing about any alert
    values = {"state": name, "token": token, "escalation": escalation}
    if escalation is not None:
        values.update(
            level_label=texts["level_labels"].get(escalation.level, escalation.level),
            kind_label=texts["kind_labels"].get(escalation.kind, escalation.kind),
            raised_at=as_utc(escalation.created_at).strftime(TIME_FORMAT),
            acknowledged_at=as_utc(escalation.acknowledged_at).strftime(TIME_FORMAT)
            if escalation.acknowledged_at
            else None,
        )
    response = render(request, "ack.html", values, status_code=STATUS[name])
    response.headers.update(HEADERS)
    return response


@router.get("/ack")
def ack_confirm(
    request: Request, token: str = "", db: Session = Depends(get_db, scope="function")
) -> Response:
    outcome = escalations.check_link(db, token)
    return _page(request, outcome.result, outcome.escalation, token)


@router.post("/ack")
def ack(
    request: Request, token: str = Form(""), db: Session = Depends(get_db, scope="function")
) -> Response:
    outcome = escalations.acknowledge_by_link(db, token)
    state = "done" if outcome.result == escalations.ACKNOWLEDGED else outcome.result
    return _page(request, state, outcome.escalation)
