"""Low mood, symptom reports outside a check-in, the confirming question, other languages."""

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from actions.red_flag import ActionCheckRedFlag
from actions.safety import ActionEnglishOnly, ActionMoodSupport, ActionNoteSymptoms
from coach.storage.db import transaction
from coach.storage.models import Escalation, MoodReport, Notification, Patient, SymptomReport
from coach.triage.mood import record_low_mood
from tests.actions.conftest import make_tracker


async def test_low_mood_gets_a_reply_that_names_the_feeling(clinic, dispatcher, domain) -> None:
    tracker = make_tracker(clinic.sender_id, "I feel ugly and strange", intent="mood_low")
    await ActionMoodSupport().run(dispatcher, tracker, domain)
    message, crisis = dispatcher.messages  # the crisis line is its own short message
    assert message["response"] == "utter_mood_support_message"
    assert "the way your face looks" in message["feeling_reflection"]
    assert "Facial Palsy UK" in message["peer_support"]
    assert crisis["response"] == "utter_crisis_line" and "116 123" in crisis["crisis_line"]
    assert message["who_was_told"] == ""  # once is not "repeated": nobody was told
    with transaction(clinic.url) as session:
        assert session.scalars(select(MoodReport)).one().patient_id == clinic.patient_id
        assert session.scalars(select(Escalation)).all() == []


def test_low_mood_on_three_days_becomes_one_routine_note(clinic) -> None:
    start = datetime(2026, 11, 23, 10, tzinfo=timezone.utc)  # a Monday
    outcomes = []
    with transaction(clinic.url) as session:
        patient = session.get(Patient, clinic.patient_id)
        for day in range(4):
            when = start + timedelta(days=day)
            outcomes.append(record_low_mood(session, patient, f"mood:{day}", now=when))
        again = record_low_mood(session, patient, "mood:3", now=start + timedelta(days=3))
    assert [o.repeated for o in outcomes] == [False, False, True, True]
    assert outcomes[2].recipients == {"therapist"} and again.low_days == 4
    with transaction(clinic.url) as session:
        [escalation] = session.scalars(select(Escalation)).all()
        assert (escalation.kind, escalation.level) == ("low_mood_repeated", "routine")
        assert len(session.scalars(select(MoodReport)).all()) == 4  # the repeat is not stored


async def test_symptom_outside_checkin_is_recorded_triaged_and_coached(
    clinic, dispatcher, domain
) -> None:
    text = "my left eye narrows whenever I'm eating"
    tracker = make_tracker(clinic.sender_id, text, intent="inform", message_id="s1")
    await ActionNoteSymptoms().run(dispatcher, tracker, domain)
    responses = [m["response"] for m in dispatcher.messages]
    assert responses == ["utter_symptom_noted", "utter_symptom_coach_eye_narrowing"]
    assert dispatcher.messages[0]["who_was_told"] == "I've told your therapist."
    with transaction(clinic.url) as session:
        report = session.scalars(select(SymptomReport)).one()
        assert (report.checkin_id, report.symptom, report.side, report.trigger) == (
            None,
            "eye_narrowing",
            "left",
            "eating",
        )
        escalation = session.scalars(select(Escalation)).one()
        assert (escalation.kind, escalation.level) == ("early_synkinesis", "working_day")
        assert escalation.evidence["signs"][0]["side"] == "left"
        assert session.scalars(select(Notification.recipient_kind)).all() == ["therapist"]
    # The same sign again within the week: coached, but not a new escalation.
    dispatcher.messages.clear()
    again = make_tracker(clinic.sender_id, text, intent="inform", message_id="s2")
    await ActionNoteSymptoms().run(dispatcher, again, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_symptom_coach_eye_narrowing"]
    with transaction(clinic.url) as session:
        assert len(session.scalars(select(Escalation)).all()) == 1


async def test_good_news_outside_checkin_records_nothing(clinic, dispatcher, domain) -> None:
    tracker = make_tracker(clinic.sender_id, "I'm doing great, no twitching today")
    await ActionNoteSymptoms().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_progress_noted"]
    with transaction(clinic.url) as session:
        assert session.scalars(select(Escalation)).all() == []


async def test_unknown_sender_symptom_is_not_promised_to_a_therapist(
    app_db, dispatcher, domain
) -> None:
    tracker = make_tracker("nobody-known", "my mouth moves when I blink")
    await ActionNoteSymptoms().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_symptom_not_enrolled"]


async def test_model_only_red_flag_asks_first_and_escalates_nothing(
    clinic, dispatcher, domain
) -> None:
    tracker = make_tracker(
        clinic.sender_id,
        "something feels very off with my face today",
        intent="possible_red_flag",
        active_loop="checkin_form",
        requested_slot="face_feeling",
    )
    events = await ActionCheckRedFlag().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_red_flag_check"]
    assert events[0]["event"] == "active_loop" and events[0]["name"] is None
    assert events[-1]["name"] == "red_flag_check_text"
    assert events[-1]["value"] == "something feels very off with my face today"
    with transaction(clinic.url) as session:
        assert session.scalars(select(Escalation)).all() == []


async def test_other_language_gets_english_only_in_it_with_the_number(
    clinic, dispatcher, domain
) -> None:
    tracker = make_tracker(clinic.sender_id, "hola, ¿cómo funciona esto?", intent="non_english")
    await ActionEnglishOnly().run(dispatcher, tracker, domain)
    text = dispatcher.messages[0]["english_only"]
    assert "solo puedo conversar en inglés" in text and "999" in text
    assert "English only" in text or "only chat in English" in text


async def test_other_symptom_outside_checkin_is_noted_not_cheered(clinic, dispatcher, domain):
    tracker = make_tracker(clinic.sender_id, "my cheek aches a bit today")
    await ActionNoteSymptoms().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_symptom_general"]
    with transaction(clinic.url) as session:
        assert session.scalars(select(SymptomReport.symptom)).all() == ["pain"]


async def test_numbness_on_the_side_that_was_well_is_a_stroke_sign(clinic, dispatcher, domain):
    """The patient's palsy is on the left: new numbness on the right is not a massage question."""
    tracker = make_tracker(clinic.sender_id, "my right cheek feels numb")
    await ActionNoteSymptoms().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_red_flag_stroke"]
    with transaction(clinic.url) as session:
        assert session.scalars(select(Escalation.kind)).all() == ["stroke"]
