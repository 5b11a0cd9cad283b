"""Exports of one patient's record: CSV per dataset and a FHIR R4 Bundle (audited)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from coach.portal import audit
from coach.portal.access import visible_patient
from coach.portal.deps import get_db, staff
from coach.portal.exports.csv_export import DATASETS, export_csv
from coach.portal.exports.fhir import patient_bundle
from coach.storage.models import PortalUser

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/patients/{patient_id}/export/{dataset}.csv")
def csv_export(
    patient_id: str,
    dataset: str,
    user: PortalUser = Depends(staff),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    patient = visible_patient(db, user, patient_id)
    if dataset not in DATASETS:
        raise HTTPException(status_code=404)
    body = export_csv(db, dataset, patient.id)
    audit.record(db, user, "exported_csv", "patient", patient.id, dataset=dataset)
    filename = f"patient-{patient.id}-{dataset}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **NO_STORE},
    )


@router.get("/patients/{patient_id}/export/fhir.json")
def fhir_export(
    patient_id: str,
    user: PortalUser = Depends(staff),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    patient = visible_patient(db, user, patient_id)
    bundle = patient_bundle(db, patient)
    audit.record(db, user, "exported_fhir", "patient", patient.id)
    filename = f"patient-{patient.id}-fhir.json"
    return JSONResponse(
        bundle,
        media_type="application/fhir+json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **NO_STORE},
    )
