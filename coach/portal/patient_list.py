"""The patient list: each row's summary computed in the database, sorted and paged there.

Per patient: last check-in, 7-day adherence (check-ins with at least one exercise session in the
last 7 × 24 h, out of 7), latest SAQ score and change (≥ the reviewed real-change threshold is
marked), latest clip status, open (unacknowledged) alerts. Every figure is a correlated look-up
on an index (patient_id, time); only the sort key is computed for every visible patient, the
other figures for the page's rows only, so the cost does not grow with the length of history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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


def _latest(column: Any, time_column: Any, patient_column: Any) -> Any:
    """The newest row's `column` for the outer query's patient (one index probe)."""
    return (
        select(column)
        .where(patient_column == Patient.id)
        .order_by(time_column.desc())
        .limit(1)
        .correlate(Patient)
        .scalar_subquery()
    )


def _columns(since: datetime) -> dict[str, Any]:
    """Every figure of a row as a correlated look-up on an index (patient_id, time)."""
    qr, clip = QuestionnaireResponse, ClipAnalysis
    return {
        "last_checkin": select(func.max(CheckIn.completed_at))
        .where(CheckIn.patient_id == Patient.id)
        .correlate(Patient)
        .scalar_subquery(),
        "adherence": select(func.count(CheckIn.id))
        .where(
            CheckIn.patient_id == Patient.id,
            CheckIn.completed_at >= since,
            CheckIn.sessions_done > 0,
        )
        .correlate(Patient)
        .scalar_subquery(),
        "open_alerts": select(func.count(Escalation.id))
        .where(Escalation.patient_id == Patient.id, Escalation.status == "open")
        .correlate(Patient)
        .scalar_subquery(),
        "saq_score": _latest(qr.score, qr.answered_at, qr.patient_id),
        "saq_change": _latest(qr.change_from_previous, qr.answered_at, qr.patient_id),
        "saq_real_change": _latest(qr.real_change, qr.answered_at, qr.patient_id),
        "clip_status": _latest(clip.status, clip.created_at, clip.patient_id),
        "clip_needs_review": _latest(clip.needs_review, clip.created_at, clip.patient_id),
        "clip_at": _latest(clip.created_at, clip.created_at, clip.patient_id),
    }


SORT_COLUMNS = {
    "last_checkin": "last_checkin",
    "adherence": "adherence",
    "saq": "saq_score",
    "saq_change": "saq_change",
    "clip": "clip_needs_review",
    "alerts": "open_alerts",
}


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
    """The rows `user` may see, filtered by `search`, sorted by `sort`, page `page`.

    Two queries: the page's patient ids, computing only the sort key for every visible patient;
    then every figure for those ids only.
    """
    now = now or datetime.now(timezone.utc)
    sort = sort if sort in SORTS else DEFAULT_SORT
    columns = _columns(now - timedelta(days=ADHERENCE_DAYS))
    scope = [patient_clause(user), Patient.active.is_(True)]
    found = _search_clause(search)
    if found is not None:
        scope.append(found)
    total = int(db.scalar(select(func.count(Patient.id)).where(*scope)) or 0)
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    key = func.lower(Patient.display_name) if sort == "name" else columns[SORT_COLUMNS[sort]]
    # NULLs last in both directions (portable: a boolean "is null" key first).
    order = [key.is_(None), key.desc() if descending else key.asc(), Patient.id]
    ids = list(
        db.scalars(
            select(Patient.id)
            .where(*scope)
            .order_by(*order)
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
    )
    details = db.execute(
        select(
            Patient.id,
            Patient.display_name,
            Therapist.name.label("therapist_name"),
            *(column.label(name) for name, column in columns.items()),
        )
        .outerjoin(Therapist, Therapist.id == Patient.therapist_id)
        .where(Patient.id.in_(ids))
    ).all()
    by_id = {row.id: row for row in details}
    threshold = real_change_points()
    rows = []
    for patient_id in ids:
        r = by_id[patient_id]
        days = int(r.adherence or 0)
        change = r.saq_change
        rows.append(
            PatientRow(
                id=r.id,
                name=r.display_name,
                therapist=r.therapist_name,
                last_checkin=r.last_checkin,
                adherence_days=days,
                adherence_pct=round(100 * min(days, ADHERENCE_DAYS) / ADHERENCE_DAYS),
                saq_score=r.saq_score,
                saq_change=change,
                saq_real_change=bool(r.saq_real_change)
                or (change is not None and abs(change) >= threshold),
                clip_status=r.clip_status,
                clip_needs_review=bool(r.clip_needs_review),
                clip_at=r.clip_at,
                open_alerts=int(r.open_alerts or 0),
            )
        )
    return PatientPage(rows, total, page, pages, sort, descending, search)
