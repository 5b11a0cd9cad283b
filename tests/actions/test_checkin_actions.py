"""Check-in form actions run against tracker fixtures and a real (temporary) database."""

from datetime import time

from sqlalchemy import select

from actions.checkin_form import (
    ASK_ACTIONS,
    ActionAskCheckinConfirmed,
    ActionAskEarlySignPresent,
    ActionSubmitCheckin,
    ValidateCheckinForm,
)
from actions.form_turns import ActionExplainQuestion, ActionPauseForm, ActionRestartForm
from actions.reminder_time import ActionSetReminderTime, ValidateReminderTimeForm
from coach.escalation.keys import digest
from coach.storage.db import transaction
from coach.storage.models import CheckIn, Escalation, Patient
from tests.actions.conftest import make_tracker
from tests.conftest import add_patient

FULL_ANSWERS = {
    "face_feeling": "my right eye closes when I smile",
    "early_sign_key": "eye_smile",
    "early_sign_present": True,
    "sessions_done": 2,
    "minutes_practised": 15,
    "mirror_used": False,
    "forced_movements": True,
    "eye_care_done": True,
    "mood": 6,
    "checkin_confirmed": True,
}


def _slots(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def _ask(slot: str):
    return next(a for a in ASK_ACTIONS if a.slot == slot)()


ORDER = list(FULL_ANSWERS)


def _answered_before(requested: str) -> dict:
    """The answers a patient gave before `requested` was asked (the form asks in order)."""
    if requested not in ORDER:
        return {}
    return {k: FULL_ANSWERS[k] for k in ORDER[: ORDER.index(requested)]}


async def _turn(sender, text, requested, dispatcher, domain, *, intent="inform", slots=None):
    tracker = make_tracker(
        sender,
        text,
        intent=intent,
        slots={**_answered_before(requested), **(slots or {})},
        active_loop="checkin_form",
        requested_slot=requested,
    )
    return await ValidateCheckinForm().run(dispatcher, tracker, domain)


async def test_required_slots_skip_what_does_not_apply(app_db, dispatcher, domain) -> None:
    add_patient(app_db, "no-eye-issue", eye_closure_incomplete=False)
    form = ValidateCheckinForm()
    tracker = make_tracker("no-eye-issue", slots={"sessions_done": 0})
    slots = await form.required_slots(
        list(domain["forms"]["checkin_form"]["required_slots"]), dispatcher, tracker, domain
    )
    assert "eye_care_done" not in slots and "checkin_update_today" not in slots
    assert "minutes_practised" not in slots and "mirror_used" not in slots
    assert slots[0] == "face_feeling" and slots[-1] == "checkin_confirmed"


async def test_one_message_fills_several_answers(clinic, dispatcher, domain) -> None:
    text = "yes a little, and i did 2 sessions today, 20 min with a mirror"
    events = await _turn(
        clinic.sender_id,
        text,
        "early_sign_present",
        dispatcher,
        domain,
        slots={"sessions_done": None, "minutes_practised": None, "mirror_used": None},
    )
    slots = _slots(events)
    assert (slots["early_sign_present"], slots["sessions_done"]) == (True, 2)
    assert (slots["minutes_practised"], slots["mirror_used"]) == (20, True)
    assert slots["requested_slot"] == "forced_movements"  # the form skips what it knows


async def test_a_question_mid_form_is_left_to_the_rules(clinic, dispatcher, domain) -> None:
    events = await _turn(
        clinic.sender_id, "should I use a mirror?", "mirror_used", dispatcher, domain, intent="faq"
    )
    assert events == []  # the form rejects: the FAQ rule answers, then the form resumes


async def test_a_told_you_already_answer_classified_as_faq_is_taken(clinic, dispatcher, domain):
    events = await _turn(
        clinic.sender_id,
        "I told you already, with a mirror",
        "mirror_used",
        dispatcher,
        domain,
        intent="faq",
    )
    assert _slots(events)["mirror_used"] is True


async def test_a_red_flag_stores_nothing(clinic, dispatcher, domain) -> None:
    for intent in ("red_flag", "inform"):  # the raw-text rules catch it even if NLU did not
        events = await _turn(
            clinic.sender_id,
            "3, and honestly I want to kill myself",
            "mood",
            dispatcher,
            domain,
            intent=intent,
        )
        assert events == []


async def test_unclear_is_asked_again_differently_then_skipped(clinic, dispatcher, domain):
    events = await _turn(clinic.sender_id, "banana", "mirror_used", dispatcher, domain)
    slots = _slots(events)
    assert slots["requested_slot"] == "mirror_used" and "mirror_used" not in slots
    await _ask("mirror_used").run(dispatcher, make_tracker(clinic.sender_id, slots=slots), domain)
    assert dispatcher.messages[-1]["response"] == "utter_reask_mirror_used"
    events = await _turn(
        clinic.sender_id,
        "pear",
        "mirror_used",
        dispatcher,
        domain,
        slots={"answer_state": slots["answer_state"]},
    )
    slots = _slots(events)
    assert dispatcher.messages[-1]["response"] == "utter_question_skipped"
    assert slots["requested_slot"] != "mirror_used"
    assert slots["answer_state"]["checkin_form"]["skipped"] == ["mirror_used"]


async def test_mood_in_words_is_confirmed_with_buttons(clinic, dispatcher, domain) -> None:
    slots = _slots(await _turn(clinic.sender_id, "good", "mood", dispatcher, domain))
    assert "mood" not in slots and slots["requested_slot"] == "mood"
    await _ask("mood").run(dispatcher, make_tracker(clinic.sender_id, slots=slots), domain)
    asked = dispatcher.messages[-1]
    assert asked["response"] == "utter_ask_mood_suggested" and asked["suggested"] == 7
    assert [b["payload"] for b in asked["buttons"]] == ["6", "7", "8"]
    slots = _slots(
        await _turn(
            clinic.sender_id,
            "yes",
            "mood",
            dispatcher,
            domain,
            slots={"answer_state": slots["answer_state"]},
        )
    )
    assert slots["mood"] == 7


async def test_summary_then_yes_completes(clinic, dispatcher, domain) -> None:
    answers = {k: v for k, v in FULL_ANSWERS.items() if k != "checkin_confirmed"}
    tracker = make_tracker(clinic.sender_id, slots=answers)
    await ActionAskCheckinConfirmed().run(dispatcher, tracker, domain)
    summary = dispatcher.messages[-1]
    assert summary["response"] == "utter_ask_checkin_confirmed"
    assert "2 sessions, 15 min, mirror no" in summary["summary"]
    assert "mood 6" in summary["summary"]
    slots = _slots(
        await _turn(clinic.sender_id, "yes", "checkin_confirmed", dispatcher, domain, slots=answers)
    )
    assert slots["checkin_confirmed"] is True and slots["requested_slot"] is None


async def test_change_at_the_summary_reopens_that_question(clinic, dispatcher, domain) -> None:
    answers = {k: v for k, v in FULL_ANSWERS.items() if k != "checkin_confirmed"}
    slots = _slots(
        await _turn(
            clinic.sender_id,
            "change the mood",
            "checkin_confirmed",
            dispatcher,
            domain,
            slots=answers,
        )
    )
    assert slots["mood"] is None and slots["requested_slot"] == "mood"


async def test_early_sign_question_keeps_todays_question(clinic, dispatcher, domain) -> None:
    tracker = make_tracker(clinic.sender_id, slots={"early_sign_key": "mouth_blink"})
    events = await ActionAskEarlySignPresent().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_early_sign_mouth_blink"
    assert events[0]["value"] == "mouth_blink"


async def test_submit_stores_and_coaches(clinic, dispatcher, domain) -> None:
    tracker = make_tracker(clinic.sender_id, "yes", slots=FULL_ANSWERS, message_id="submit-1")
    events = await ActionSubmitCheckin().run(dispatcher, tracker, domain)
    responses = [m["response"] for m in dispatcher.messages]
    assert responses[0] == "utter_coach_early_sign_noted"
    assert "utter_coach_gentle_movements" in responses
    assert responses[-1] == "utter_checkin_thanks"
    assert all(e["value"] is None for e in events if e["name"] in FULL_ANSWERS)
    with transaction(clinic.url) as session:
        stored = session.scalars(select(CheckIn)).one()
        assert stored.submission_key == f"checkin:{digest('rest', clinic.sender_id, 'submit-1')}"
        assert clinic.sender_id not in stored.submission_key
        assert (stored.mirror_used, stored.forced_movements, stored.mood) == (False, True, 6)
        assert session.scalars(select(Escalation.kind)).all() == ["early_synkinesis"]


async def test_submit_reinforces_the_therapists_plan(clinic, dispatcher, domain) -> None:
    with transaction(clinic.url) as session:
        session.get(Patient, clinic.patient_id).plan_exercises = ["gentle_pucker"]
    quiet = {**FULL_ANSWERS, "face_feeling": "much the same", "early_sign_present": False}
    quiet.update(mirror_used=True, forced_movements=False)
    tracker = make_tracker(clinic.sender_id, "yes", slots=quiet, message_id="submit-plan")
    await ActionSubmitCheckin().run(dispatcher, tracker, domain)
    plan = [m for m in dispatcher.messages if m["response"] == "utter_coach_plan"]
    assert len(plan) == 1 and plan[0]["plan_steps"].startswith("1. Gentle lip pucker")


async def test_nothing_is_saved_without_confirmation(clinic, dispatcher, domain) -> None:
    unconfirmed = {**FULL_ANSWERS, "checkin_confirmed": None}
    tracker = make_tracker(clinic.sender_id, "x", slots=unconfirmed)
    events = await ActionSubmitCheckin().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_checkin_paused"
    assert _slots(events) == {"paused_form": "checkin_form"}
    with transaction(clinic.url) as session:
        assert session.scalars(select(CheckIn)).all() == []


async def test_second_checkin_the_same_day_updates_it(clinic, dispatcher, domain) -> None:
    await ActionSubmitCheckin().run(
        dispatcher,
        make_tracker(clinic.sender_id, "yes", slots=FULL_ANSWERS, message_id="a"),
        domain,
    )
    starting = make_tracker(clinic.sender_id, "check in", intent="start_checkin")
    slots = _slots(await ValidateCheckinForm().run(dispatcher, starting, domain))
    assert slots["requested_slot"] == "checkin_update_today"  # asked before anything else
    second = {**FULL_ANSWERS, "mood": 3, "checkin_update_today": True}
    await ActionSubmitCheckin().run(
        dispatcher, make_tracker(clinic.sender_id, "yes", slots=second, message_id="b"), domain
    )
    assert dispatcher.messages[-1]["response"] == "utter_checkin_updated"
    with transaction(clinic.url) as session:
        [stored] = session.scalars(select(CheckIn)).all()
        assert stored.mood == 3


async def test_keeping_todays_checkin_ends_the_form(clinic, dispatcher, domain) -> None:
    state = {"checkin_form": {"today_exists": True}}
    slots = _slots(
        await _turn(
            clinic.sender_id,
            "no, keep it",
            "checkin_update_today",
            dispatcher,
            domain,
            slots={"answer_state": state},
        )
    )
    assert slots["checkin_update_today"] is False and slots["requested_slot"] is None
    kept = make_tracker(clinic.sender_id, slots={"checkin_update_today": False})
    await ActionSubmitCheckin().run(dispatcher, kept, domain)
    assert dispatcher.messages[-1]["response"] == "utter_checkin_kept"


async def test_pause_restart_and_explain(clinic, dispatcher, domain) -> None:
    tracker = make_tracker(
        clinic.sender_id, "later", intent="stop_checkin", active_loop="checkin_form"
    )
    events = await ActionPauseForm().run(dispatcher, tracker, domain)
    assert dispatcher.messages[-1]["response"] == "utter_checkin_paused"
    assert _slots(events)["paused_form"] == "checkin_form"
    tracker = make_tracker(
        clinic.sender_id,
        "start over",
        intent="restart_form",
        active_loop="checkin_form",
        slots={"sessions_done": 2, "early_sign_key": "tightness"},
    )
    slots = _slots(await ActionRestartForm().run(dispatcher, tracker, domain))
    assert slots["sessions_done"] is None and "early_sign_key" not in slots
    for intent, response in (
        ("ask_explain", "utter_explain_mirror_used"),
        ("ask_why", "utter_why_mirror_used"),
    ):
        tracker = make_tracker(
            clinic.sender_id,
            "?",
            intent=intent,
            active_loop="checkin_form",
            requested_slot="mirror_used",
        )
        await ActionExplainQuestion().run(dispatcher, tracker, domain)
        assert dispatcher.messages[-1]["response"] == response


async def test_reminder_time_is_changed_on_the_patients_clock(clinic, dispatcher, domain):
    tracker = make_tracker(
        clinic.sender_id, "could you remind me at 7 pm?", intent="change_reminder_time"
    )
    slots = _slots(await ValidateReminderTimeForm().run(dispatcher, tracker, domain))
    assert slots["reminder_time"] == "19:00" and slots["requested_slot"] is None
    tracker = make_tracker(clinic.sender_id, "x", slots={"reminder_time": "19:00"})
    await ActionSetReminderTime().run(dispatcher, tracker, domain)
    assert dispatcher.messages[-1]["reminder"] == "7:00 pm"
    with transaction(clinic.url) as session:
        assert session.get(Patient, clinic.patient_id).checkin_time == time(19, 0)


async def test_reminder_time_am_or_pm_is_asked(clinic, dispatcher, domain) -> None:
    tracker = make_tracker(
        clinic.sender_id, "7", active_loop="reminder_time_form", requested_slot="reminder_time"
    )
    slots = _slots(await ValidateReminderTimeForm().run(dispatcher, tracker, domain))
    assert "reminder_time" not in slots
    assert slots["answer_state"]["reminder_time_form"]["pending"]["choices"] == ["07:00", "19:00"]
