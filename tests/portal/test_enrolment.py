"""The enrolment page: a therapist enrols a patient and gets a one-time invite (code, links for
every channel, QR codes) that really links the patient's phone; nobody outside the patient's
care can make one."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select

from coach.enrolment import RedeemStatus, redeem_invite
from coach.enrolment.codes import canonical, code_hash
from coach.storage.db import session_factory, transaction
from coach.storage.models import AuditEvent, Invite, Patient
from tests.portal.conftest import Portal, serve_portal
from tests.portal.world import PASSWORD, World

TIMEOUT_MS = 30_000
WHATSAPP_NUMBER = "+14155238886"
SMS_NUMBER = "+15005550006"
BOT = "coach_test_bot"
WEBCHAT_URL = "https://chat.clinic.example"


def _qr_text(data_uri: str) -> str:
    """What a phone camera reads from a QR code image (OpenCV's ArUco-based QR reader; its
    classic reader misses some valid symbols)."""
    png = base64.b64decode(data_uri.removeprefix("data:image/png;base64,"))
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    text, _, _ = cv2.QRCodeDetectorAruco().detectAndDecode(image)
    return text


def _count(url: str, model: Any, *where: Any) -> int:
    with session_factory(url)() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


@pytest.fixture
def channels_set_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every channel configured, as a clinic's deployment would have them."""
    monkeypatch.setenv("TWILIO_WHATSAPP_FROM", f"whatsapp:{WHATSAPP_NUMBER}")
    monkeypatch.setenv("TWILIO_SMS_FROM", SMS_NUMBER)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", BOT)
    monkeypatch.setenv("WEBCHAT_PUBLIC_URL", WEBCHAT_URL)


def test_therapist_enrols_a_patient_and_the_invite_links_their_phone(
    browser: Any, fresh_world: World, artifacts: Path, channels_set_up: None
) -> None:
    onset = date.today() - timedelta(weeks=3)
    with serve_portal(fresh_world.url) as base:
        viewport = {"width": 1280, "height": 900}
        context = browser.new_context(viewport=viewport, accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
        )
        page.goto(f"{base}/login")
        page.fill("#email", fresh_world.logins["therapist_a"])
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.click("header nav >> text=Patients")
        page.click("#enrol-patient")
        page.fill("#display_name", "  Nadia   Example ")
        page.fill("#onset_date", onset.isoformat())
        page.select_option("#affected_side", "right")
        page.check("input[name=eye_closure_incomplete]")
        page.fill("#checkin_time", "19:30")
        page.select_option("#timezone", "Europe/Paris")
        page.screenshot(path=str(artifacts / "13-enrol-form.png"), full_page=True)
        page.click("#enrol-form button[type=submit]")
        page.wait_for_load_state()
        code = page.inner_text("#invite-code").strip()
        bare = code.replace("-", "")
        links = {
            key: page.get_attribute(f"#invite-{key} a.invite-link", "href")
            for key in ("web", "whatsapp", "telegram", "sms")
        }
        assert links == {
            "web": f"{WEBCHAT_URL}/chat/join#code={bare}",
            "whatsapp": f"https://wa.me/{WHATSAPP_NUMBER[1:]}?text=START%20{code}",
            "telegram": f"https://t.me/{BOT}?start={bare}",
            "sms": f"sms:{SMS_NUMBER}?&body=START%20{code}",
        }
        for key, link in links.items():  # each QR code carries its own link
            assert _qr_text(page.get_attribute(f"#invite-{key} img", "src") or "") == link, key
        with page.expect_download() as download:
            page.click("#invite-web >> text=Download QR code (PNG)")
        assert Path(download.value.path()).read_bytes().startswith(b"\x89PNG")
        assert f"Text START {code} to {SMS_NUMBER}" in page.inner_text("#invite")
        assert page.inner_text("#not-joined") == "Not joined yet."
        page.screenshot(path=str(artifacts / "14-enrol-invite.png"), full_page=True)

        with session_factory(fresh_world.url)() as s:
            patient = s.scalar(select(Patient).where(Patient.display_name == "Nadia Example"))
            assert patient is not None
            assert patient.therapist_id == fresh_world.ids["therapist_a"]
            assert (patient.affected_side, patient.timezone) == ("right", "Europe/Paris")
            assert patient.checkin_time.strftime("%H:%M") == "19:30"
            assert patient.onset_date == onset and patient.eye_closure_incomplete
            invite = s.scalar(select(Invite).where(Invite.patient_id == patient.id))
            assert invite is not None and invite.code_hash == code_hash(canonical(code))
            actions = set(s.scalars(select(AuditEvent.action)))
            assert {"patient_enrolled", "invite_created"} <= actions
            patient_id = patient.id

        # The Telegram deep link starts the bot with the code: that chat is now the patient's.
        with transaction(fresh_world.url) as s:
            joined = redeem_invite(s, bare.lower(), "telegram", "telegram:4242")
        assert (joined.status, joined.patient_id) == (RedeemStatus.JOINED, patient_id)
        with transaction(fresh_world.url) as s:
            again = redeem_invite(s, code, "whatsapp", f"whatsapp:{WHATSAPP_NUMBER}")
        assert again.status == RedeemStatus.USED  # single use

        page.goto(f"{base}/patients/{patient_id}/invite")
        assert "telegram" in page.inner_text("#joined-channels")
        assert page.inner_text("#open-invites") == "0"
        assert page.locator("#invite-code").count() == 0  # a code is shown once only
        page.click("text=Make a new invite")
        page.wait_for_load_state()
        second = page.inner_text("#invite-code").strip()
        assert second != code and page.inner_text("#open-invites") == "1"
        assert errors == []
        context.close()


def test_the_invite_code_is_never_stored_in_clear(portal: Portal) -> None:
    assert portal.login("therapist_a").status_code == 303
    page = portal.post(f"/patients/{portal.world.ids['patient_a']}/invite", token_from="/patients")
    assert page.status_code == 200
    code = page.text.split('id="invite-code">')[1].split("<")[0]
    database = Path(portal.world.url.removeprefix("sqlite:///"))
    stored = b"".join(p.read_bytes() for p in database.parent.glob(f"{database.name}*"))
    assert code.encode() not in stored and code.replace("-", "").encode() not in stored


def test_only_the_patients_own_therapist_can_invite_them(portal: Portal) -> None:
    ids, url = portal.world.ids, portal.world.url
    assert portal.login("therapist_b").status_code == 303
    other = ids["patient_a"]
    assert portal.client.get(f"/patients/{other}/invite").status_code == 404
    assert portal.post(f"/patients/{other}/invite").status_code == 404
    assert portal.post("/patients/not-a-number/invite").status_code == 404
    assert _count(url, Invite, Invite.patient_id == other) == 0
    own = portal.post(f"/patients/{ids['patient_b']}/invite")
    assert own.status_code == 200 and 'id="invite-code"' in own.text


def test_enrolment_needs_the_form_token_and_valid_fields(portal: Portal) -> None:
    url = portal.world.url
    assert portal.login("therapist_a").status_code == 303
    patients = _count(url, Patient)
    fields = {"display_name": "Omar", "checkin_time": "09:00", "timezone": "Europe/London"}
    forged = portal.client.post("/enrol", data=fields, follow_redirects=False)
    assert forged.status_code == 403
    bad = portal.post(
        "/enrol",
        {
            "display_name": " ",
            "checkin_time": "25:99",
            "timezone": "Mars/Olympus",
            "onset_date": (date.today() + timedelta(days=2)).isoformat(),
            "affected_side": "both",
        },
    )
    assert bad.status_code == 400
    for message in ("HH:MM", "time zone", "in the future", "at most 120 characters", "left, right"):
        assert message in bad.text, message
    assert _count(url, Patient) == patients and _count(url, Invite) == 0
    good = portal.post("/enrol", fields)
    assert good.status_code == 200 and 'id="invite-code"' in good.text
    assert _count(url, Patient) == patients + 1 and _count(url, Invite) == 1


def test_an_admin_enrols_unassigned_patients_and_caregivers_cannot_enrol(portal: Portal) -> None:
    ids, url = portal.world.ids, portal.world.url
    assert portal.login("admin").status_code == 303
    made = portal.post(
        "/enrol", {"display_name": "Walk-in", "checkin_time": "10:00", "timezone": "Europe/London"}
    )
    assert made.status_code == 200
    with session_factory(url)() as s:
        walk_in = s.scalar(select(Patient).where(Patient.display_name == "Walk-in"))
        assert walk_in is not None and walk_in.therapist_id is None
    assert portal.post(f"/patients/{ids['patient_unassigned']}/invite").status_code == 200
    assert portal.post(f"/patients/{ids['patient_a']}/invite").status_code == 404
    carer = Portal(portal.world)
    assert carer.login("caregiver").status_code == 303
    assert carer.client.get("/enrol").status_code == 404
    assert carer.post("/enrol", {"display_name": "X"}, token_from="/caregiver").status_code == 404
