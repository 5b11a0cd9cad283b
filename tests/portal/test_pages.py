"""Every portal page in headless Chromium (Debian's), signed in through the real form.

One portal server and one browser serve the whole module; screenshots are saved under
var/test-artifacts/portal/ (PORTAL_ARTIFACTS) for a person to look at.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from coach.portal.exports.fhir import validate_bundle
from coach.storage.db import session_factory
from coach.storage.models import Escalation, Patient, PortalUser
from tests.conftest import without_links
from tests.portal.world import PASSWORD, WORDS_A, World, ack_link_token

TIMEOUT_MS = 30_000


@pytest.fixture
def page_as(browser: Any, portal_server: str, shared_world: World) -> Iterator[Any]:
    """Sign in as a role through the sign-in form; returns the page."""
    contexts = []

    def open_as(who: str | None) -> Any:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: (
                page.errors.append(msg.text) if "Content Security Policy" in msg.text else None
            ),
        )
        if who is None:
            return page
        page.goto(f"{portal_server}/login")
        page.fill("#email", shared_world.logins[who])
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return page

    yield open_as
    for context in contexts:
        context.close()


def _shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def test_sign_in_page_and_wrong_password(page_as: Any, portal_server: str, artifacts: Path) -> None:
    page = page_as(None)
    page.goto(f"{portal_server}/inbox")
    assert "/login" in page.url  # not signed in: sent to the sign-in form
    _shot(page, artifacts, "01-sign-in")
    page.fill("#email", "a@clinic.test")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert "do not match" in page.inner_text(".error-box")
    assert page.errors == []


def test_alert_inbox_orders_by_severity_and_shows_the_patients_words(
    page_as: Any, artifacts: Path, shared_world: World
) -> None:
    page = page_as("therapist_a")
    assert page.url.endswith("/inbox")
    cards = page.locator("article.alert")
    levels = [cards.nth(i).get_attribute("class").split()[2] for i in range(cards.count())]
    assert levels[0] == "emergency" and "working_day" in levels
    order = ["emergency", "urgent", "working_day", "routine"]
    assert [order.index(x) for x in levels] == sorted(order.index(x) for x in levels)
    eye = page.locator(f"#alert-{shared_world.ids['alert_eye']}")
    assert eye.locator("blockquote.words").inner_text() == WORDS_A  # escaped, verbatim
    clip = page.locator(f"#alert-{shared_world.ids['alert_clip']}")
    assert "open clip report" in clip.inner_text()
    assert "Bob Other" not in without_links(page.content())
    _shot(page, artifacts, "02-alert-inbox")
    assert page.errors == []


def test_acknowledging_an_alert_with_a_note(
    page_as: Any, artifacts: Path, shared_world: World
) -> None:
    page = page_as("therapist_a")
    alert_id = shared_world.ids["alert_clip"]
    card = page.locator(f"#alert-{alert_id}")
    card.locator("textarea").fill("Reviewed the clip; video call booked for Monday")
    card.locator("button", has_text="Acknowledge").click()
    page.wait_for_load_state()
    assert "Alert acknowledged" in page.inner_text(".flash")
    card = page.locator(f"#alert-{alert_id}")
    assert "acknowledged" in card.inner_text() and "video call booked" in card.inner_text()
    _shot(page, artifacts, "03-alert-acknowledged")
    with session_factory(shared_world.url)() as s:
        row = s.get(Escalation, alert_id)
        assert row is not None and row.status == "acknowledged"
        assert row.acknowledged_by == "portal:a@clinic.test"
        assert row.ack_note == "Reviewed the clip; video call booked for Monday"


def test_patient_list_sorts_and_searches(
    page_as: Any, artifacts: Path, shared_world: World
) -> None:
    page = page_as("therapist_a")
    page.click("header nav >> text=Patients")
    rows = page.locator("#patient-table tbody tr")
    assert rows.count() == 2
    page.click("#patient-table th >> text=Patient")  # sort by name, descending first
    page.wait_for_url("**sort=name&dir=desc")
    names = page.locator("#patient-table tbody tr td:first-child strong").all_inner_texts()
    assert names == sorted(names, reverse=True)
    page.click("#patient-table th >> text=Patient")
    page.wait_for_url("**sort=name&dir=asc")
    names = page.locator("#patient-table tbody tr td:first-child strong").all_inner_texts()
    assert names == sorted(names)
    alice = page.locator(f"tr[data-patient-id='{shared_world.ids['patient_a']}']")
    assert "needs review" in alice.inner_text() and "≥ 13" in alice.inner_text()
    _shot(page, artifacts, "04-patient-list")
    page.fill("#q", "zed")
    page.click("form[role=search] button")
    page.wait_for_url("**q=zed**")
    assert page.locator("#patient-table tbody tr").count() == 1
    assert "Zed Second" in page.inner_text("#patient-table")


def test_patient_page_draws_its_charts_and_clip_report(
    page_as: Any, portal_server: str, artifacts: Path, shared_world: World
) -> None:
    page = page_as("therapist_a")
    page.goto(f"{portal_server}/patients/{shared_world.ids['patient_a']}")
    page.wait_for_function("document.documentElement.classList.contains('charts-ready')")
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('canvas')].map(c => {
             const chart = Chart.getChart(c);
             const points = chart ? chart.data.datasets.reduce((n, d) => n + d.data.length, 0) : 0;
             return {id: c.id, points: points, width: c.width};
           })"""
    )
    ids = {c["id"] for c in drawn}
    assert {"chart-saq", "chart-adherence", "chart-mood"} <= ids
    assert any(i.startswith("chart-clip-") for i in ids)
    assert all(c["points"] > 0 and c["width"] > 100 for c in drawn), drawn
    saq_band = page.evaluate(
        "() => Chart.getChart(document.getElementById('chart-saq')).data.datasets.map(d => d.label)"
    )
    assert any("+ 13" in label for label in saq_band)  # the 13-point band is drawn
    clip = page.locator(f"#clip-{shared_world.ids['clip_alice_synk']}")
    image = clip.locator("img").first
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 100", image.element_handle())
    assert "ocular synkinesis" in page.inner_text("#clips ~ section, section[id^=clip-]")
    assert "eye waters when eating" in page.content() or "tearing" in page.inner_text(
        "#timeline ~ ul"
    )
    _shot(page, artifacts, "05-patient-page")
    assert page.errors == []


def test_editing_a_plan(
    page_as: Any, portal_server: str, artifacts: Path, shared_world: World
) -> None:
    page = page_as("therapist_a")
    patient_id = shared_world.ids["patient_a"]
    page.goto(f"{portal_server}/patients/{patient_id}/plan")
    page.select_option("#affected_side", "right")
    page.fill("#checkin_time", "07:45")
    page.select_option("#timezone", "America/New_York")
    page.select_option("#clip_weekday", "0")
    page.check("input[name=exercises][value=gentle_pucker]")
    page.check("input[name=exercises][value=mirror_biofeedback]")
    page.click("#plan-form button[type=submit]")
    page.wait_for_load_state()
    assert "Plan saved" in page.inner_text(".flash")
    _shot(page, artifacts, "06-plan-saved")
    with session_factory(shared_world.url)() as s:
        patient = s.get(Patient, patient_id)
        assert patient is not None
        assert patient.affected_side == "right" and patient.timezone == "America/New_York"
        assert patient.checkin_time.strftime("%H:%M") == "07:45" and patient.clip_weekday == 0
        assert patient.plan_exercises == ["mirror_biofeedback", "gentle_pucker"]
    # a bad time is refused with a message and nothing changes
    page.fill("#checkin_time", "")
    page.evaluate("document.getElementById('checkin_time').removeAttribute('required')")
    page.click("#plan-form button[type=submit]")
    assert "HH:MM" in page.inner_text("#plan-form")


def test_exports_download_valid_fhir_and_csv(
    page_as: Any, portal_server: str, shared_world: World, artifacts: Path
) -> None:
    page = page_as("therapist_a")
    page.goto(f"{portal_server}/patients/{shared_world.ids['patient_a']}")
    page.click("summary >> text=Export")
    with page.expect_download() as fhir_download:
        page.click("#export-fhir")
    bundle = json.loads(Path(fhir_download.value.path()).read_text())
    validate_bundle(bundle)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "QuestionnaireResponse", "Observation", "Flag"} <= kinds
    with page.expect_download() as csv_download:
        page.click("#export-checkins")
    rows = list(csv.DictReader(io.StringIO(Path(csv_download.value.path()).read_text())))
    assert len(rows) == 30 and rows[0]["face_feeling"]
    (artifacts / "export-fhir.json").write_text(json.dumps(bundle, indent=1))


def test_acknowledge_link_from_an_email_is_single_use(
    page_as: Any, portal_server: str, artifacts: Path, shared_world: World
) -> None:
    alert_id = shared_world.ids["alert_stroke"]
    token = ack_link_token(shared_world.url, alert_id)
    page = page_as(None)
    page.goto(f"{portal_server}/ack?token={token}")
    assert "Acknowledge alert" in page.inner_text("h1")
    assert "Zed" not in without_links(page.content())  # the page names no patient
    _shot(page, artifacts, "07-ack-link")
    page.click("button[type=submit]")
    assert "Alert acknowledged" in page.inner_text("h1")
    page.goto(f"{portal_server}/ack?token={token}")
    assert "Link already used" in page.inner_text("h1")
    response = page.request.post(f"{portal_server}/ack", form={"token": token})
    assert response.status == 403  # no form token: refused before anything else
    with session_factory(shared_world.url)() as s:
        row = s.get(Escalation, alert_id)
        assert row is not None and row.acknowledged_by.startswith("link:therapist:")


def test_admin_pages(
    page_as: Any, portal_server: str, artifacts: Path, shared_world: World
) -> None:
    page = page_as("admin")
    assert page.url.endswith("/admin/duty")
    assert "nobody would miss me" in page.inner_text("main")
    _shot(page, artifacts, "08-admin-duty-inbox")
    page.click("header nav >> text=Therapists")
    page.click("summary >> text=Add a therapist")
    page.fill("#t-name", "Dr New")
    page.fill("#t-email", "new@clinic.test")
    page.click("details button[type=submit]")
    password = page.inner_text("#temp-password")
    assert len(password) >= 12
    _shot(page, artifacts, "09-admin-therapists")
    page.click("header nav >> text=Audit log")
    assert "viewed inbox" in page.inner_text("#audit-table")
    _shot(page, artifacts, "10-admin-audit-log")
    # the new therapist signs in and must choose their own password first
    newcomer = page_as(None)
    newcomer.goto(f"{portal_server}/login")
    newcomer.fill("#email", "new@clinic.test")
    newcomer.fill("#password", password)
    newcomer.click("button[type=submit]")
    assert newcomer.url.endswith("/account")
    newcomer.fill("#current_password", password)
    newcomer.fill("#new_password", "a brand new passphrase")
    newcomer.fill("#repeat_password", "a brand new passphrase")
    newcomer.click("text=Change password")
    assert "Password changed" in newcomer.inner_text(".flash")
    newcomer.goto(f"{portal_server}/inbox")
    assert "Nothing needs you right now" in newcomer.inner_text("main")
    with session_factory(shared_world.url)() as s:
        user = s.scalar(select(PortalUser).where(PortalUser.email == "new@clinic.test"))
        assert user is not None and not user.must_change_password


def test_caregiver_view(page_as: Any, artifacts: Path) -> None:
    page = page_as("caregiver")
    assert page.url.endswith("/caregiver")
    assert "of the last 7 days" in page.inner_text("#adherence-summary")
    assert "chart-adherence" in page.content() and "chart-saq" not in page.content()
    _shot(page, artifacts, "11-caregiver-adherence-only")
    clinical = page_as("caregiver_clinical")
    clinical.wait_for_function("document.documentElement.classList.contains('charts-ready')")
    assert clinical.locator("#caregiver-words blockquote").count() > 0
    _shot(clinical, artifacts, "12-caregiver-with-consent")
    nothing = page_as("caregiver_none")
    assert "Nothing is shared" in nothing.inner_text("#nothing-shared")
    assert page.errors == [] and clinical.errors == []
