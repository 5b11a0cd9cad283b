"""What the coach says, end to end (real Rasa and action servers, the REST channel, the database):
eye questions answered as questions, the end of a check-in, recovery-stalled nudges, and every
CLINICAL.md topic reached from a patient's own words."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta, timezone

import pytest
import yaml
from sqlalchemy import select

from coach.config import REPO_DIR, get_settings
from coach.content import load_content
from coach.scheduler.recovery_nudges import run_recovery_nudges
from coach.scheduler.settings import scheduler_settings
from coach.storage.db import session_factory, transaction
from coach.storage.models import Escalation, Notification, Patient
from tests.conftest import add_patient
from tests.e2e.conftest import CoachServers, domain_text

THERAPIST_TOLD = load_content("safety")["who_was_told"]["therapist"]


def _enrolled(servers: CoachServers, prefix: str) -> tuple[str, int]:
    sender = f"{prefix}-{uuid.uuid4().hex[:8]}"
    return sender, add_patient(servers.database_url, sender).patient_id


def _escalations(servers: CoachServers, patient_id: int) -> list[Escalation]:
    with transaction(servers.database_url) as session:
        return list(session.scalars(select(Escalation).where(Escalation.patient_id == patient_id)))


def _faq(key: str) -> str:
    return domain_text(f"utter_faq/{key}")


@pytest.mark.parametrize(
    "question",
    [
        "my eye won't close at night, what do I do about taping",
        "my eye doesn't shut when I sleep, should I tape it?",
        "how do I tape my eyelid down at night",
    ],
)
def test_taping_question_gets_the_taping_answer_and_no_escalation(
    coach_servers: CoachServers, question: str
) -> None:
    sender, patient_id = _enrolled(coach_servers, "taping")
    assert coach_servers.texts(sender, question) == [_faq("eye_taping")]
    assert _escalations(coach_servers, patient_id) == []


def test_an_eye_that_wont_close_and_hurts_is_still_a_red_flag(coach_servers) -> None:
    sender, patient_id = _enrolled(coach_servers, "eye-pain")
    replies = coach_servers.texts(sender, "my eye won't close and it really hurts")
    assert _faq("eye_taping") not in replies
    assert [e.kind for e in _escalations(coach_servers, patient_id)] == ["eye_at_risk"]


def test_the_end_of_a_checkin_with_every_coaching_condition_shows_two_messages(
    coach_servers: CoachServers,
) -> None:
    sender, patient_id = _enrolled(coach_servers, "all-coaching")
    for text in (
        "check in",
        "my face feels tight and my left eye closes when I smile",  # an early sign
        "yes",  # today's early-sign question
        "0",  # no sessions (minutes and mirror are not asked)
        "yes, a youtube face yoga video",  # forced movements / a routine not from the therapist
        "no",  # eye care missed
    ):
        coach_servers.texts(sender, text)
    summary = coach_servers.texts(sender, "2")  # low mood
    assert summary[-1].startswith("Here's what I have: ") and "mood 2" in summary[-1]
    final = coach_servers.texts(sender, "yes")
    numbers = load_content("locales")["locales"]["en-GB"]
    assert final == [
        domain_text("utter_mood_support_therapist").format(who_was_told=THERAPIST_TOLD, **numbers),
        domain_text("utter_coach_early_sign_noted").format(who_was_told=THERAPIST_TOLD),
        domain_text("utter_checkin_thanks"),
    ]
    kinds = sorted(e.kind for e in _escalations(coach_servers, patient_id))
    assert kinds == ["early_synkinesis", "low_mood"]  # what the two messages promise


@pytest.fixture
def scheduler_to_rasa(coach_servers: CoachServers, monkeypatch: pytest.MonkeyPatch):
    """The scheduler's settings pointing at the test Rasa server (with its token), the database
    and the fake providers."""
    coach_servers.use_env(monkeypatch)
    yield session_factory(coach_servers.database_url), scheduler_settings()
    get_settings.cache_clear()


def _bot_texts(servers: CoachServers, sender: str) -> list[str]:
    events = servers.tracker(sender)["events"]
    return [e.get("text") for e in events if e.get("event") == "bot"]


def test_recovery_stalled_nudge_reaches_the_patient_once_with_a_routine_note(
    coach_servers: CoachServers, scheduler_to_rasa
) -> None:
    factory, settings = scheduler_to_rasa
    chat_id = 7_000_000 + uuid.uuid4().int % 1_000_000
    sender = f"telegram:{chat_id}"  # a channel that carries proactive messages
    patient_id = add_patient(coach_servers.database_url, sender, channel="telegram").patient_id
    noon = datetime.combine(datetime.now(timezone.utc).date(), time(12, 0), timezone.utc)
    with transaction(coach_servers.database_url) as session:
        patient = session.get(Patient, patient_id)
        patient.timezone, patient.checkin_time = "UTC", time(9, 0)
        patient.onset_date = noon.date() - timedelta(days=21)
    assert run_recovery_nudges(factory, settings, now=noon).sent == 1
    expected = [domain_text("utter_recovery_stalled"), domain_text("utter_recovery_note_sent")]
    assert _bot_texts(coach_servers, sender) == expected
    assert coach_servers.telegram is not None
    assert [m["text"] for m in coach_servers.telegram.messages_to(chat_id)] == expected
    assert run_recovery_nudges(factory, settings, now=noon + timedelta(hours=1)).sent == 0
    assert len(_bot_texts(coach_servers, sender)) == 2  # sent once
    assert len(coach_servers.telegram.messages_to(chat_id)) == 2
    [escalation] = _escalations(coach_servers, patient_id)
    assert (escalation.kind, escalation.level) == ("recovery_stalled", "routine")
    with transaction(coach_servers.database_url) as session:
        notes = session.scalars(
            select(Notification).where(Notification.escalation_id == escalation.id)
        ).all()
        assert [(n.recipient_kind, n.channel) for n in notes] == [("therapist", "email")]


def test_recovery_nudge_mid_checkin_resumes_the_checkin(
    coach_servers: CoachServers, scheduler_to_rasa
) -> None:
    sender, _ = _enrolled(coach_servers, "nudge-mid")
    assert coach_servers.texts(sender, "check in")[-1] == domain_text("utter_ask_face_feeling")
    reply = coach_servers.trigger(sender, "EXTERNAL_recovery_incomplete", "rest")
    texts = [m.get("text") for m in reply["messages"]]
    assert texts[0] == domain_text("utter_recovery_incomplete")
    assert texts[-1] == domain_text("utter_ask_face_feeling")  # back to the open question
    assert coach_servers.tracker(sender)["active_loop"]["name"] == "checkin_form"


def _story_turns() -> list[tuple[str, str]]:
    stories = yaml.safe_load((REPO_DIR / "tests/conversations/test_coaching.yml").read_text())
    return sorted(
        {
            (str(step["user"]), step["intent"])
            for story in stories["stories"]
            for step in story["steps"]
            if "user" in step and str(step.get("intent", "")).startswith("faq/")
        }
    )


def test_every_faq_answer_is_reached_from_a_conversation_test() -> None:
    keys = {intent.split("/", 1)[1] for _, intent in _story_turns()}
    answers = {
        name.split("/", 1)[1]
        for name in yaml.safe_load((REPO_DIR / "domain/faq.yml").read_text())["responses"]
    }
    assert answers <= keys


@pytest.mark.parametrize(("text", "intent"), _story_turns())
def test_patients_words_reach_the_answer(coach_servers: CoachServers, text: str, intent: str):
    """The conversation tests' FAQ questions (not in the training data) get their answer."""
    sender = f"faq-{uuid.uuid4().hex[:8]}"
    assert coach_servers.texts(sender, text) == [domain_text(f"utter_{intent}")], text
