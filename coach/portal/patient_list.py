"""The patient list: one SQL query computing each row's summary, sorted and paged in the database.

Per patient: last check-in, 7-day adherence (check-ins with at least one exercise session in the
last 7 × 24 h, out of 7), latest SAQ score and change (≥ the reviewed real-change threshold is
marked), latest clip status, open (unacknowledged) alerts. Every figure is a correlated look-up
on an index (patient_id, time), so the cost grows with the number of patients on the page's
sort, not with the length of their history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from coach.content import load_content
from coach.portal.access import patient_clause
from coach.storage.models import (
    CheckIn,
    ClipAnalysis,
    Escalation,
    Patient,
    PortalUser,
    QuestionnaireResponse,
    Therapist,
)

ADHERENCE_DAYS = 7
SORTS = ("name", "last_checkin", "adherence", "saq", "saq_change", "clip", "alerts")
DEFAULT_SORT = "alerts"


@dataclass(frozen=True)
class PatientRow:
    """One line of the list."""

    id: int
    name: str
    therapist: str | None
    last_checkin: datetime | None
    adherence_days: int
    adherence_pct: int
    saq_score: float | None
    saq_change: float | None
    saq_real_change: bool
    clip_status: str | None
    clip_needs_review: bool
    clip_at: datetime | None
    open_alerts: int


@dataclass(frozen=True)
class PatientPage:
    """A page of rows and what produced it."""

    rows: list[PatientRow]
    total: int
    page: int
    pages: int
    sort: str
    descending: bool
    search: str


def real_change_points() -> float:
    """The reviewed SAQ real-change threshold (points)."""
    return float(load_content("clinical")["saq"]["real_change_points"])


def _search_clause(search: str) -> Any:
    text = search.strip()
    if not text:
        return None
    if text.lstrip("#").isdigit():
        return Patient.id == int(text.lstrip("#"))
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(Patient.display_name).like(f"%{escaped}%", escape="\\")


def patient_page(
    db: Session,
    user: PortalUser,
    *,
    search: str = "",
    sort: str = DEFAULT_SORT,
    descending: bool = True,
    page: int = 1,
    page_size: int = 50,
    now: datetime | None = None,
) -> PatientPage:
    """The rows `user` may see, filtered by `search`, sorted by `sort`, page `page`."""
    now = now or datetime.now(timezone.utc)
    since = now - timedelta(days=ADHERENCE_DAYS)
    sort = sort if sort in SORTS else DEFAULT_SORT
    latest_saq_id = (
        select(QuestionnaireResponse.id)
        .where(QuestionnaireResponse.patient_id == Patient.id)
        .order_by(QuestionnaireResponse.answered_at.desc(), QuestionnaireResponse.id.desc())
        .limit(1)
        .correlate(Patient)
        .scalar_subquery()
    )
    latest_clip_id = (
        select(ClipAnalysis.id)
        .where(ClipAnalysis.patient_id == Patient.id)
        .order_by(ClipAnalysis.created_at.desc(), ClipAnalysis.id.desc())
        .limit(1)
        .correlate(Patient)
        .scalar_subquery()
    )
    last_checkin = (
        select(func.max(CheckIn.completed_at))
        .where(CheckIn.patient_id == Patient.id)
        .correlate(Patient)
        .scalar_subquery()
        .label("last_checkin")
    )
    adherence = (
        select(func.count(CheckIn.id))
        .where(
            CheckIn.patient_id == Patient.id,
            CheckIn.completed_at >= since,
            CheckIn.sessions_done > 0,
        )
        .correlate(Patient)
        .scalar_subquery()
        .label("adherence")
    )
    open_alerts = (
        select(func.count(Escalation.id))
        .where(Escalation.patient_id == Patient.id, Escalation.status == "open")
        .correlate(Patient)
        .scalar_subquery()
        .label("open_alerts")
    )
    saq = aliased(QuestionnaireResponse)
    clip = aliased(ClipAnalysis)
    base = (
        select(
            Patient.id,
            Patient.display_name,
            Therapist.name.label("therapist_name"),
            last_checkin,
            adherence,
            saq.score,
            saq.change_from_previous,
            saq.real_change,
            clip.status,
            clip.needs_review,
            clip.created_at,
            open_alerts,
        )
        .outerjoin(Therapist, Therapist.id == Patient.therapist_id)
        .outerjoin(saq, saq.id == latest_saq_id)
        .outerjoin(clip, clip.id == latest_clip_id)
        .where(patient_clause(user), Patient.active.is_(True))
    )
    found = _search_clause(search)
    if found is not None:
        base = base.where(found)
    keys = {
        "name": func.lower(Patient.display_name),
        "last_checkin": last_checkin,
        "adherence": adherence,
        "saq": saq.score,
        "saq_change": saq.change_from_previous,
        "clip": clip.needs_review,
        "alerts": open_alerts,
    }
    key = keys[sort]
    # NULLs last in both directions (portable: a boolean "is null" key first).
    order = [key.is_(None), key.desc() if descending else key.asc(), Patient.id]
    count_query = select(func.count(Patient.id)).where(patient_clause(user), Patient.active)
    if found is not None:
        count_query = count_query.where(found)
    total = int(db.scalar(count_query) or 0)
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    result = db.execute(base.order_by(*order).limit(page_size).offset((page - 1) * page_size))
    threshold = real_change_points()
    rows = []
    for r in result:
        change = r.change_from_previous
        rows.append(
            PatientRow(
                id=r.id,
                name=r.display_name,
                therapist=r.therapist_name,
                last_checkin=r.last_checkin,
                adherence_days=int(r.adherence or 0),
                adherence_pct=round(
                    100 * min(int(r.adherence or 0), ADHERENCE_DAYS) / ADHERENCE_DAYS
                ),
                saq_score=r.score,
                saq_change=change,
                saq_real_change=bool(r.real_change)
                or (change is not None and abs(change) >= threshold),
                clip_status=r.status,
                clip_needs_review=bool(r.needs_review),
                clip_at=r.created_at,
                open_alerts=int(r.open_alerts or 0),
            )
        )
    return PatientPage(rows, total, page, pages, sort, descending, search)


__all__ = ["PatientPage", "PatientRow", "SORTS", "patient_page"]
