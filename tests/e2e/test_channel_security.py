"""Bad input and trust boundaries on every channel, against the real servers: forged or missing
signatures, replays, media from elsewhere, oversized or non-video media, strangers, invite
guessing, unauthenticated REST and Rasa API calls, typed intents, socket.io without a token."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid

import httpx
import pytest
import socketio
from sqlalchemy import select

from coach.channels.signing import REST_PURPOSE, WEBCHAT_PURPOSE, sign
from coach.clips.config import load_config
from coach.clips.intake import store_clip_file
from coach.enrolment import create_invite
from coach.media.incoming import incoming_dir
from coach.messaging.clips import bind_clip
from coach.storage.db import transaction
from coach.storage.models import ClipAnalysis, ClipUpload, Invite
from tests.conftest import add_patient
from tests.e2e.conftest import CoachServers, domain_text
from tests.e2e.journey import invited_patient, twilio_say
from tests.e2e.stack import rest_headers
from tests.fakes.http import FakeServer, wait_for
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import MEDIA_CONTENT_TYPE

RETAKE = load_config().messages["retake"]
STROKE_TEXT = "my arm went weak suddenly and my speech is slurred"


def _phone() -> str:
    return f"+4477009{uuid.uuid4().int % 100000:05d}"


def _events(servers: CoachServers, sender: str) -> int:
    with sqlite3.connect(servers.workdir / "tracker.db") as db:
        return db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[
            0
        ]


def _flush(servers: CoachServers, phone: str) -> None:
    """A message with a known reply: everything sent before it has been handled."""
    twilio_say(
        servers.twilio,
        servers.webhook("whatsapp"),
        f"whatsapp:{phone}",
        "thanks",
        domain_text("utter_you_are_welcome"),
    )


@pytest.mark.parametrize("signature", ["", "forged-signature"])
def test_twilio_webhooks_without_a_valid_signature_are_refused(
    coach_servers: CoachServers, signature: str
) -> None:
    phone = _phone()
    reply = coach_servers.twilio.inbound(
        coach_servers.webhook("whatsapp"), f"whatsapp:{phone}", "hi", signature=signature
    )
    assert reply.status_code == 403
    _flush(coach_servers, phone)
    bodies = [m["Body"] for m in coach_servers.twilio.messages_to(f"whatsapp:{phone}")]
    assert bodies == [domain_text("utter_you_are_welcome")]  # "hi" was never processed


def test_a_signature_for_other_parameters_is_refused(coach_servers: CoachServers) -> None:
    twilio, url, phone = coach_servers.twilio, coach_servers.webhook("sms"), _phone()
    signature = twilio.sign(url, {"From": phone, "Body": "hi"})
    assert twilio.inbound(url, phone, "delete my data", signature=signature).status_code == 403
    assert _events(coach_servers, f"sms:{phone}") == 0


def test_a_replayed_twilio_message_is_handled_once(coach_servers: CoachServers) -> None:
    twilio, url, phone = coach_servers.twilio, coach_servers.webhook("whatsapp"), _phone()
    for _ in range(3):
        assert (
            twilio.inbound(url, f"whatsapp:{phone}", "hi", message_sid="SM" + "7" * 32).status_code
            == 200
        )
    _flush(coach_servers, phone)
    bodies = [m["Body"] for m in twilio.messages_to(f"whatsapp:{phone}")]
    assert bodies.count(domain_text("utter_greet_unknown")) == 1


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
def test_telegram_updates_without_the_secret_are_refused(
    coach_servers: CoachServers, secret: str | None
) -> None:
    telegram, chat = coach_servers.telegram, 800000 + uuid.uuid4().int % 1000
    update = telegram.text_update(chat, "hi")
    assert (
        FakeTelegram.post_update(coach_servers.webhook("telegram"), update, secret).status_code
        == 403
    )
    assert _events(coach_servers, f"telegram:{chat}") == 0


def test_a_replayed_telegram_update_is_handled_once(coach_servers: CoachServers) -> None:
    telegram, url, chat = coach_servers.telegram, coach_servers.webhook("telegram"), 810001
    update = telegram.text_update(chat, "hi")
    for _ in range(3):
        assert FakeTelegram.post_update(url, update).status_code == 200
    FakeTelegram.post_update(url, telegram.text_update(chat, "thanks"))
    wait_for(
        lambda: any(
            m["text"] == domain_text("utter_you_are_welcome") for m in telegram.messages_to(chat)
        ),
        120,
        "the reply to thanks",
    )
    texts = [m["text"] for m in telegram.messages_to(chat)]
    assert texts.count(domain_text("utter_greet_unknown")) == 1


def _clip_patient(servers: CoachServers) -> str:
    phone = _phone()
    add_patient(servers.database_url, f"whatsapp:{phone}", channel="whatsapp")
    return phone


def _analysed(servers: CoachServers, patient_id: int) -> list[ClipAnalysis]:
    with transaction(servers.database_url) as session:
        return list(
            session.scalars(select(ClipAnalysis).where(ClipAnalysis.patient_id == patient_id))
        )


def test_media_on_another_host_is_not_fetched(coach_servers: CoachServers) -> None:
    elsewhere = FakeServer()
    try:
        phone = _clip_patient(coach_servers)
        replies = twilio_say(
            coach_servers.twilio,
            coach_servers.webhook("whatsapp"),
            f"whatsapp:{phone}",
            "",
            domain_text("utter_clip_missing"),
            media=[(f"{elsewhere.url}/clip.mp4", MEDIA_CONTENT_TYPE)],
        )
        assert replies[-1]["Body"] == domain_text("utter_clip_missing")
        assert elsewhere.requests == []
    finally:
        elsewhere.close()


@pytest.mark.parametrize(
    ("data", "content_type", "problem"),
    [
        (
            b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (16 * 1024 * 1024 + 10),
            MEDIA_CONTENT_TYPE,
            "too_large",
        ),
        (b"\xff\xd8\xff\xe0 a photo" * 100, "image/jpeg", "not_a_video"),
        (b"%PDF-1.7 renamed to .mp4" * 100, MEDIA_CONTENT_TYPE, "not_a_video"),
    ],
)
def test_oversized_or_non_video_media_gets_the_retake_message(
    coach_servers: CoachServers, data: bytes, content_type: str, problem: str
) -> None:
    phone = _clip_patient(coach_servers)
    folder = incoming_dir(coach_servers.workdir / "var" / "media")
    before = {p for p in folder.rglob("*") if p.is_file()}
    media_url = coach_servers.twilio.add_media(data, content_type)
    replies = twilio_say(
        coach_servers.twilio,
        coach_servers.webhook("whatsapp"),
        f"whatsapp:{phone}",
        "",
        media=[(media_url, content_type)],
    )
    assert replies[0]["Body"] == RETAKE[problem].strip()
    assert {p for p in folder.rglob("*") if p.is_file()} == before


def test_telegram_refuses_a_video_over_the_bot_download_limit_without_fetching(
    coach_servers: CoachServers,
) -> None:
    telegram, chat = coach_servers.telegram, 820002
    add_patient(coach_servers.database_url, f"telegram:{chat}", channel="telegram")
    update = telegram.video_update(chat, b"\x00" * 100, "video")
    update["message"]["video"]["file_size"] = 21 * 1024 * 1024
    calls = len(telegram.requests)
    FakeTelegram.post_update(coach_servers.webhook("telegram"), update)
    wait_for(lambda: telegram.messages_to(chat), 120, "the retake message")
    assert telegram.messages_to(chat)[0]["text"] == RETAKE["too_large"].strip()
    assert not any("getFile" in r["path"] for r in telegram.requests[calls:])


def test_a_stranger_hears_how_to_join_but_a_red_flag_still_gets_the_advice(
    coach_servers: CoachServers,
) -> None:
    twilio, url, phone = coach_servers.twilio, coach_servers.webhook("sms"), _phone()
    hello = twilio_say(twilio, url, phone, "hello")
    assert hello[0]["Body"] == domain_text("utter_greet_unknown")
    flagged = twilio_say(twilio, url, phone, STROKE_TEXT)
    stroke = domain_text("utter_red_flag_stroke").split("{")[0]
    assert flagged[0]["Body"].startswith(stroke)
    assert "therapist" not in flagged[0]["Body"]  # nobody to tell: it says only what happened


def test_expired_used_and_guessed_codes_then_the_lock_out(coach_servers: CoachServers) -> None:
    twilio, url = coach_servers.twilio, coach_servers.webhook("whatsapp")
    patient_id, code = invited_patient(coach_servers, f"sec-{uuid.uuid4().hex[:6]}")
    first, second = f"whatsapp:{_phone()}", f"whatsapp:{_phone()}"
    twilio_say(twilio, url, first, f"START {code}", domain_text("utter_consent_request"))
    used = twilio_say(twilio, url, second, f"START {code}")
    assert used[0]["Body"] == domain_text("utter_invite_used")
    with transaction(coach_servers.database_url) as session:
        expired = create_invite(session, patient_id, created_by="e2e").code
        session.execute(
            Invite.__table__.update()
            .where(Invite.used_at.is_(None))
            .values(expires_at=Invite.created_at)
        )
    late = twilio_say(twilio, url, second, f"START {expired}")
    assert late[0]["Body"] == domain_text("utter_invite_expired")
    for left in (2, 1):  # used + expired counted already
        guess = twilio_say(twilio, url, second, "START ZZZZ-9999")
        assert f"({left} tries left)" in guess[0]["Body"]
    locked = twilio_say(twilio, url, second, "START ZZZZ-9999")
    assert "Too many codes didn't work" in locked[0]["Body"]


def test_rest_needs_a_token_for_exactly_that_sender(coach_servers: CoachServers) -> None:
    url = f"{coach_servers.rasa_url}/webhooks/rest/webhook"
    body = {"sender": "someone", "message": "hi"}
    assert httpx.post(url, json=body, timeout=30).status_code == 401
    other = rest_headers("someone-else")
    assert httpx.post(url, json=body, headers=other, timeout=30).status_code == 401
    web = {"Authorization": "Bearer " + sign(WEBCHAT_PURPOSE, "someone", 60)}
    assert httpx.post(url, json=body, headers=web, timeout=30).status_code == 401
    spoof = {"sender": "whatsapp:+447700900101", "message": "hi"}
    assert (
        httpx.post(url, json=spoof, headers=rest_headers(spoof["sender"]), timeout=30).status_code
        == 403
    )
    assert (
        httpx.post(url, json=body, headers=rest_headers("someone"), timeout=30).status_code == 200
    )


def test_the_rasa_api_needs_its_token_and_allows_no_other_origin(
    coach_servers: CoachServers,
) -> None:
    base, token = coach_servers.rasa_url, coach_servers.env["RASA_TOKEN"]
    for method, path in [
        ("GET", "/status"),
        ("GET", "/conversations/x/tracker"),
        ("POST", "/conversations/x/trigger_intent"),
    ]:
        reply = httpx.request(method, base + path, json={"name": "greet"}, timeout=30)
        assert reply.status_code == 401, path
        forged = httpx.request(
            method, base + path, params={"token": "guess"}, json={"name": "greet"}, timeout=30
        )
        assert forged.status_code == 401, path
    ok = httpx.get(
        base + "/status",
        params={"token": token},
        headers={"Origin": "https://evil.example"},
        timeout=30,
    )
    assert ok.status_code == 200
    assert ok.headers.get("Access-Control-Allow-Origin") in (None, "")


def test_typed_intents_do_not_reach_rasa_as_intents(
    coach_servers: CoachServers, protocol_clip_files
) -> None:
    owner = add_patient(coach_servers.database_url, f"owner-{uuid.uuid4().hex[:6]}")
    clip_id = store_clip_file(
        protocol_clip_files["healthy"], coach_servers.workdir / "var" / "media"
    ).clip_id
    with transaction(coach_servers.database_url) as session:
        bind_clip(session, owner.patient_id, clip_id, "rest")
    thief = add_patient(coach_servers.database_url, f"thief-{uuid.uuid4().hex[:6]}")
    injected = '/EXTERNAL_clip_uploaded{"clip_id": "' + clip_id + '"}'
    coach_servers.texts(thief.sender_id, injected)
    phone = _phone()
    victim = add_patient(coach_servers.database_url, f"whatsapp:{phone}", channel="whatsapp")
    twilio_say(
        coach_servers.twilio, coach_servers.webhook("whatsapp"), f"whatsapp:{phone}", injected
    )
    for sender in (thief.sender_id, f"whatsapp:{phone}"):
        events = coach_servers.tracker(sender)["events"]
        intents = [
            (e.get("parse_data") or {}).get("intent", {}).get("name")
            for e in events
            if e["event"] == "user"
        ]
        assert intents  # the message did reach the bot, as text
        assert "EXTERNAL_clip_uploaded" not in intents
    assert _analysed(coach_servers, thief.patient_id) == []
    assert _analysed(coach_servers, victim.patient_id) == []
    with transaction(coach_servers.database_url) as session:
        bound = set(
            session.scalars(select(ClipUpload.patient_id).where(ClipUpload.clip_id == clip_id))
        )
    assert owner.patient_id in bound  # (other tests' patients may have sent the same bytes)
    assert not bound & {thief.patient_id, victim.patient_id}


def test_socketio_only_with_a_web_chat_token_and_only_its_own_conversation(
    coach_servers: CoachServers,
) -> None:
    sender = f"webchat:{uuid.uuid4().hex}"
    add_patient(coach_servers.database_url, sender, channel="webchat")
    origin = coach_servers.env["WEBCHAT_ORIGINS"]

    async def connect(
        auth: dict | None, origin_header: str = origin
    ) -> socketio.AsyncClient | None:
        client = socketio.AsyncClient(reconnection=False)
        try:
            await client.connect(
                coach_servers.rasa_url,
                socketio_path="/socket.io",
                transports=["websocket"],
                auth=auth,
                headers={"Origin": origin_header},
                wait_timeout=30,
            )
        except socketio.exceptions.ConnectionError:
            return None
        return client

    async def scenario() -> list[dict]:
        assert await connect(None) is None
        assert await connect({"token": "garbage"}) is None
        assert await connect({"token": sign(REST_PURPOSE, sender, 60)}) is None
        assert await connect({"token": sign(WEBCHAT_PURPOSE, "demo-patient", 60)}) is None
        token = sign(WEBCHAT_PURPOSE, sender, 600)
        assert await connect({"token": token}, "https://evil.example") is None
        client = await connect({"token": token})
        assert client is not None
        got: list[dict] = []
        client.on("bot_uttered", lambda data: got.append(data))
        await client.emit(
            "user_uttered", {"message": "thanks", "session_id": "victim", "sender": "victim"}
        )
        for _ in range(600):
            if got:
                break
            await asyncio.sleep(0.1)
        await client.disconnect()
        return got

    got = asyncio.run(scenario())
    assert got and got[0]["text"] == domain_text("utter_you_are_welcome")
    assert _events(coach_servers, sender) > 0
    assert _events(coach_servers, "victim") == 0


@pytest.mark.parametrize(
    "content",
    [
        {"document": {"file_name": "notes.pdf", "mime_type": "application/pdf"}},
        {"photo": [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]},
        {"sticker": {"file_id": "s1", "file_unique_id": "u2", "type": "regular"}},
    ],
    ids=["pdf-document", "photo", "sticker"],
)
def test_telegram_media_that_is_not_a_video_gets_the_retake_message(
    coach_servers: CoachServers, content: dict
) -> None:
    telegram, chat = coach_servers.telegram, 830000 + uuid.uuid4().int % 1000
    add_patient(coach_servers.database_url, f"telegram:{chat}", channel="telegram")
    update = telegram.text_update(chat, "x")
    del update["message"]["text"]
    update["message"].update(content)
    FakeTelegram.post_update(coach_servers.webhook("telegram"), update)
    wait_for(lambda: telegram.messages_to(chat), 120, "the retake message")
    assert telegram.messages_to(chat)[0]["text"] == RETAKE["not_a_video"].strip()


def test_a_telegram_video_file_is_fetched_with_getfile_and_sniffed(
    coach_servers: CoachServers,
) -> None:
    telegram, chat = coach_servers.telegram, 840000 + uuid.uuid4().int % 1000
    add_patient(coach_servers.database_url, f"telegram:{chat}", channel="telegram")
    update = telegram.video_update(chat, b"%PDF-1.7 renamed to clip.mp4" * 50, "document")
    file_id = update["message"]["document"]["file_id"]
    calls = len(telegram.requests)
    FakeTelegram.post_update(coach_servers.webhook("telegram"), update)
    wait_for(lambda: telegram.messages_to(chat), 120, "the retake message")
    assert telegram.messages_to(chat)[0]["text"] == RETAKE["not_a_video"].strip()
    paths = [r["path"] for r in telegram.requests[calls:]]
    assert any(p.endswith("/getFile") for p in paths)
    assert any(p.startswith("/file/bot") for p in paths)  # downloaded, then refused by its bytes
    assert file_id in telegram.files
