"""Proactive prompts on the patient's own channel, counted only when the provider accepted
them; the next channel after repeated failures; caregivers on WhatsApp and their STOP."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

import pytest
from factories import caregiver, patient
from sqlalchemy import select

from coach.config import get_settings
from coach.messaging.prompts import apply_provider_status
from coach.notify.channels import Senders
from coach.notify.render import Rendered
from coach.notify.settings import notify_settings
from coach.scheduler.reminders import run_caregiver_reminders
from coach.scheduler.settings import scheduler_settings
from coach.scheduler.sweep import run_sweep
from coach.storage.db import session_factory, transaction
from coach.storage.models import ChannelIdentity, Notification, Patient, PromptDelivery
from tests.fakes import twilio as tw
from tests.fakes.twilio import FakeTwilio

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)  # a Wednesday, 13:00 in London
DAILY_SID = "HX" + "d" * 32


@pytest.fixture
def twilio(monkeypatch: pytest.MonkeyPatch, fake_http) -> Any:
    fake = FakeTwilio()
    for name, value in {
        "TWILIO_ACCOUNT_SID": tw.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": tw.AUTH_TOKEN,
        "TWILIO_API_BASE": fake.url,
        "TWILIO_WHATSAPP_FROM": tw.WHATSAPP_NUMBER,
        "TWILIO_FROM": tw.WHATSAPP_NUMBER,
        "WHATSAPP_CONTENT_SIDS": f"EXTERNAL_daily_checkin={DAILY_SID}",
        "RASA_URL": fake_http.url,
        "RASA_TOKEN": "rasa-token",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield fake
    fake.close()


def _sweep(url: str, now: datetime = NOW):  # type: ignore[no-untyped-def]
    return run_sweep(session_factory(url), scheduler_settings(url), now=now)


def _deliveries(url: str) -> list[tuple[str, str]]:
    with transaction(url) as session:
        rows = session.execute(
            select(PromptDelivery.channel, PromptDelivery.status).order_by(PromptDelivery.id)
        )
        return [tuple(row) for row in rows]


def _add_identity(url: str, patient_id: int, channel: str, sender: str) -> None:
    with transaction(url) as session:
        session.add(ChannelIdentity(channel=channel, sender_id=sender, patient_id=patient_id))


def test_only_consented_patients_with_a_reachable_channel_are_prompted(
    sqlite_url: str, twilio, fake_http
) -> None:
    with transaction(sqlite_url) as s:
        patient(s, "RestOnly", channel="rest", sender="terminal")
        patient(s, "NoConsent", data_consent_version=None)
        stopped = patient(s, "Stopped")
        s.flush()
        s.execute(
            ChannelIdentity.__table__.update()
            .where(ChannelIdentity.patient_id == stopped.id)
            .values(opted_out_at=NOW)
        )
    stats = _sweep(sqlite_url)
    assert (stats.due, stats.prompted) == (0, 0)
    assert fake_http.requests == [] and twilio.sent == []


def test_whatsapp_gets_the_approved_template(sqlite_url: str, twilio, fake_http) -> None:
    with transaction(sqlite_url) as s:
        patient(s, "Ada Lovelace", channel="whatsapp", sender="whatsapp:+447700900001")
    assert _sweep(sqlite_url).prompted == 1
    [sent] = twilio.sent
    assert (sent["To"], sent["From"], sent["ContentSid"]) == (
        "whatsapp:+447700900001",
        tw.WHATSAPP_NUMBER,
        DAILY_SID,
    )
    assert json.loads(sent["ContentVariables"]) == {"1": "Ada"}
    assert "Body" not in sent
    assert fake_http.requests == []  # no session message through Rasa
    assert _deliveries(sqlite_url) == [("whatsapp", "accepted")]


def test_refusals_are_retried_then_the_next_channel_then_given_up_for_the_day(
    sqlite_url: str, twilio, fake_http
) -> None:
    with transaction(sqlite_url) as s:
        row = patient(s, "Bea", channel="sms", sender="sms:+447700900002")
    _add_identity(sqlite_url, row.id, "whatsapp", "whatsapp:+447700900002")  # newest: first
    twilio.refuse.add("whatsapp:+447700900002")
    fake_http.body = {
        "messages": [{"text": "Time for your check-in", "provider_message_id": "SM1"}]
    }
    first, second = _sweep(sqlite_url), _sweep(sqlite_url)
    assert (first.prompted, first.failed, second.prompted, second.failed) == (0, 1, 0, 1)
    third = _sweep(sqlite_url)
    assert (third.prompted, third.failed) == (1, 0)
    assert _deliveries(sqlite_url) == [
        ("whatsapp", "failed"),
        ("whatsapp", "failed"),
        ("sms", "accepted"),
    ]
    request = fake_http.requests[-1]
    assert request["path"] == "/conversations/sms:+447700900002/trigger_intent"
    assert request["query"]["output_channel"] == ["sms"]
    with transaction(sqlite_url) as s:
        assert s.scalars(select(PromptDelivery.provider_message_id)).all()[-1] == "SM1"

    # A later failure report for the SMS, twice, and nothing is left to try today.
    with transaction(sqlite_url) as s:
        assert apply_provider_status(s, "SM1", "undelivered", "30003")
        assert s.get(Patient, row.id).last_prompted_on is None
    fake_http.status = 500
    assert (_sweep(sqlite_url).failed, len(_deliveries(sqlite_url))) == (1, 4)  # 2nd SMS failure
    stats = _sweep(sqlite_url)
    assert (stats.prompted, stats.failed, stats.errors) == (
        0,
        1,
        ["no channel left to prompt today"],
    )
    with transaction(sqlite_url) as s:
        assert s.get(Patient, row.id).last_prompted_on == date(2026, 7, 1)
    assert _sweep(sqlite_url).due == 0


def test_a_delivered_report_is_recorded_and_unknown_ids_are_ignored(
    sqlite_url: str, twilio
) -> None:
    with transaction(sqlite_url) as s:
        patient(s, "Cy", channel="whatsapp", sender="whatsapp:+447700900003")
    _sweep(sqlite_url)
    sid = twilio.sent[0]["sid"]
    with transaction(sqlite_url) as s:
        assert apply_provider_status(s, sid, "delivered")
        assert not apply_provider_status(s, "SM" + "0" * 32, "failed")
    assert _deliveries(sqlite_url) == [("whatsapp", "delivered")]


def test_web_chat_prompts_wait_for_the_next_visit(sqlite_url: str, twilio, fake_http) -> None:
    with transaction(sqlite_url) as s:
        patient(s, "Dee", channel="webchat", sender="webchat:abc")
    assert _sweep(sqlite_url).prompted == 1
    assert _sweep(sqlite_url, NOW + timedelta(days=1)).prompted == 1
    assert fake_http.requests == []  # shown by the page, not pushed
    assert _deliveries(sqlite_url) == [("webchat", "superseded"), ("webchat", "queued")]


def test_clip_day_asks_for_a_clip_only_with_clip_consent(
    sqlite_url: str, twilio, fake_http
) -> None:
    with transaction(sqlite_url) as s:
        patient(s, "NoClips", channel="telegram", sender="telegram:1")
    _sweep(sqlite_url, datetime(2026, 7, 9, 8, 30, tzinfo=timezone.utc))  # Thursday
    assert json.loads(fake_http.requests[0]["body"])["name"] == "EXTERNAL_daily_checkin"


def test_caregiver_reminders_reach_whatsapp_and_stop_after_stop(sqlite_url: str, twilio) -> None:
    with transaction(sqlite_url) as s:
        row = patient(s, "Eve", at=time(8, 0), last_prompted_on=date(2026, 7, 1))
        on_whatsapp = caregiver(s, row, ["missed_checkin"], phone="+447700900555")
        stopped = caregiver(
            s, row, ["missed_checkin"], phone="+447700900666", opted_out_at=NOW - timedelta(days=1)
        )
    late = datetime(2026, 7, 1, 16, 0, tzinfo=timezone.utc)  # 17:00 in London, no check-in
    run_caregiver_reminders(session_factory(sqlite_url), scheduler_settings(sqlite_url), now=late)
    with transaction(sqlite_url) as s:
        queued = s.scalars(select(Notification.recipient_id)).all()
    assert queued == [on_whatsapp.id] and stopped.id not in queued
    with Senders(notify_settings()) as senders:
        sid = senders.sms(Rendered(subject="", text="A reminder", html=""), "+447700900555", "k1")
    [sent] = [m for m in twilio.sent if m["sid"] == sid]
    assert (sent["To"], sent["From"]) == ("whatsapp:+447700900555", tw.WHATSAPP_NUMBER)
    assert dict(parse_qsl(f"Body={sent['Body']}"))["Body"] == "A reminder"


def test_the_demo_patients_prompt_waits_for_the_web_chat_not_the_terminal(
    sqlite_url: str, twilio, fake_http
) -> None:
    """`make run`: the first "hi" in the terminal chat is not taken as a check-in answer."""
    from coach.storage.demo import seed_demo_clinic

    seed_demo_clinic(sqlite_url)
    assert _sweep(sqlite_url, datetime(2026, 7, 1, 9, 30, tzinfo=timezone.utc)).prompted == 1
    assert fake_http.requests == []  # nothing was triggered on the REST conversation
    assert _deliveries(sqlite_url) == [("webchat", "queued")]
