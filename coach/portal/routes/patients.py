"""Patient list (sortable, searchable) and patient page (timeline, charts, clips, alerts)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from coach.content import load_content
from coach.portal import audit
from coach.portal.access import visible_patient
from coach.portal.charts import patient_charts
from coach.portal.deps import get_db, render, settings_of, staff
from coach.portal.inbox import describe
from coach.portal.media import available_kinds, media_url
from coach.portal.patient_list import SORTS, patient_page, real_change_points
from coach.portal.patient_record import PatientRecord, load_record
from coach.storage.models import PortalUser

router = APIRouter()


@router.get("/patients")
def patient_list(
    request: Request,
    q: str = "",
    sort: str = "alerts",
    dir: str = "desc",
    page: int = 1,
    user: PortalUser = Depends(staff),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    result = patient_page(
        db,
        user,
        search=q[:100],
        sort=sort,
        descending=dir != "asc",
        page=page,
        page_size=settings_of(request).page_size,
    )
    audit.record(db, user, "viewed_patient_list", shown=len(result.rows))
    context = {
        "result": result,
        "sorts": SORTS,
        "threshold": real_change_points(),
        "now": datetime.now(timezone.utc),
    }
    return render(request, "patients.html", context)


def parse_before(before: str | None) -> datetime:
    """The end of the timeline page (an ISO time from the 'older' link), or now."""
    if before:
        try:
            parsed = datetime.fromisoformat(before)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    return datetime.now(timezone.utc)


def clip_views(request: Request, record: PatientRecord, user: PortalUser) -> list[dict[str, Any]]:
    """Each clip with signed URLs for its images (newest first)."""
    ttl = settings_of(request).media_link_min * 60
    views = []
    for clip in reversed(record.clips):
        images = {
            kind: media_url(clip.id, kind, user.id, ttl)
            for kind in available_kinds(clip, user.role)
        }
        views.append({"clip": clip, "report": clip.report or {}, "images": images})
    return views


@router.get("/patients/{patient_id}")
def patient_detail(
    request: Request,
    patient_id: str,
    before: str | None = None,
    user: PortalUser = Depends(staff),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    patient = visible_patient(db, user, patient_id)
    record = load_record(db, patient, until=parse_before(before))
    now = datetime.now(timezone.utc)
    audit.record(db, user, "viewed_patient", "patient", patient.id)
    context = {
        "patient": patient,
        "record": record,
        "charts": patient_charts(record),
        "alerts": [describe(a, patient, now) for a in record.alerts if a.status != "resolved"],
        "clips": clip_views(request, record, user),
        "threshold": real_change_points(),
        "portal_text": load_content("portal"),
        "labels": load_content("notifications"),
        "back": f"/patients/{patient.id}",
        "onset_weeks": (now.date() - patient.onset_date).days // 7 if patient.onset_date else None,
    }
    return render(request, "patient.html", context)
