"""SMS end to end through the fake Twilio: invite -> join -> consent -> check-in -> a one-time
upload link for the clip (text messages carry no video) -> analysis reply by SMS -> the next
day's prompt by SMS; a failed delivery report makes the next sweep send it again."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from coach.messaging.consent import CLIPS, record_consent
from coach.storage.db import transaction
from coach.storage.models import CheckIn, Patient
from tests.e2e.conftest import CoachServers, domain_text
from tests.e2e.journey import (
    CHECKIN_ANSWERS,
    analysis_for,
    deliveries,
    invited_patient,
    next_day_sweep,
    twilio_say,
)
from tests.fakes.http import wait_for
from tests.fakes.twilio import SMS_NUMBER

PHONE = "+447700900202"


def test_sms_journey(
    coach_servers: CoachServers, protocol_clip_files, monkeypatch: pytest.MonkeyPatch
) -> None:
    twilio, url = coach_servers.twilio, coach_servers.webhook("sms")
    patient_id, code = invited_patient(coach_servers, "sms", zone="Asia/Tokyo")

    def say(text: str, wait_text: str | None = None, **kwargs) -> list[dict]:
        return twilio_say(twilio, url, PHONE, text, wait_text, **kwargs)

    say(f"start {code.lower()}", domain_text("utter_consent_request"))
    say("I agree", domain_text("utter_clip_consent_request"))  # a button's title works too
    say("2", domain_text("utter_onboarding_done"))  # 2 = "No videos"... then changes her mind
    with transaction(coach_servers.database_url) as session:
        assert session.get(Patient, patient_id).clip_consent_version is None
    for answer, question in CHECKIN_ANSWERS:
        say(answer, question)
    with transaction(coach_servers.database_url) as session:
        assert (
            session.scalars(select(CheckIn.mood).where(CheckIn.patient_id == patient_id)).one() == 7
        )

    # No clip consent: asking how to record gives the cue card but no link.
    before = len(twilio.messages_to(PHONE))
    say("how do I record my clip?", domain_text("utter_clip_instructions"))
    say("thanks", domain_text("utter_you_are_welcome"))  # the turn before has ended
    assert not any("/chat/upload#u=" in m["Body"] for m in twilio.messages_to(PHONE)[before:])
    with transaction(coach_servers.database_url) as session:
        record_consent(session, patient_id, CLIPS, True, "sms")
    asked = say("how do I record my clip?", "/chat/upload#u=")
    link = re.search(r"(http\S+/chat/upload#u=\S+)", asked[-1]["Body"]).group(1)
    assert link.startswith(coach_servers.webchat_url)
    token = link.split("#u=", 1)[1]
    page = httpx.get(link.split("#")[0], timeout=30)
    assert page.status_code == 200 and 'data-mode="upload"' in page.text

    before = len(twilio.messages_to(PHONE))
    upload = httpx.post(
        f"{coach_servers.webchat_url}/chat/api/upload-link-clip",
        content=protocol_clip_files["healthy"].read_bytes(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "video/mp4"},
        timeout=60,
    )
    assert upload.status_code == 202, upload.text
    analysis = wait_for(lambda: analysis_for(coach_servers, patient_id), 180, "the analysis")
    reply = twilio.wait_for_messages(PHONE, before + 1)[before:]
    assert reply[0]["Body"] == analysis.report["patient_message"]
    assert reply[0]["From"] == SMS_NUMBER
    again = wait_for(
        lambda: (lambda r: r if r.status_code == 410 else None)(
            httpx.post(
                f"{coach_servers.webchat_url}/chat/api/upload-link-clip",
                content=protocol_clip_files["healthy"].read_bytes(),
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
            )
        ),
        60,
        "the upload link to be used up",
    )
    assert "used" in again.json()["message"]

    stats, _ = next_day_sweep(coach_servers, monkeypatch, patient_id)
    assert (stats.prompted, stats.failed) == (1, 0)
    [first] = deliveries(coach_servers, patient_id)
    prompt = next(m for m in twilio.messages_to(PHONE) if m["sid"] == first.provider_message_id)
    assert prompt["StatusCallback"] == f"{coach_servers.webchat_url}/twilio/status"
    assert (first.channel, first.status) == ("sms", "accepted")

    # The carrier could not deliver it: Twilio says so, the next sweep sends it again.
    assert twilio.status_callback(prompt, "undelivered", "30003").status_code == 204
    assert [d.status for d in deliveries(coach_servers, patient_id)] == ["failed"]
    with transaction(coach_servers.database_url) as session:
        assert session.get(Patient, patient_id).last_prompted_on is None
    stats, _ = next_day_sweep(coach_servers, monkeypatch, patient_id)
    assert (stats.prompted, stats.failed) == (1, 0)
    assert [d.status for d in deliveries(coach_servers, patient_id)] == ["failed", "accepted"]
    forged = twilio.status_callback(prompt, "failed")
    assert forged.status_code == 204  # a genuine report for an old message changes nothing new
    bad = httpx.post(
        f"{coach_servers.webchat_url}/twilio/status",
        data={"MessageSid": prompt["sid"], "MessageStatus": "failed"},
        headers={"X-Twilio-Signature": "forged"},
        timeout=30,
    )
    assert bad.status_code == 403
    assert [d.status for d in deliveries(coach_servers, patient_id)][-1] == "accepted"
