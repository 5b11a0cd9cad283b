"""WhatsApp end to end through the fake Twilio: invite -> join -> consent -> check-in -> clip
video -> analysis reply on WhatsApp -> the next day's prompt as an approved template, and its
quick reply starting the check-in. Real Rasa, action and web chat servers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coach.storage.db import transaction
from coach.storage.models import ChannelIdentity, CheckIn, ClipUpload, Patient
from tests.e2e.conftest import TEMPLATE_SIDS, CoachServers, domain_text
from tests.e2e.journey import (
    CHECKIN_ANSWERS,
    analysis_for,
    deliveries,
    invited_patient,
    next_day_sweep,
    twilio_say,
)
from tests.fakes.http import wait_for
from tests.fakes.twilio import MEDIA_CONTENT_TYPE, WHATSAPP_NUMBER

PHONE = "whatsapp:+447700900101"


def test_whatsapp_journey(
    coach_servers: CoachServers, protocol_clip_files, monkeypatch: pytest.MonkeyPatch
) -> None:
    twilio, url = coach_servers.twilio, coach_servers.webhook("whatsapp")
    patient_id, code = invited_patient(coach_servers, "whatsapp")

    def say(text: str, wait_text: str | None = None, **kwargs) -> list[dict]:
        return twilio_say(twilio, url, PHONE, text, wait_text, **kwargs)

    joined = say(f"START {code}", domain_text("utter_consent_request"))
    assert "1 - I agree" in joined[-1]["Body"]
    assert all(m["From"] == WHATSAPP_NUMBER and m["To"] == PHONE for m in joined)
    say("1", domain_text("utter_clip_consent_request"))  # 1 = "I agree"
    say("1", domain_text("utter_onboarding_done"))  # 1 = "Yes, look at my videos"
    with transaction(coach_servers.database_url) as session:
        identity = session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.sender_id == PHONE)
        ).one()
        patient = session.get(Patient, patient_id)
        assert (identity.channel, identity.patient_id) == ("whatsapp", patient_id)
        assert patient.data_consent_version and patient.clip_consent_version

    for answer, question in CHECKIN_ANSWERS:
        say(answer, question)
    with transaction(coach_servers.database_url) as session:
        checkin = session.scalars(select(CheckIn).where(CheckIn.patient_id == patient_id)).one()
        assert (checkin.sessions_done, checkin.minutes_practised, checkin.mood) == (2, 20, 7)

    media_url = twilio.add_media(protocol_clip_files["healthy"].read_bytes())
    before = len(twilio.messages_to(PHONE))
    twilio.inbound(url, PHONE, "", media=[(media_url, MEDIA_CONTENT_TYPE)])
    analysis = wait_for(lambda: analysis_for(coach_servers, patient_id), 180, "the clip analysis")
    reply = twilio.wait_for_messages(PHONE, before + 1)[before:]
    assert reply[0]["Body"] == analysis.report["patient_message"]
    with transaction(coach_servers.database_url) as session:
        upload = session.scalars(
            select(ClipUpload).where(ClipUpload.patient_id == patient_id)
        ).one()
        assert (upload.clip_id, upload.channel) == (analysis.clip_id, "whatsapp")

    stats, intent = next_day_sweep(coach_servers, monkeypatch, patient_id)
    assert (stats.prompted, stats.failed) == (1, 0)
    prompt = [m for m in twilio.messages_to(PHONE) if m.get("ContentSid")]
    assert len(prompt) == 1
    assert prompt[0]["ContentSid"] == TEMPLATE_SIDS[intent]
    assert prompt[0]["From"] == WHATSAPP_NUMBER
    assert twilio.template_variables(prompt[0]) == {"1": "whatsapp"}
    [delivery] = deliveries(coach_servers, patient_id)
    assert (delivery.channel, delivery.status) == ("whatsapp", "accepted")
    assert delivery.provider_message_id == prompt[0]["sid"]

    # Tapping the template's quick reply starts the check-in (this test's "next day" is still
    # today for the bot, which has today's check-in: it offers to update it).
    started = say(
        "Start check-in",
        extra={"ButtonText": "Start check-in", "ButtonPayload": "/start_checkin"},
    )
    assert domain_text("utter_ask_checkin_update_today") in started[-1]["Body"]
