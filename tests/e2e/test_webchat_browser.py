"""The web chat in headless Chromium (Debian's), phone-sized, with a fake camera fed from a
clip of a real face: open the invite link, consent with the big buttons (one by keyboard),
check in, record the clip with the cue card, see the analysis reply, and the next day's prompt
when the page is opened again. Screenshots go to results/webchat/."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import pytest
from sqlalchemy import select

from coach.config import REPO_DIR
from coach.storage.db import transaction
from coach.storage.models import ChannelIdentity, CheckIn, ClipUpload, Patient
from tests.e2e.conftest import CoachServers, domain_text
from tests.e2e.journey import (
    CHECKIN_ANSWERS,
    analysis_for,
    deliveries,
    invited_patient,
    next_day_sweep,
)
from tests.fakes.http import wait_for

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}  # a common phone's CSS viewport
SCREENSHOTS = REPO_DIR / "results" / "webchat"
FPS = 15
LEAD_IN_REST_S = 8.0  # the recording starts 3-8 s after the camera opens: still at rest
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
MIN_TAP_PX = 44  # WCAG 2.5.5 target size


@pytest.fixture(scope="session")
def camera_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A .y4m of the astronaut face doing the guided protocol, after a long rest."""
    from tests.clips import clip_factory as cf

    path = tmp_path_factory.mktemp("camera") / "face.y4m"
    face = cf.face_image(480, 480)
    protocol = cf.protocol(rest=LEAD_IN_REST_S, tail=4.0)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W480 H480 F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in cf.frames(face, protocol, FPS):
            out.write(b"FRAME\n" + cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


@pytest.fixture
def phone_page(camera_clip: Path):  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing (apt-get install chromium; .ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_FLAGS, f"--use-file-for-fake-video-capture={camera_clip}"],
        )
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.set_default_timeout(120_000)
        yield page
        browser.close()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if name != "3-recording":  # the latest message in view, as the patient sees it
        page.evaluate("document.querySelector('#messages li:last-child')?.scrollIntoView()")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def _coach_says(page, text: str) -> None:  # type: ignore[no-untyped-def]
    page.locator("#messages li.coach", has_text=text[:60]).last.wait_for()


def _send(page, text: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("#text", text)
    page.press("#text", "Enter")


def test_web_chat_journey_on_a_phone(
    coach_servers: CoachServers, phone_page, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = phone_page
    patient_id, code = invited_patient(coach_servers, "webchat", zone="Africa/Nairobi")
    page.goto(f"{coach_servers.webchat_url}/chat/join#code={code.replace('-', '')}")
    assert "#" not in page.url  # the code leaves the address bar
    _coach_says(page, domain_text("utter_consent_request"))
    agree = page.get_by_role("button", name="I agree")
    assert agree.bounding_box()["height"] >= MIN_TAP_PX
    _shot(page, "1-consent")
    agree.focus()
    page.keyboard.press("Enter")  # keyboard only
    _coach_says(page, domain_text("utter_clip_consent_request"))
    page.get_by_role("button", name="Yes, look at my videos").click()
    _coach_says(page, domain_text("utter_onboarding_done"))
    with transaction(coach_servers.database_url) as session:
        identity = session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.patient_id == patient_id)
        ).one()
        assert identity.channel == "webchat" and identity.sender_id.startswith("webchat:")
        assert session.get(Patient, patient_id).clip_consent_version

    for answer, question in CHECKIN_ANSWERS:
        before = page.locator("#messages li.coach").count()
        _send(page, answer)
        if question:
            _coach_says(page, question)
        else:
            page.locator("#messages li.coach").nth(before).wait_for()  # the rotating question
        if question == domain_text("utter_ask_mirror_used"):
            _shot(page, "2-checkin")
    with transaction(coach_servers.database_url) as session:
        assert (
            session.scalars(select(CheckIn.mood).where(CheckIn.patient_id == patient_id)).one() == 7
        )

    page.get_by_role("button", name="Record my exercise clip").click()
    page.locator("#camera-status", has_text="Camera ready").wait_for()
    page.get_by_role("button", name="Start recording").click()
    page.locator("#cue-card li.now").first.wait_for()
    _shot(page, "3-recording")
    analysis = wait_for(lambda: analysis_for(coach_servers, patient_id), 240, "the analysis")
    _coach_says(page, analysis.report["patient_message"])
    _shot(page, "4-analysis")
    with transaction(coach_servers.database_url) as session:
        upload = session.scalars(
            select(ClipUpload).where(ClipUpload.patient_id == patient_id)
        ).one()
        assert upload.channel == "webchat" and upload.clip_id == analysis.clip_id

    stats, intent = next_day_sweep(coach_servers, monkeypatch, patient_id)
    assert stats.prompted == 1
    assert [d.status for d in deliveries(coach_servers, patient_id)] == ["queued"]
    page.goto(f"{coach_servers.webchat_url}/chat")  # the next day: the patient opens the page
    first_question = {
        "EXTERNAL_daily_checkin": "utter_checkin_intro",
        "EXTERNAL_weekly_clip": "utter_weekly_clip_request",
        "EXTERNAL_weekly_saq": "utter_saq_intro",
    }[intent]
    _coach_says(page, domain_text(first_question))
    _shot(page, "5-next-day-prompt")
    wait_for(
        lambda: [d.status for d in deliveries(coach_servers, patient_id)] == ["shown"],
        60,
        "the prompt marked as shown",
    )
    labels = page.eval_on_selector_all(
        "button:not([hidden])",
        "els => els.filter(e => e.offsetParent).map(e => e.textContent.trim())",
    )
    assert all(labels), "every visible button has a name"
