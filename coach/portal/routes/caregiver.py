"""The caregiver's view: reminders and adherence; anything clinical only with consent."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.content import load_content
from coach.notify.render import as_utc
from coach.portal import audit
from coach.portal.caregiver_access import read_link, scope_of
from coach.portal.charts import adherence_chart, mood_chart, saq_chart
from coach.portal.deps import caregiver, get_db, render, settings_of
from coach.portal.media import available_kinds, media_url
from coach.portal.patient_list import ADHERENCE_DAYS
from coach.portal.patient_record import load_record
from coach.portal.routes.auth import set_session_cookie
from coach.portal.sessions import COOKIE_NAME, end_session, start_session
from coach.storage.models import CheckIn, Notification, PortalUser

router = APIRouter()
REMINDERS_SHOWN = 20
SYMPTOM_DAYS = 14


@router.get("/caregiver")
def caregiver_home(
    request: Request,
    user: PortalUser = Depends(caregiver),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    scope = scope_of(db, user)
    audit.record(db, user, "caregiver_viewed", "patient", scope.patient.id if scope else None)
    context: dict[str, object] = {"scope": scope, "charts": [], "clips": [], "checkins": []}
    if scope is None or not scope.consented:
        return render(request, "caregiver.html", context)
    now = datetime.now(timezone.utc)
    record = load_record(db, scope.patient, until=now, timeline_days=SYMPTOM_DAYS)
    week_ago = now - timedelta(days=ADHERENCE_DAYS)
    done_days = sum(
        1
        for c in record.checkins
        if (c.sessions_done or 0) > 0 and as_utc(c.completed_at) >= week_ago
    )
    reminders = db.scalars(
        select(Notification)
        .where(
            Notification.recipient_kind == "caregiver",
            Notification.recipient_id == scope.caregiver.id,
        )
        .order_by(Notification.created_at.desc())
        .limit(REMINDERS_SHOWN)
    ).all()
    charts = [adherence_chart(record)]
    if scope.may("view_mood"):
        charts.append(mood_chart(record))
    if scope.may("view_saq"):
        charts.append(saq_chart(record))
    clips = []
    if scope.may("view_clips"):
        ttl = settings_of(request).media_link_min * 60
        for clip in reversed(record.clips):
            images = {
                k: media_url(clip.id, k, user.id, ttl) for k in available_kinds(clip, user.role)
            }
            clips.append({"clip": clip, "images": images})
    checkins = []
    if scope.may("view_symptoms"):
        checkins = [e.item for e in record.timeline if isinstance(e.item, CheckIn)]
    context.update(
        {
            "first_name": (scope.patient.display_name or "").split(" ")[0],
            "done_days": done_days,
            "adherence_days": ADHERENCE_DAYS,
            "reminders": reminders,
            "reminder_labels": load_content("portal")["caregiver_notices"],
            "charts": [c for c in charts if c is not None],
            "clips": clips,
            "checkins": checkins,
        }
    )
    return render(request, "caregiver.html", context)


@router.get("/c/{token}")
def caregiver_link(
    request: Request, token: str, db: Session = Depends(get_db, scope="function")
) -> Response:
    """A caregiver's signed sign-in link: starts a view-only session."""
    user = read_link(db, token)
    if user is None:
        context = {
            "title": "Link not valid",
            "message": "This sign-in link is not valid or has "
            "expired. Please ask the clinic for a new one.",
        }
        return render(request, "message.html", context, status_code=403)
    end_session(db, request.cookies.get(COOKIE_NAME))
    session_token = start_session(db, user, settings_of(request), via_link=True)
    audit.record(db, user, "signed_in_by_link")
    response = RedirectResponse("/caregiver", status_code=303)
    set_session_cookie(request, response, session_token)
    return response
