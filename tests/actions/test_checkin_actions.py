"""Check-in form actions run against tracker fixtures and a real (temporary) database."""

from sqlalchemy import select

from actions.checkin_form import (
    ActionAskEarlySignPresent,
    ActionPauseForm,
    ActionSubmitCheckin,
    ValidateCheckinForm,
)
from coach.storage.db import transaction
from coach.storage.models import CheckIn, Escalation
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
}


async def test_required_slots_skip_what_does_not_apply(app_db, dispatcher, domain) -> None:
    add_patient(app_db, "no-eye-issue", eye_closure_incomplete=False)
    form = ValidateCheckinForm()
    tracker = make_tracker("no-eye-issue", slots={"sessions_done": 0})
    slots = await form.required_slots(
        list(domain["forms"]["checkin_form"]["required_slots"]), dispatcher, tracker, domain
    )
    assert "eye_care_done" not in slots
    assert "minutes_practised" not in slots and "mirror_used" not in slots
    assert slots[0] == "face_feeling" and slots[-1] == "mood"


async def test_unclear_yes_no_is_asked_again(clinic, dispatcher, domain) -> None:
    tracker = make_tracker(
        clinic.sender_id,
        "banana",
        just_set={"mirror_used": "banana"},
        active_loop="checkin_form",
        requested_slot="mirror_used",
    )
    events = await ValidateCheckinForm().run(dispatcher, tracker, domain)
    assert {"event": "slot", "timestamp": None, "name": "mirror_used", "value": None} in events
    assert dispatcher.messages[0]["response"] == "utter_invalid_yes_no"


async def test_mood_out_of_range_is_rejected(clinic, dispatcher, domain) -> None:
    tracker = make_tracker(
        clinic.sender_id,
        "15",
        just_set={"mood": "15"},
        active_loop="checkin_form",
        requested_slot="mood",
    )
    events = await ValidateCheckinForm().run(dispatcher, tracker, domain)
    assert [e["value"] for e in events if e.get("name") == "mood"] == [None]
    assert dispatcher.messages[0]["response"] == "utter_invalid_mood"


async def test_words_become_numbers(clinic, dispatcher, domain) -> None:
    tracker = make_tracker(
        clinic.sender_id,
        "half an hour",
        just_set={"minutes_practised": "half an hour"},
        active_loop="checkin_form",
        requested_slot="minutes_practised",
    )
    events = await ValidateCheckinForm().run(dispatcher, tracker, domain)
    assert [e["value"] for e in events if e.get("name") == "minutes_practised"] == [30]


async def test_minutes_each_are_multiplied_by_the_sessions(clinic, dispatcher, domain) -> None:
    tracker = make_tracker(
        clinic.sender_id,
        "about 10 minutes each",
        slots={"sessions_done": 2},
        just_set={"minutes_practised": "about 10 minutes each"},
        active_loop="checkin_form",
        requested_slot="minutes_practised",
    )
    events = await ValidateCheckinForm().run(dispatcher, tracker, domain)
    assert [e["value"] for e in events if e.get("name") == "minutes_practised"] == [20]
    assert dispatcher.messages == []


async def test_ask_early_sign_keeps_todays_question(clinic, dispatcher, domain) -> None:
    tracker = make_tracker(clinic.sender_id, slots={"early_sign_key": "mouth_blink"})
    events = await ActionAskEarlySignPresent().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_early_sign_mouth_blink"
    assert events[0]["value"] == "mouth_blink"


async def test_submit_stores_and_coaches(clinic, dispatcher, domain) -> None:
    tracker = make_tracker(clinic.sender_id, "6", slots=FULL_ANSWERS, message_id="submit-1")
    events = await ActionSubmitCheckin().run(dispatcher, tracker, domain)
    responses = [m["response"] for m in dispatcher.messages]
    assert responses[0] == "utter_coach_early_sign_noted"
    assert "utter_coach_gentle_movements" in responses
    assert "utter_coach_use_mirror" in responses
    assert responses[-1] == "utter_checkin_thanks"
    assert all(e["value"] is None for e in events)  # slots cleared for tomorrow
    with transaction(clinic.url) as session:
        stored = session.scalars(select(CheckIn)).one()
        assert stored.submission_key == f"checkin:{clinic.sender_id}:submit-1"
        assert (stored.mirror_used, stored.forced_movements, stored.mood) == (False, True, 6)
        assert session.scalars(select(Escalation.kind)).all() == ["early_synkinesis"]


async def test_submit_for_unknown_sender_stores_nothing(app_db, dispatcher, domain) -> None:
    tracker = make_tracker("stranger", "6", slots=FULL_ANSWERS)
    await ActionSubmitCheckin().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_not_enrolled"
    with transaction(app_db) as session:
        assert session.scalars(select(CheckIn)).all() == []


async def test_submit_with_database_down_keeps_answers(clinic, dispatcher, domain, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    from coach.config import get_settings

    get_settings.cache_clear()
    tracker = make_tracker(clinic.sender_id, "6", slots=FULL_ANSWERS)
    events = await ActionSubmitCheckin().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_checkin_save_failed"
    assert events == []  # slots kept so the patient can resubmit


async def test_pause_deactivates_the_form(clinic, dispatcher, domain) -> None:
    tracker = make_tracker(
        clinic.sender_id, "later", intent="stop_checkin", active_loop="checkin_form"
    )
    events = await ActionPauseForm().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_checkin_paused"
    assert events[0] == {"event": "active_loop", "timestamp": None, "name": None}
