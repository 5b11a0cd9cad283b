"""Red-flag and SAQ actions against tracker fixtures."""

import pytest
from sqlalchemy import select

from actions.red_flag import ActionHandleRedFlag
from actions.saq_form import ActionSubmitSaq, ValidateSaqForm
from coach.config import get_settings
from coach.escalation.spool import pending_records, spooled_records
from coach.storage.db import transaction
from coach.storage.models import Escalation, Notification, QuestionnaireResponse
from tests.actions.conftest import make_tracker


async def test_red_flag_mid_form_stops_it_and_escalates(clinic, dispatcher, domain) -> None:
    tracker = make_tracker(
        clinic.sender_id,
        "my speech is slurred and my arm is weak",
        intent="red_flag",
        active_loop="checkin_form",
        requested_slot="mood",
    )
    events = await ActionHandleRedFlag().run(dispatcher, tracker, domain)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_red_flag_stroke"
    assert message["emergency_number"] == "999"
    assert message["who_was_told"] == "I've alerted your therapist and your emergency contact."
    assert events[0]["event"] == "active_loop" and events[0]["name"] is None
    with transaction(clinic.url) as session:
        escalation = session.scalars(select(Escalation)).one()
        assert (escalation.kind, escalation.level, escalation.patient_id) == (
            "stroke",
            "emergency",
            clinic.patient_id,
        )
        recipients = {n.recipient_kind for n in session.scalars(select(Notification))}
        assert recipients == {"therapist", "caregiver"}


@pytest.mark.parametrize("duty_inbox", ["duty@clinic.test", ""])
async def test_unknown_sender_still_gets_crisis_guidance(
    app_db, dispatcher, domain, duty_inbox, monkeypatch
) -> None:
    monkeypatch.setenv("CLINIC_DUTY_EMAIL", duty_inbox)
    get_settings.cache_clear()
    tracker = make_tracker("someone-new", "I want to kill myself", intent="red_flag")
    await ActionHandleRedFlag().run(dispatcher, tracker, domain)
    responses = [m["response"] for m in dispatcher.messages]
    assert responses == ["utter_red_flag_self_harm"]
    assert "116 123" in dispatcher.messages[0]["crisis_line"]
    # Promise only what happened: no therapist or emergency contact exists for this sender;
    # the clinic's duty inbox is told when there is one.
    told = dispatcher.messages[0]["who_was_told"]
    assert "therapist" not in told and "emergency contact" not in told
    if duty_inbox:
        assert "clinic's care team" in told
    else:
        assert "couldn't alert anyone" in told and "999" in told
    with transaction(app_db) as session:
        escalation = session.scalars(select(Escalation)).one()
        assert escalation.patient_id is None and escalation.level == "emergency"
        notified = session.scalars(select(Notification.address)).all()
        assert notified == ([duty_inbox] if duty_inbox else [])


async def test_confirmed_model_only_red_flag_is_unspecified_and_urgent(
    clinic, dispatcher, domain
) -> None:
    tracker = make_tracker(
        clinic.sender_id,
        "yes",
        intent="affirm",
        slots={"red_flag_check_text": "something feels very wrong"},
    )
    events = await ActionHandleRedFlag().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_red_flag_unspecified"
    assert dispatcher.messages[0]["who_was_told"] == "I've told your therapist."
    assert {"event": "slot", "name": "red_flag_check_text", "value": None} in [
        {k: e[k] for k in ("event", "name", "value")} for e in events if e["event"] == "slot"
    ]
    with transaction(clinic.url) as session:
        assert session.scalars(select(Escalation.level)).all() == ["urgent"]


async def test_red_flag_with_database_down_is_spooled_not_lost(
    clinic, dispatcher, domain, monkeypatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    from coach.config import get_settings

    get_settings.cache_clear()
    tracker = make_tracker(clinic.sender_id, "my eye is very painful", intent="red_flag")
    await ActionHandleRedFlag().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_red_flag_eye_at_risk"
    assert "saved this for the care team" in dispatcher.messages[0]["who_was_told"]
    [spooled] = spooled_records()
    assert spooled["kinds"] == ["eye_at_risk"] and spooled["sender_id"] == clinic.sender_id


async def test_saq_out_of_scale_is_asked_again_with_the_scale(clinic, dispatcher, domain) -> None:
    tracker = make_tracker(
        clinic.sender_id,
        "7",
        slots={"saq_1": 2, "saq_2": 2},
        active_loop="saq_form",
        requested_slot="saq_3",
    )
    events = await ValidateSaqForm().run(dispatcher, tracker, domain)
    slots = {e["name"]: e["value"] for e in events}
    assert "saq_3" not in slots and slots["requested_slot"] == "saq_3"
    assert slots["answer_state"]["saq_form"]["unclear"] == {"saq_3": 1}


async def test_saq_all_nine_in_one_message_then_the_summary(clinic, dispatcher, domain) -> None:
    tracker = make_tracker(
        clinic.sender_id,
        "1, 2, 2, 1, 3, 1, 1, 4, 1",
        active_loop="saq_form",
        requested_slot="saq_1",
    )
    events = await ValidateSaqForm().run(dispatcher, tracker, domain)
    slots = {e["name"]: e["value"] for e in events}
    assert [slots[f"saq_{n}"] for n in range(1, 10)] == [1, 2, 2, 1, 3, 1, 1, 4, 1]
    assert slots["requested_slot"] == "saq_confirmed"


async def test_saq_submit_scores_and_stores(clinic, dispatcher, domain) -> None:
    slots = {f"saq_{n}": 3 for n in range(1, 10)}
    tracker = make_tracker(clinic.sender_id, "3", slots=slots, message_id="saq-0")
    await ActionSubmitSaq().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_saq_paused"  # not confirmed: kept
    tracker = make_tracker(
        clinic.sender_id, "yes", slots={**slots, "saq_confirmed": True}, message_id="saq-1"
    )
    await ActionSubmitSaq().run(dispatcher, tracker, domain)
    assert dispatcher.messages[1]["response"] == "utter_saq_result"
    assert dispatcher.messages[1]["saq_score"] == "60"
    with transaction(clinic.url) as session:
        assert session.scalars(select(QuestionnaireResponse.score)).all() == [60.0]


async def test_spooled_red_flag_is_replayed_once_the_database_is_back(
    clinic, dispatcher, domain, monkeypatch
) -> None:
    from coach.config import get_settings
    from coach.escalation.replay import replay_spool
    from coach.storage.db import session_factory

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    tracker = make_tracker(clinic.sender_id, "I want to end my life", intent="red_flag")
    await ActionHandleRedFlag().run(dispatcher, tracker, domain)
    monkeypatch.setenv("DATABASE_URL", clinic.url)
    get_settings.cache_clear()

    assert replay_spool(session_factory(clinic.url)) == 1
    assert replay_spool(session_factory(clinic.url)) == 0  # nothing twice
    assert pending_records() == []
    with transaction(clinic.url) as session:
        escalation = session.scalars(select(Escalation)).one()
        assert (escalation.kind, escalation.patient_id) == ("self_harm", clinic.patient_id)
        assert {n.recipient_kind for n in escalation.notifications} == {"therapist", "caregiver"}
