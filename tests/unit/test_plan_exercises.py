"""The therapist's plan exercises reinforced at the end of a check-in: a few a day, rotating so
that each comes round, in the plan's order, as numbered steps within the style rules."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from coach.checkin.plan import exercise_catalogue, exercises_for_day, plan_steps
from coach.checkin.service import record_checkin
from coach.content import load_content
from coach.content.catalogue import PatientText, patient_texts
from coach.content.style import _problems
from coach.storage.db import transaction
from coach.storage.models import Patient
from tests.unit.test_coaching_choice import answers

DAY = date(2026, 11, 29)
SHOWN = load_content("clinical")["coaching"]["plan_exercises_shown"]
QUIET = answers()  # a check-in that calls for no other coaching


def test_no_plan_or_unknown_keys_give_no_reminder() -> None:
    assert plan_steps([], DAY) is None
    assert plan_steps(["jaw_clench_maximal"], DAY) is None


def test_every_plan_exercise_comes_round_and_no_day_shows_more_than_the_limit() -> None:
    plan = list(exercise_catalogue())
    seen: set[str] = set()
    for offset in range(len(plan)):
        today = exercises_for_day(plan, DAY + timedelta(days=offset))
        assert len(today) == min(SHOWN, len(plan)) == len(set(today))
        seen |= set(today)
    assert seen == set(plan)


def test_a_short_plan_is_shown_whole_in_catalogue_order() -> None:
    catalogue = exercise_catalogue()
    plan = ["small_smile", "mirror_biofeedback"]  # stored order differs from the catalogue's
    assert SHOWN >= len(plan)
    assert plan_steps(plan, DAY) == (
        f"1. {catalogue['mirror_biofeedback']}.\n2. {catalogue['small_smile']}."
    )


def test_every_possible_reminder_follows_the_style_rules() -> None:
    template = next(t.text for t in patient_texts() if t.name == "utter_coach_plan")
    rules = load_content("style")
    keys = list(exercise_catalogue())
    for day_plan in itertools.combinations(keys, min(SHOWN, len(keys))):
        steps = "\n".join(f"{n}. {exercise_catalogue()[k]}." for n, k in enumerate(day_plan, 1))
        text = template.replace("{plan_steps}", steps)
        assert _problems(PatientText("utter_coach_plan", "test", text), text, rules) == [], text


def test_checkin_of_a_patient_with_a_plan_ends_with_the_plan(clinic) -> None:
    with transaction(clinic.url) as session:
        patient = session.get(Patient, clinic.patient_id)
        patient.plan_exercises = ["gentle_eye_closure", "small_smile"]
        outcome = record_checkin(session, patient, QUIET, "plan-1")
    assert outcome.responses == ["utter_coach_plan", "utter_checkin_thanks"]
    assert outcome.plan_steps is not None and "Gentle eye closure" in outcome.plan_steps


def test_checkin_needing_two_other_messages_leaves_the_plan_out(clinic) -> None:
    troubled = answers(eye_care_done=False, mood=2)
    with transaction(clinic.url) as session:
        patient = session.get(Patient, clinic.patient_id)
        patient.plan_exercises = ["gentle_eye_closure"]
        outcome = record_checkin(session, patient, troubled, "plan-2")
    assert "utter_coach_plan" not in outcome.responses
    assert len(outcome.responses) == 3  # two coaching messages, then thanks
