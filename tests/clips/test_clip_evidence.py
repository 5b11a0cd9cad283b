"""A clip escalation's evidence reads as findings, key metrics and baseline change (shown in the
portal; the email itself carries no clinical detail)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from coach.clips.evidence import clip_evidence
from coach.config import get_settings
from coach.notify.render import build_context, render
from coach.storage.models import Escalation, Notification, Patient

REPORT = {
    "flags": {"ocular_synkinesis": ["right"], "oral_synkinesis": [], "weakness": []},
    "metrics": {
        "eye_narrowing_pucker_pct.right": 20.14,
        "eye_narrowing_pucker_pct.left": -2.36,
        "eye_narrowing_smile_pct.right": 18.13,
        "eye_narrowing_smile_pct.left": None,
        "mouth_excursion_closure_pct.right": 0.4,
        "mouth_excursion_closure_pct.left": 0.6,
        "ocular_synkinesis_score": 78.0,
        "brow_raise_pct.left": 4.0,
    },
    "baseline": {
        "compared": ["eye_narrowing_pucker_pct.right"],
        "crossed": [
            {
                "metric": "eye_narrowing_pucker_pct.right",
                "baseline": 0.2,
                "current": 20.14,
                "change": 19.94,
                "direction": "up",
                "min_change": 10,
            }
        ],
    },
}


def test_evidence_names_findings_metrics_and_the_crossed_threshold() -> None:
    evidence = clip_evidence(REPORT, analysis_id=7, is_baseline=False)
    assert evidence["clip_findings"] == "ocular synkinesis (right)"
    assert "eye narrowing in pucker % (R/L) 20.1 / -2.4" in evidence["clip_metrics"]
    assert "eye narrowing in smile % (R/L) 18.1 / n/a" in evidence["clip_metrics"]
    assert "ocular synkinesis score (100 = none) 78.0" in evidence["clip_metrics"]
    assert "brow" not in evidence["clip_metrics"]  # only the metrics the content file lists
    assert evidence["clip_baseline"] == "eye_narrowing_pucker_pct.right: 0.2 -> 20.1"
    assert evidence["clip_analysis_id"] == 7


def test_first_clip_and_no_findings_say_so() -> None:
    quiet = {**REPORT, "flags": {}, "baseline": None}
    evidence = clip_evidence(quiet, analysis_id=1, is_baseline=True)
    assert evidence["clip_findings"] == "none"
    assert evidence["clip_baseline"] == "this clip is the patient's baseline"
    later = clip_evidence({**quiet, "baseline": {"compared": [], "crossed": []}}, 2, False)
    assert later["clip_baseline"] == "no metric crossed its threshold"


def test_therapist_email_about_a_clip_names_no_finding_and_links_the_portal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The readable evidence is shown in the portal; the email carries no clinical detail."""
    monkeypatch.setenv("COACH_SECRET_KEY", "clip-evidence-test")
    get_settings.cache_clear()
    at = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)
    escalation = Escalation(
        id=3,
        patient_id=5,
        kind="early_synkinesis",
        level="working_day",
        evidence=clip_evidence(REPORT, analysis_id=7, is_baseline=False),
        created_at=at,
    )
    message = Notification(
        id=9, escalation_id=3, recipient_kind="therapist", recipient_id=1, created_at=at
    )
    patient = Patient(id=5, display_name="Sam Example", locale="en-GB")
    email = render("escalation_working_day", "email", build_context(message, escalation, patient))
    for detail in ("synkinesis", "Sam", "20.1", "pucker", "baseline"):
        assert detail not in email.text and detail not in email.html
    assert f"{get_settings().portal_base_url}/alerts/3" in email.text
    get_settings.cache_clear()
