"""The patient list query (figures, sorting, search, paging, scope) and the plan forms."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest

from coach.portal.patient_list import SORTS, patient_page
from coach.portal.plans import CaregiverForm, PlanForm
from coach.storage.db import session_factory, transaction
from coach.storage.models import CheckIn, Patient, PortalUser
from tests.portal.world import World

UTC = timezone.utc


def _user(world: World, who: str) -> PortalUser:
    with session_factory(world.url)() as s:
        user = s.get(PortalUser, world.ids[f"user_{who}"])
        assert user is not None
        return user


def test_list_figures_for_a_patient(fresh_world: World) -> None:
    with session_factory(fresh_world.url)() as s:
        page = patient_page(s, _user(fresh_world, "therapist_a"))
    alice = next(r for r in page.rows if r.id == fresh_world.ids["patient_a"])
    # world: a check-in 1 h past each of days 1..30 ago, sessions_done = days % 3: inside the
    # last 7 × 24 h are days 1..6, of which days 1, 2, 4, 5 had a session
    assert alice.adherence_days == 4 and alice.adherence_pct == 57
    assert alice.saq_score == 48.9 and alice.saq_change == pytest.approx(13.3)
    assert alice.saq_real_change is True
    assert alice.clip_status == "ok" and alice.clip_needs_review is True
    assert alice.open_alerts == 2  # eye at risk + clip
    assert alice.last_checkin is not None


@pytest.mark.parametrize("sort", SORTS)
def test_every_sort_orders_rows_both_ways_and_pages(fresh_world: World, sort: str) -> None:
    with transaction(fresh_world.url) as s:  # more patients, some with no data at all
        for n in range(7):
            patient = Patient(
                display_name=f"Extra {n:02d}",
                timezone="Europe/London",
                checkin_time=time(9, 0),
                therapist_id=fresh_world.ids["therapist_a"],
            )
            s.add(patient)
            s.flush()
            for day in range(n):
                s.add(
                    CheckIn(
                        patient_id=patient.id,
                        submission_key=f"x:{n}:{day}",
                        completed_at=datetime.now(UTC) - timedelta(days=day, hours=2),
                        sessions_done=1,
                    )
                )
    user = _user(fresh_world, "therapist_a")
    with session_factory(fresh_world.url)() as s:
        for descending in (True, False):
            seen = []
            first = patient_page(s, user, sort=sort, descending=descending, page_size=4)
            assert first.total == 9 and first.pages == 3
            for number in range(1, first.pages + 1):
                seen += patient_page(
                    s, user, sort=sort, descending=descending, page=number, page_size=4
                ).rows
            assert len({r.id for r in seen}) == 9  # every patient exactly once across pages
            key = {
                "name": lambda r: r.name.lower(),
                "last_checkin": lambda r: r.last_checkin,
                "adherence": lambda r: r.adherence_days,
                "saq": lambda r: r.saq_score,
                "saq_change": lambda r: r.saq_change,
                "clip": lambda r: r.clip_needs_review if r.clip_status else None,
                "alerts": lambda r: r.open_alerts,
            }[sort]
            values = [key(r) for r in seen]
            present = [v for v in values if v is not None]
            assert values[: len(present)] == present  # empty values last
            assert present == sorted(present, reverse=descending)


def test_search_by_name_or_number_and_scope(fresh_world: World) -> None:
    therapist_a = _user(fresh_world, "therapist_a")
    with session_factory(fresh_world.url)() as s:
        assert [r.name for r in patient_page(s, therapist_a, search="ALICE").rows] == [
            "Alice Example"
        ]
        found = patient_page(s, therapist_a, search=f"#{fresh_world.ids['patient_a2']}")
        assert [r.id for r in found.rows] == [fresh_world.ids["patient_a2"]]
        assert patient_page(s, therapist_a, search="Bob").rows == []  # B's patient
        assert patient_page(s, therapist_a, search="%").rows == []  # LIKE wildcards are text
        admin = patient_page(s, _user(fresh_world, "admin"))
        assert [r.id for r in admin.rows] == [fresh_world.ids["patient_unassigned"]]
        assert patient_page(s, _user(fresh_world, "caregiver")).rows == []


def test_plan_form_validation() -> None:
    good = PlanForm("left", "07:30", "Europe/Paris", "3", ["gentle_pucker"])
    assert good.validate()
    bad = PlanForm("middle", "25:00", "Mars/Olympus", "9", ["max_grimace"])
    assert not bad.validate()
    assert set(bad.errors) == {
        "affected_side",
        "checkin_time",
        "timezone",
        "clip_weekday",
        "exercises",
    }


def test_caregiver_form_needs_consent_before_any_sharing() -> None:
    no_consent = CaregiverForm("Jo", "jo@family.test", "", ["view_saq"], consented=False)
    assert not no_consent.validate() and "consented" in no_consent.errors
    bad_contact = CaregiverForm("Jo", "not-an-email", "0123", [], consented=False)
    assert not bad_contact.validate() and {"email", "phone"} <= set(bad_contact.errors)
    ok = CaregiverForm(" Jo ", "JO@family.test", "+44 7700 900123", ["emergency"], True)
    assert ok.validate() and ok.email == "jo@family.test" and ok.phone == "+447700900123"


def test_the_plans_clip_day_decides_the_weekly_clip_prompt(fresh_world: World) -> None:
    from coach.content import load_content
    from coach.scheduler.sweep import find_due, intent_for
    from coach.storage.models import ChannelIdentity

    prompts = load_content("notifications")["prompts"]
    clinic_day, saq_day = int(prompts["clip_weekday"]), int(prompts["weekly_weekday"])
    own_day = next(d for d in range(7) if d not in (clinic_day, saq_day))
    with transaction(fresh_world.url) as s:
        patient = s.get(Patient, fresh_world.ids["patient_a"])
        assert patient is not None
        form = PlanForm("left", "00:00", "Europe/London", str(own_day), [])
        assert form.validate()
        form.apply(patient)
        patient.data_consent_version = "test"  # only consented patients reachable by a
        s.add(  # prompt-capable channel are due (issue 8)
            ChannelIdentity(
                channel="telegram", sender_id="telegram:plan-test", patient_id=patient.id
            )
        )
    with session_factory(fresh_world.url)() as s:
        due, clocks = find_due(s, datetime.now(UTC))
    mine = next(d for d in due if d.patient_id == fresh_world.ids["patient_a"])
    assert mine.clip_weekday == own_day
    monday = datetime(2026, 11, 30).date()  # a Monday: weekday() == 0
    on_own_day = monday + timedelta(days=own_day)
    on_clinic_day = monday + timedelta(days=clinic_day)
    assert intent_for(on_own_day, mine.clip_weekday) == prompts["clip_intent"]
    assert intent_for(on_clinic_day, mine.clip_weekday) == prompts["daily_intent"]
    assert intent_for(on_clinic_day) == prompts["clip_intent"]  # patients without a plan day
    assert not PlanForm("left", "09:00", "Europe/London", str(saq_day), []).validate()
