"""Joining, consent, STOP/START, delete my data, channel clip problems, SMS upload links:
the actions against tracker fixtures."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from sqlalchemy import func, select, update

from actions.onboarding import (
    ActionAskConsent,
    ActionAskDeleteConfirmation,
    ActionClipRejected,
    ActionDeleteMyData,
    ActionGreet,
    ActionJoin,
    ActionOfferUploadLink,
    ActionOptOut,
    ActionRecordConsent,
)
from coach.channels.control import ERASE_KEY
from coach.clips.config import load_config
from coach.enrolment import create_invite
from coach.storage.db import transaction
from coach.storage.models import Caregiver, ChannelIdentity, CheckIn, ConsentRecord, Patient
from tests.actions.conftest import make_tracker
from tests.conftest import SeededClinic, add_patient


def tracker(
    sender: str,
    intent: str = "inform",
    *,
    entities: dict[str, str] | None = None,
    channel: str = "rest",
    previous: str = "action_listen",
    **kwargs: Any,
) -> Tracker:
    built = make_tracker(sender, intent=intent, **kwargs)
    built.latest_message["entities"] = [
        {"entity": name, "value": value} for name, value in (entities or {}).items()
    ]
    built.events[0]["input_channel"] = channel
    built.latest_action_name = previous
    return built


def responses(dispatcher) -> list[str]:
    return [m.get("response") or m.get("text") or "custom" for m in dispatcher.messages]


def _unconsent(clinic: SeededClinic) -> None:
    with transaction(clinic.url) as session:
        session.execute(
            update(Patient).values(data_consent_version=None, clip_consent_version=None)
        )


async def test_greeting_depends_on_who_writes(clinic, dispatcher, domain) -> None:
    await ActionGreet().run(dispatcher, tracker("stranger", "greet"), domain)
    await ActionGreet().run(dispatcher, tracker(clinic.sender_id, "greet"), domain)
    assert responses(dispatcher) == ["utter_greet_unknown", "utter_greet"]


async def test_joining_with_a_code_links_the_sender(clinic, dispatcher, domain) -> None:
    with transaction(clinic.url) as session:
        code = create_invite(session, clinic.patient_id, created_by="dr").code
    joiner = tracker(
        "whatsapp:+447700900001",
        "EXTERNAL_join",
        entities={"invite_code": code[:4] + code[5:]},
        channel="whatsapp",
    )
    await ActionJoin().run(dispatcher, joiner, domain)
    assert dispatcher.messages[0]["response"] == "utter_join_welcome"
    assert dispatcher.messages[0]["therapist_name"] == "T"
    with transaction(clinic.url) as session:
        assert (
            session.scalar(
                select(ChannelIdentity.patient_id).where(ChannelIdentity.channel == "whatsapp")
            )
            == clinic.patient_id
        )


async def test_wrong_codes_say_how_many_tries_are_left_then_lock(
    clinic, dispatcher, domain
) -> None:
    for _ in range(5):
        await ActionJoin().run(
            dispatcher,
            tracker(
                "telegram:5",
                "EXTERNAL_join",
                entities={"invite_code": "ABCD2345"},
                channel="telegram",
            ),
            domain,
        )
    assert [m.get("attempts_left") for m in dispatcher.messages[:4]] == [4, 3, 2, 1]
    assert [m["response"] for m in dispatcher.messages[4:]] == ["utter_invite_locked"]
    assert 1 <= dispatcher.messages[4]["wait_minutes"] <= 60


async def test_consent_questions_in_order_then_all_set(clinic, dispatcher, domain) -> None:
    _unconsent(clinic)
    sender = clinic.sender_id
    events = await ActionAskConsent().run(
        dispatcher, tracker(sender, previous="action_join"), domain
    )
    assert events == [SlotSet("consent_topic", "data")]
    events = await ActionRecordConsent().run(
        dispatcher, tracker(sender, "affirm", slots={"consent_topic": "data"}), domain
    )
    assert events == [SlotSet("consent_topic", None)]
    events = await ActionAskConsent().run(
        dispatcher, tracker(sender, previous="action_record_consent"), domain
    )
    assert events == [SlotSet("consent_topic", "clips")]
    await ActionRecordConsent().run(dispatcher, tracker(sender, "agree_clip_consent"), domain)
    await ActionAskConsent().run(
        dispatcher, tracker(sender, previous="action_record_consent"), domain
    )
    assert responses(dispatcher) == [
        "utter_consent_request",
        "utter_consent_thanks",
        "utter_clip_consent_request",
        "utter_clip_consent_thanks",
        "utter_onboarding_done",
    ]
    with transaction(clinic.url) as session:
        patient = session.get(Patient, clinic.patient_id)
        assert patient.data_consent_version and patient.clip_consent_version
        assert session.scalar(select(func.count(ConsentRecord.id))) == 2


async def test_declining_keeps_nothing_and_does_not_nag(clinic, dispatcher, domain) -> None:
    _unconsent(clinic)
    events = await ActionRecordConsent().run(
        dispatcher, tracker(clinic.sender_id, "decline_data_consent"), domain
    )
    assert events == [SlotSet("consent_topic", "declined")]
    events = await ActionAskConsent().run(
        dispatcher,
        tracker(
            clinic.sender_id, previous="action_record_consent", slots={"consent_topic": "declined"}
        ),
        domain,
    )
    assert events == [SlotSet("consent_topic", None)]
    assert responses(dispatcher) == ["utter_consent_declined"]


async def test_a_yes_with_no_question_pending_records_nothing(clinic, dispatcher, domain) -> None:
    _unconsent(clinic)
    await ActionRecordConsent().run(dispatcher, tracker(clinic.sender_id, "affirm"), domain)
    with transaction(clinic.url) as session:
        assert session.scalar(select(func.count(ConsentRecord.id))) == 0


async def test_stop_pauses_and_ends_a_running_form(clinic, dispatcher, domain) -> None:
    events = await ActionOptOut().run(
        dispatcher,
        tracker(clinic.sender_id, "EXTERNAL_opt_out", active_loop="checkin_form"),
        domain,
    )
    assert ActiveLoop(None) in events
    assert responses(dispatcher) == ["utter_opted_out"]
    with transaction(clinic.url) as session:
        assert session.scalars(select(ChannelIdentity.opted_out_at)).one() is not None


async def test_a_caregiver_can_stop_reminders_on_whatsapp(clinic, dispatcher, domain) -> None:
    with transaction(clinic.url) as session:
        session.execute(update(Caregiver).values(phone="+447700900777"))
    await ActionOptOut().run(
        dispatcher,
        tracker("whatsapp:+447700900777", "EXTERNAL_opt_out", channel="whatsapp"),
        domain,
    )
    assert responses(dispatcher) == ["utter_caregiver_opted_out"]
    with transaction(clinic.url) as session:
        assert session.scalars(select(Caregiver.opted_out_at)).one() is not None


async def test_deleting_needs_the_question_first(clinic, dispatcher, domain) -> None:
    await ActionDeleteMyData().run(
        dispatcher, tracker(clinic.sender_id, "confirm_data_deletion"), domain
    )
    assert responses(dispatcher) == ["utter_deletion_not_requested"]
    with transaction(clinic.url) as session:
        assert session.get(Patient, clinic.patient_id).active


async def test_deleting_erases_data_and_asks_the_connector_to_erase_the_chat(
    clinic, dispatcher, domain
) -> None:
    with transaction(clinic.url) as session:
        session.add(CheckIn(patient_id=clinic.patient_id, submission_key="checkin:patient-1:m9"))
    events = await ActionAskDeleteConfirmation().run(
        dispatcher, tracker(clinic.sender_id, "request_data_deletion"), domain
    )
    assert SlotSet("deletion_requested", True) in events
    await ActionDeleteMyData().run(
        dispatcher,
        tracker(clinic.sender_id, "confirm_data_deletion", slots={"deletion_requested": True}),
        domain,
    )
    assert responses(dispatcher) == ["utter_delete_confirm", "utter_deletion_done", "custom"]
    assert dispatcher.messages[-1]["custom"] == {ERASE_KEY: [clinic.sender_id]}
    with transaction(clinic.url) as session:
        assert session.scalar(select(func.count(CheckIn.id))) == 0
        assert not session.get(Patient, clinic.patient_id).active


@pytest.mark.parametrize("problem", ["too_large", "not_a_video", "empty"])
async def test_a_refused_video_gets_its_retake_message(dispatcher, domain, problem) -> None:
    await ActionClipRejected().run(
        dispatcher,
        tracker("x", "EXTERNAL_clip_rejected", entities={"clip_problem": problem}),
        domain,
    )
    assert dispatcher.messages[0]["text"] == load_config().messages["retake"][problem].strip()


@pytest.mark.parametrize("problem", ["bad_source", "unavailable", "<script>"])
async def test_a_video_that_could_not_be_fetched_asks_to_resend(
    dispatcher, domain, problem
) -> None:
    await ActionClipRejected().run(
        dispatcher,
        tracker("x", "EXTERNAL_clip_rejected", entities={"clip_problem": problem}),
        domain,
    )
    assert responses(dispatcher) == ["utter_clip_missing"]


async def test_only_sms_patients_get_an_upload_link(app_db, dispatcher, domain) -> None:
    add_patient(app_db, "sms:+447700900123", channel="sms")
    add_patient(app_db, "telegram:99", channel="telegram")
    await ActionOfferUploadLink().run(
        dispatcher, tracker("telegram:99", channel="telegram"), domain
    )
    assert dispatcher.messages == []
    await ActionOfferUploadLink().run(
        dispatcher, tracker("sms:+447700900123", channel="sms"), domain
    )
    assert responses(dispatcher)[0] == "utter_upload_link"
    assert "/chat/upload#u=" in dispatcher.messages[1]["text"]
