"""A small JSON API over the same scoped queries (for scripts and integrations).

Authentication is the portal session; state changes need the `X-CSRF-Token` header.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from coach.notify.render import as_utc
from coach.portal import audit, escalations
from coach.portal.access import visible_escalation, visible_patient
from coach.portal.deps import get_db, settings_of, staff
from coach.portal.inbox import inbox
from coach.portal.patient_list import patient_page
from coach.storage.models import PortalUser

router = APIRouter(prefix="/api")


def _time(value: Any) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


@router.get("/patients")
def api_patients(
    request: Request,
    q: str = "",
    sort: str = "alerts",
    page: int = 1,
    user: PortalUser = Depends(staff),
    db: Session = Depends(get_db, scope="function"),
) -> dict[str, Any]:
    result = patient_page(
        db, user, search=q, sort=sort, page=page, page_size=settings_of(request).page_size
    )
    audit.record(db, user, "api_patient_list", shown=len(result.rows))
    return {
        "total": result.total,
        "page": result.page,
        "pages": result.pages,
        "patients": [
            {
                "id": r.id,
                "name": r.name,
                "last_checkin": _time(r.last_checkin),
                "adherence_7d_pct": r.adherence_pct,
                "saq": r.saq_score,
                "saq_change": r.saq_change,
                "saq_real_change": r.saq_real_change,
                "clip_status": r.clip_status,
                "clip_needs_review": r.clip_needs_review,
                "open_alerts": r.open_alerts,
            }
            for r in result.rows
        ],
    }


@router.get("/patients/{patient_id}")
def api_patient(
    patient_id: str,
    user: PortalUser = Depends(staff),
    db: Session = Depends(get_db, scope="function"),
) -> dict[str, Any]:
    patient = visible_patient(db, user, patient_id)
    audit.record(db, user, "api_patient", "patient", patient.id)
    return {
        "id": patient.id,
        "name": patient.display_name,
        "affected_side": patient.affected_side,
        "timezone": patient.timezone,
        "checkin_time": patient.checkin_time.strftime("%H:%M") if patient.checkin_time else None,
        "clip_weekday": patient.clip_weekday,
        "plan_exercises": list(patient.plan_exercises or []),
    }


@router.get("/alerts")
def api_alerts(
    user: PortalUser = Depends(staff), db: Session = Depends(get_db, scope="function")
) -> list[Any]:
    return [
        {
            "id": a.escalation.id,
            "patient_id": a.patient_id,
            "level": a.escalation.level,
            "kind": a.escalation.kind,
            "status": a.escalation.status,
            "ladder_step": a.escalation.ladder_step,
            "raised_at": _time(a.escalation.created_at),
        }
        for a in inbox(db, user)
    ]


@router.post("/alerts/{escalation_id}/acknowledge")
def api_acknowledge(
    escalation_id: str,
    body: dict[str, Any] | None = None,
    user: PortalUser = Depends(staff),
    db: Session = Depends(get_db, scope="function"),
) -> dict[str, Any]:
    escalation = visible_escalation(db, user, escalation_id)
    note = str((body or {}).get("note") or "")
    outcome = escalations.acknowledge(db, escalation.id, audit.actor(user), note)
    return {"id": escalation.id, "result": outcome.result}
