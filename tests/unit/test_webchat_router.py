"""The web chat's routes (FastAPI TestClient): page headers, its files, new sessions, clip
uploads (token, enrolment, cap, sniffing), the waiting prompt, SMS upload links, Twilio status."""

from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from coach.channels.signing import REST_PURPOSE, WEBCHAT_PURPOSE, sign, verify
from coach.clips.config import load_config
from coach.config import get_settings
from coach.content import load_content
from coach.media.incoming import incoming_dir
from coach.messaging.upload_links import create_upload_link
from coach.storage.db import transaction
from coach.storage.models import ChannelIdentity, PromptDelivery
from coach.webchat.router import RateLimiter
from coach.webchat.server import build_app
from tests.conftest import add_patient
from tests.fakes import twilio as tw

router_module = importlib.import_module("coach.webchat.router")
RETAKE = load_config().messages["retake"]
WEB = "webchat:0f0f0f"


@pytest.fixture
def client(app_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("RASA_PUBLIC_URL", "https://rasa.clinic.example")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", tw.ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", tw.AUTH_TOKEN)
    monkeypatch.setenv("TWILIO_STATUS_CALLBACK_URL", "http://testserver/twilio/status")
    get_settings.cache_clear()
    triggered: list[tuple] = []
    monkeypatch.setattr(
        router_module, "_trigger", lambda *args: triggered.append(args) or {"messages": []}
    )
    with TestClient(build_app()) as test_client:
        test_client.triggered = triggered  # type: ignore[attr-defined]
        yield test_client


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _web_token(sender: str = WEB) -> str:
    return sign(WEBCHAT_PURPOSE, sender, 600)


def test_the_page_is_locked_down_and_points_at_rasa(client: TestClient) -> None:
    page = client.get("/chat")
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "https://rasa.clinic.example" in csp and "wss://rasa.clinic.example" in csp
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert 'data-rasa-url="https://rasa.clinic.example"' in page.text
    assert 'role="log"' in page.text and 'aria-live="polite"' in page.text
    for step in load_content("channels")["webchat"]["cue_card"]:
        assert step["label"] in page.text
    assert client.get("/chat/join").status_code == 200
    assert 'data-mode="upload"' in client.get("/chat/upload").text


def test_only_the_pages_own_files_are_served(client: TestClient) -> None:
    script = client.get("/chat/static/chat.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript"
    )
    assert client.get("/chat/static/vendor/socket.io.min.js").status_code == 200
    for name in ("../router.py", "templates/chat.html", "nothing.js", "%2e%2e/router.py"):
        assert client.get(f"/chat/static/{name}").status_code == 404


def test_new_sessions_are_web_chat_senders_and_rate_limited(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(router_module, "_sessions", RateLimiter(2, 3600))
    first = client.post("/chat/api/session").json()["token"]
    assert verify(first, WEBCHAT_PURPOSE).subject.startswith("webchat:")
    assert client.post("/chat/api/session").status_code == 200
    assert client.post("/chat/api/session").status_code == 429


def test_clip_uploads_need_a_web_chat_token_of_an_enrolled_patient(
    client: TestClient, app_db: str, protocol_clip_files
) -> None:
    data = protocol_clip_files["healthy"].read_bytes()
    assert client.post("/chat/api/clip", content=data).status_code == 401
    rest = sign(REST_PURPOSE, WEB, 600)
    assert client.post("/chat/api/clip", content=data, headers=_auth(rest)).status_code == 401
    assert (
        client.post("/chat/api/clip", content=data, headers=_auth(_web_token())).status_code == 403
    )
    assert client.triggered == []


def test_a_recorded_clip_is_quarantined_and_handed_to_the_coach(
    client: TestClient, app_db: str, protocol_clip_files
) -> None:
    add_patient(app_db, WEB, channel="webchat")
    reply = client.post(
        "/chat/api/clip",
        content=protocol_clip_files["healthy"].read_bytes(),
        headers={**_auth(_web_token()), "Content-Type": "video/webm"},
    )
    assert reply.status_code == 202
    [(sender, channel, intent, entities)] = client.triggered
    assert (sender, channel, intent) == (WEB, "webchat", "EXTERNAL_clip_uploaded")
    stored = list(incoming_dir().rglob(f"{entities['clip_id']}.mp4"))
    assert len(stored) == 1


@pytest.mark.parametrize(
    ("body", "headers", "problem"),
    [
        (b"\x00" * 100, {"Content-Length": str(60 * 1024 * 1024)}, "too_large"),
        (b"<html>not a video</html>" * 10, {}, "not_a_video"),
        (b"", {}, "empty"),
    ],
    ids=["announced-too-large", "html", "empty"],
)
def test_bad_uploads_get_the_retake_message_and_nothing_is_kept(
    client: TestClient, app_db: str, body: bytes, headers: dict, problem: str
) -> None:
    add_patient(app_db, WEB, channel="webchat")
    reply = client.post("/chat/api/clip", content=body, headers={**_auth(_web_token()), **headers})
    assert reply.status_code == 422
    assert reply.json()["message"] == RETAKE[problem].strip()
    assert [p for p in incoming_dir().rglob("*") if p.is_file()] == []
    assert client.triggered == []


def test_the_waiting_prompt_is_shown_once(client: TestClient, app_db: str) -> None:
    clinic = add_patient(app_db, WEB, channel="webchat")
    with transaction(app_db) as session:
        identity_id = session.scalar(select(ChannelIdentity.id))
        session.add(
            PromptDelivery(
                patient_id=clinic.patient_id,
                identity_id=identity_id,
                channel="webchat",
                intent="EXTERNAL_weekly_saq",
                local_date=date.today(),
                status="queued",
            )
        )
    assert client.post("/chat/api/inbox").status_code == 401
    assert client.post("/chat/api/inbox", headers=_auth(_web_token())).json() == {"prompted": True}
    assert client.triggered == [(WEB, "webchat", "EXTERNAL_weekly_saq")]
    assert client.post("/chat/api/inbox", headers=_auth(_web_token())).json() == {"prompted": False}
    with transaction(app_db) as session:
        assert session.scalar(select(PromptDelivery.status)) == "shown"


def test_an_upload_link_is_checked_before_anything_is_read(
    client: TestClient, app_db: str, protocol_clip_files
) -> None:
    add_patient(app_db, "sms:+447700900123", channel="sms")
    with transaction(app_db) as session:
        identity_id = session.scalar(select(ChannelIdentity.id))
        url, _ = create_upload_link(session, identity_id)
    token = url.split("#u=")[1]
    data = protocol_clip_files["healthy"].read_bytes()
    bad = client.post(
        "/chat/api/upload-link-clip", content=data, headers=_auth(token[:-4] + "AAAA")
    )
    assert bad.status_code == 401
    web = client.post("/chat/api/upload-link-clip", content=data, headers=_auth(_web_token()))
    assert web.status_code == 401
    good = client.post("/chat/api/upload-link-clip", content=data, headers=_auth(token))
    assert good.status_code == 202
    assert client.triggered[0][:3] == ("sms:+447700900123", "sms", "EXTERNAL_clip_uploaded")


def test_twilio_status_callbacks_must_be_signed(client: TestClient) -> None:
    params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered", "ErrorCode": ""}
    url = "http://testserver/twilio/status"
    forged = client.post("/twilio/status", data=params, headers={"X-Twilio-Signature": "x"})
    assert forged.status_code == 403
    assert client.post("/twilio/status", data=params).status_code == 403
    signature = RequestValidator(tw.AUTH_TOKEN).compute_signature(url, params)
    signed = client.post("/twilio/status", data=params, headers={"X-Twilio-Signature": signature})
    assert signed.status_code == 204
