"""Telegram end to end through the fake Bot API: the /start deep link joins, consent by inline
buttons, check-in, a round video note analysed, and the next day's prompt through
trigger_intent to the coach's own Telegram output channel."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coach.storage.db import transaction
from coach.storage.models import ChannelIdentity, CheckIn, ClipUpload
from tests.e2e.conftest import CoachServers, domain_text
from tests.e2e.journey import (
    CHECKIN_ANSWERS,
    analysis_for,
    deliveries,
    invited_patient,
    next_day_sweep,
)
from tests.fakes.http import wait_for
from tests.fakes.telegram import FakeTelegram

CHAT = 700123


def telegram_say(
    telegram: FakeTelegram, url: str, update: dict, wait_text: str | None = None
) -> list[dict]:
    before = len(telegram.messages_to(CHAT))
    reply = FakeTelegram.post_update(url, update)
    assert reply.status_code == 200 and reply.json() == {"ok": True}

    def arrived() -> list[dict] | None:
        new = telegram.messages_to(CHAT)[before:]
        if wait_text is None:
            return new or None
        return new if any(wait_text in m["text"] for m in new) else None

    return wait_for(arrived, 120, f"{(wait_text or 'a reply')[:40]!r} on Telegram")


def test_telegram_journey(
    coach_servers: CoachServers, protocol_clip_files, monkeypatch: pytest.MonkeyPatch
) -> None:
    telegram, url = coach_servers.telegram, coach_servers.webhook("telegram")
    patient_id, code = invited_patient(coach_servers, "telegram", zone="Australia/Perth")

    def text(words: str, wait_text: str | None = None) -> list[dict]:
        return telegram_say(telegram, url, telegram.text_update(CHAT, words), wait_text)

    def press(payload: str, wait_text: str) -> list[dict]:
        return telegram_say(telegram, url, telegram.callback_update(CHAT, payload), wait_text)

    joined = text(f"/start {code.replace('-', '')}", domain_text("utter_consent_request"))
    keyboard = joined[-1]["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == [
        "/agree_data_consent",
        "/decline_data_consent",
    ]
    press("/agree_data_consent", domain_text("utter_clip_consent_request"))
    press("/agree_clip_consent", domain_text("utter_onboarding_done"))
    assert len(telegram.callback_answers) >= 2
    with transaction(coach_servers.database_url) as session:
        identity = session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.sender_id == f"telegram:{CHAT}")
        ).one()
        assert (identity.channel, identity.patient_id) == ("telegram", patient_id)

    for answer, question in CHECKIN_ANSWERS:
        text(answer, question)
    with transaction(coach_servers.database_url) as session:
        assert (
            session.scalars(select(CheckIn.mood).where(CheckIn.patient_id == patient_id)).one() == 7
        )

    note = telegram.video_update(CHAT, protocol_clip_files["healthy"].read_bytes(), "video_note")
    before = len(telegram.messages_to(CHAT))
    FakeTelegram.post_update(url, note)
    analysis = wait_for(lambda: analysis_for(coach_servers, patient_id), 180, "the analysis")
    reply = telegram.wait_for_messages(CHAT, before + 1)[before:]
    assert reply[0]["text"] == analysis.report["patient_message"]
    with transaction(coach_servers.database_url) as session:
        upload = session.scalars(
            select(ClipUpload).where(ClipUpload.patient_id == patient_id)
        ).one()
        assert upload.channel == "telegram"

    before = len(telegram.messages_to(CHAT))
    stats, intent = next_day_sweep(coach_servers, monkeypatch, patient_id)
    assert (stats.prompted, stats.failed) == (1, 0)
    prompt = telegram.messages_to(CHAT)[before:]
    [delivery] = deliveries(coach_servers, patient_id)
    assert (delivery.channel, delivery.status, delivery.intent) == ("telegram", "accepted", intent)
    assert delivery.provider_message_id == str(prompt[-1]["message_id"])
    first_question = {
        "EXTERNAL_daily_checkin": "utter_ask_face_feeling",
        "EXTERNAL_weekly_clip": "utter_ask_face_feeling",
        "EXTERNAL_weekly_saq": "utter_ask_saq_1",
    }[intent]
    assert prompt[-1]["text"] == domain_text(first_question)
