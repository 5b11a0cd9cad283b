"""Clip images: a signed, short-lived URL made for one user, who must still be allowed."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session

from coach.portal.access import visible_patient
from coach.portal.caregiver_access import scope_of
from coach.portal.deps import get_db, user
from coach.portal.media import MEDIA_TYPES, check_media_token, kind_allowed, media_file
from coach.storage.models import ClipAnalysis, PortalUser

router = APIRouter()


@router.get("/media/clips/{analysis_id}/{kind}")
def clip_image(
    analysis_id: int,
    kind: str,
    sig: str = "",
    account: PortalUser = Depends(user),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    if not kind_allowed(kind, account.role) or not check_media_token(
        sig, analysis_id, kind, account.id
    ):
        raise HTTPException(status_code=404)
    analysis = db.get(ClipAnalysis, analysis_id)
    if analysis is None:
        raise HTTPException(status_code=404)
    if account.role == "caregiver":
        scope = scope_of(db, account)
        if scope is None or scope.patient.id != analysis.patient_id or not scope.may("view_clips"):
            raise HTTPException(status_code=404)
    else:
        visible_patient(db, account, analysis.patient_id)
    path = media_file(analysis, kind)
    if path is None:
        raise HTTPException(status_code=404)
    media_type = MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private, no-store"})
