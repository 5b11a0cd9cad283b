"""FHIR R4 export of one patient: a collection Bundle, validated by fhir.resources.

Resources: Patient; QuestionnaireResponse per weekly SAQ (nine items + score); Observation per
clip (clip metrics as components, per side) and per week of check-ins (adherence); Flag per
escalation (active while not resolved). Validation uses fhir.resources' R4B models (FHIR 4.3,
the package's R4 line; these resources are unchanged from 4.0.1 in the parts used here).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.content import load_content
from coach.notify.render import as_utc
from coach.storage.models import CheckIn, ClipAnalysis, Escalation, Patient, QuestionnaireResponse

UCUM = "http://unitsofmeasure.org"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
CLIP_COMPONENTS = (
    ("eye_narrowing_smile_pct", "Eye narrowing during smile"),
    ("eye_narrowing_pucker_pct", "Eye narrowing during pucker"),
    ("mouth_excursion_closure_pct", "Mouth-corner movement during eye closure"),
)
SIDES = ("right", "left")


def full_url(resource_type: str, resource_id: str) -> str:
    """A stable urn:uuid for a resource (references inside the Bundle use it too)."""
    name = f"{_config()['system_base']}/{resource_type}/{resource_id}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def _config() -> dict[str, Any]:
    return load_content("portal")["fhir"]


def _instant(value: Any) -> str:
    return as_utc(value).isoformat()


def _coding(code: str, display: str) -> dict[str, Any]:
    return {"system": f"{_config()['system_base']}:codes", "code": code, "display": display}


def _patient(patient: Patient) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": f"patient-{patient.id}",
        "identifier": [{"system": f"{_config()['system_base']}:patient", "value": str(patient.id)}],
        "active": bool(patient.active),
        "name": [{"text": patient.display_name}],
        "communication": [{"language": {"coding": [{"code": patient.locale}]}}],
    }
    return resource


def _saq(response: QuestionnaireResponse, subject: str) -> dict[str, Any]:
    texts = _config()["saq_items"]
    items = [
        {
            "linkId": f"saq-{index + 1}",
            "text": texts[index] if index < len(texts) else None,
            "answer": [{"valueInteger": int(value)}],
        }
        for index, value in enumerate(response.items or [])
    ]
    items.append(
        {"linkId": "saq-score", "text": "SAQ score", "answer": [{"valueDecimal": response.score}]}
    )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": f"saq-{response.id}",
        "questionnaire": _config()["saq_questionnaire"],
        "status": "completed",
        "subject": {"reference": subject},
        "authored": _instant(response.answered_at),
        "item": [{k: v for k, v in item.items() if v is not None} for item in items],
    }


def _quantity(value: float, unit: str = "%") -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _clip(clip: ClipAnalysis, subject: str) -> dict[str, Any]:
    metrics = (clip.report or {}).get("metrics") or {}
    components = []
    for name, label in CLIP_COMPONENTS:
        for side in SIDES:
            value = metrics.get(f"{name}.{side}")
            if value is not None:
                components.append(
                    {
                        "code": {
                            "coding": [_coding(f"{name}.{side}", f"{label}, {side}")],
                            "text": f"{label} ({side} side)",
                        },
                        "valueQuantity": _quantity(float(value)),
                    }
                )
    score = metrics.get("ocular_synkinesis_score")
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"clip-{clip.id}",
        "status": "final" if clip.status == "ok" else "preliminary",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": "exam"}]}],
        "code": {
            "coding": [_coding("selfie-clip-synkinesis", "Selfie clip synkinesis metrics")],
            "text": "Selfie clip synkinesis metrics",
        },
        "subject": {"reference": subject},
        "effectiveDateTime": _instant(clip.created_at),
        "component": components,
    }
    if score is not None:
        resource["valueQuantity"] = _quantity(float(score), "1")
    if clip.is_baseline:
        resource["note"] = [{"text": "Baseline clip"}]
    if not components:
        resource.pop("component")
    return resource


def _adherence(week: date, rows: list[Any], subject: str) -> dict[str, Any]:
    days = sum(1 for r in rows if (r.sessions_done or 0) > 0)
    minutes = sum(r.minutes_practised or 0 for r in rows)
    return {
        "resourceType": "Observation",
        "id": f"adherence-{week.isoformat()}",
        "status": "final",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": "activity"}]}],
        "code": {
            "coding": [_coding("exercise-adherence-week", "Facial exercise adherence per week")],
            "text": "Facial exercise adherence per week",
        },
        "subject": {"reference": subject},
        "effectivePeriod": {
            "start": week.isoformat(),
            "end": (week + timedelta(days=6)).isoformat(),
        },
        "component": [
            {
                "code": {"coding": [_coding("days-with-exercise", "Days with exercise")]},
                "valueQuantity": _quantity(float(days), "d"),
            },
            {
                "code": {"coding": [_coding("minutes-practised", "Minutes practised")]},
                "valueQuantity": _quantity(float(minutes), "min"),
            },
            {
                "code": {"coding": [_coding("checkins", "Check-ins completed")]},
                "valueInteger": len(rows),
            },
        ],
    }


def _flag(escalation: Escalation, subject: str) -> dict[str, Any]:
    notes = load_content("notifications")
    label = notes["kind_labels"].get(escalation.kind, escalation.kind)
    level = notes["level_labels"].get(escalation.level, escalation.level)
    period: dict[str, Any] = {"start": _instant(escalation.created_at)}
    if escalation.resolved_at is not None:
        period["end"] = _instant(escalation.resolved_at)
    return {
        "resourceType": "Flag",
        "id": f"alert-{escalation.id}",
        "status": "inactive" if escalation.status == "resolved" else "active",
        "category": [{"coding": [{"system": FLAG_CATEGORY, "code": "clinical"}]}],
        "code": {"coding": [_coding(escalation.kind, label)], "text": f"{label} ({level})"},
        "subject": {"reference": subject},
        "period": period,
    }


def patient_bundle(db: Session, patient: Patient) -> dict[str, Any]:
    """The patient's record as a FHIR collection Bundle (a JSON-ready dict), validated."""
    subject = full_url("Patient", f"patient-{patient.id}")
    resources = [_patient(patient)]
    resources += [
        _saq(r, subject)
        for r in db.scalars(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.patient_id == patient.id)
            .order_by(QuestionnaireResponse.answered_at)
        )
    ]
    resources += [
        _clip(c, subject)
        for c in db.scalars(
            select(ClipAnalysis)
            .where(ClipAnalysis.patient_id == patient.id)
            .order_by(ClipAnalysis.created_at)
        )
    ]
    weeks: dict[date, list[Any]] = defaultdict(list)
    for row in db.execute(
        select(CheckIn.completed_at, CheckIn.sessions_done, CheckIn.minutes_practised).where(
            CheckIn.patient_id == patient.id
        )
    ):
        day = as_utc(row.completed_at).date()
        weeks[day - timedelta(days=day.weekday())].append(row)
    resources += [_adherence(week, rows, subject) for week, rows in sorted(weeks.items())]
    resources += [
        _flag(e, subject)
        for e in db.scalars(
            select(Escalation).where(Escalation.patient_id == patient.id).order_by(Escalation.id)
        )
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": full_url(r["resourceType"], r["id"]), "resource": r} for r in resources
        ],
    }
    return validate_bundle(bundle)


def validate_bundle(bundle: dict[str, Any]) -> dict[str, Any]:
    """Validate with fhir.resources (raises pydantic's ValidationError) and return the JSON."""
    return Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)
