"""Exports: the FHIR R4 Bundle validates with fhir.resources; every CSV round-trips exactly."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from coach.notify.render import as_utc
from coach.portal.exports.csv_export import DATASETS, export_csv, read_csv, rows_of, write_csv
from coach.portal.exports.fhir import patient_bundle, validate_bundle
from coach.storage.db import session_factory, transaction
from coach.storage.models import CheckIn, Patient
from tests.portal.conftest import Portal
from tests.portal.world import World

UTC = timezone.utc
# Texts patients really type, and what spreadsheets would run as formulas.
TRICKY = [
    'said "it\'s tight", then stopped',
    "line one\nline two, with a comma",
    '=HYPERLINK("http://x")',
    "+44 7700 900123 called me",
    "-5 minutes only",
    "@mention",
    "'quoted already",
    "café, naïve — ünïcödé 表情",
    "",
]


def _normalise(rows: list[dict]) -> list[dict]:
    out = []
    for row in rows:
        out.append({k: as_utc(v) if isinstance(v, datetime) else v for k, v in row.items()})
    return out


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_csv_round_trips_every_dataset(fresh_world: World, dataset: str) -> None:
    with transaction(fresh_world.url) as s:
        for n, text in enumerate(TRICKY):
            s.add(
                CheckIn(
                    patient_id=fresh_world.ids["patient_a"],
                    submission_key=f"tricky:{n}",
                    completed_at=datetime(2026, 1, 1, 9, 30, 15, 123456, tzinfo=UTC)
                    + timedelta(hours=n),
                    face_feeling=text or None,
                    sessions_done=None if n % 2 else n,
                    mirror_used=None if n % 3 else bool(n % 2),
                    mood=n,
                )
            )
    with session_factory(fresh_world.url)() as s:
        original = rows_of(s, dataset, fresh_world.ids["patient_a"])
        text = export_csv(s, dataset, fresh_world.ids["patient_a"])
    assert original, f"no {dataset} rows to round-trip"
    back = read_csv(dataset, text)
    assert _normalise(back) == _normalise(original)
    assert write_csv(dataset, back) == text  # byte-identical when written again
    if dataset == "checkins":
        for line in text.splitlines():
            for cell in line.split(","):
                assert not cell.startswith(("=", "+", "@")), cell  # no live formula


def test_csv_download_round_trips_through_the_portal(portal: Portal) -> None:
    portal.login("therapist_a")
    response = portal.client.get(f"/patients/{portal.world.ids['patient_a']}/export/saq.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = read_csv("saq", response.text)
    assert [r["score"] for r in rows] == [31.1, 33.3, 35.6, 48.9]
    assert rows[-1]["real_change"] is True and rows[-1]["item_1"] == 3


def test_fhir_bundle_validates_and_holds_every_record(portal: Portal) -> None:
    ids = portal.world.ids
    portal.login("therapist_a")
    response = portal.client.get(f"/patients/{ids['patient_a']}/export/fhir.json")
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = response.json()
    validate_bundle(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    by_type: dict[str, list[dict]] = {}
    for resource in resources:
        by_type.setdefault(resource["resourceType"], []).append(resource)
    assert len(by_type["Patient"]) == 1
    assert len(by_type["QuestionnaireResponse"]) == 4
    saq = by_type["QuestionnaireResponse"][-1]
    answers = {i["linkId"]: i["answer"][0] for i in saq["item"]}
    assert answers["saq-1"] == {"valueInteger": 3} and answers["saq-score"]["valueDecimal"] == 48.9
    clips = [o for o in by_type["Observation"] if o["id"].startswith("clip-")]
    assert len(clips) == 2
    components = {
        c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in clips[-1]["component"]
    }
    assert components["eye_narrowing_pucker_pct.left"] == pytest.approx(16.67)
    adherence = [o for o in by_type["Observation"] if o["id"].startswith("adherence-")]
    assert (
        sum(c["valueInteger"] for o in adherence for c in o["component"] if "valueInteger" in c)
        == 30
    )  # every check-in counted once
    flags = {f["id"]: f for f in by_type["Flag"]}
    assert {f"alert-{ids['alert_eye']}", f"alert-{ids['alert_clip']}"} <= set(flags)
    patient_url = next(
        e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    assert all(r["subject"]["reference"] == patient_url for r in resources if "subject" in r)


def test_fhir_validation_rejects_a_broken_resource(fresh_world: World) -> None:
    with session_factory(fresh_world.url)() as s:
        patient = s.get(Patient, fresh_world.ids["patient_a"])
        assert patient is not None
        bundle = patient_bundle(s, patient)
    broken = copy.deepcopy(bundle)
    saq = next(
        e for e in broken["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"
    )
    del saq["resource"]["status"]  # required (1..1) in QuestionnaireResponse
    with pytest.raises(ValidationError):
        validate_bundle(broken)
    broken = copy.deepcopy(bundle)
    clip = next(e for e in broken["entry"] if e["resource"]["id"].startswith("clip-"))
    clip["resource"]["component"][0]["valueQuantity"]["value"] = "a lot"  # not a decimal
    with pytest.raises(ValidationError):
        validate_bundle(broken)
    json.dumps(bundle)  # the valid one is plain JSON
