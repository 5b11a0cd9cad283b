"""Who sees what: every route answers 404 outside the signed-in user's scope; forms need the
CSRF token; sessions expire; wrong passwords lock the account; caregivers see only what the
patient consented to."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from sqlalchemy import select, update

from coach.escalation.links import make_token, verify_token
from coach.portal.media import media_url
from coach.storage.db import session_factory, transaction
from coach.storage.models import (
    AuditEvent,
    Escalation,
    LoginAttempt,
    Notification,
    Patient,
    PortalSession,
    PortalUser,
)
from tests.conftest import without_links
from tests.portal.conftest import Portal
from tests.portal.test_enrolment import _qr_text
from tests.portal.world import (
    CAREGIVER_SECRET_WORDS,
    PASSWORD,
    WORDS_A,
    WORDS_B,
    World,
    ack_link_token,
)

UTC = timezone.utc


def _escalation(portal: Portal, key: str) -> Escalation:
    with session_factory(portal.world.url)() as s:
        row = s.get(Escalation, portal.world.ids[key])
        assert row is not None
        return row


def test_therapist_gets_404_for_another_therapists_patient_by_url_export_and_api(
    portal: Portal,
) -> None:
    ids = portal.world.ids
    assert portal.login("therapist_a").status_code == 303
    own, other = ids["patient_a"], ids["patient_b"]
    for path in (
        "/patients/{}",
        "/patients/{}/plan",
        "/patients/{}/export/checkins.csv",
        "/patients/{}/export/saq.csv",
        "/patients/{}/export/alerts.csv",
        "/patients/{}/export/fhir.json",
        "/api/patients/{}",
    ):
        assert portal.client.get(path.format(own)).status_code == 200, path
        response = portal.client.get(path.format(other))
        assert response.status_code == 404, path
        assert WORDS_B not in response.text and "Bob Other" not in response.text
    # the list, the API list and the inbox hold only their own patients
    listing = portal.client.get("/patients").text
    assert "Alice Example" in listing and "Bob Other" not in listing
    api = portal.client.get("/api/patients").json()
    assert {p["id"] for p in api["patients"]} == {own, ids["patient_a2"]}
    inbox = portal.client.get("/inbox").text
    assert WORDS_B not in inbox and "nobody would miss me" not in inbox
    # a URL that is not even a number is the same 404
    assert portal.client.get("/patients/abc").status_code == 404


def test_therapist_cannot_change_another_therapists_patient_or_alert(portal: Portal) -> None:
    ids = portal.world.ids
    portal.login("therapist_a")
    other_alert = ids["alert_b"]
    response = portal.post(f"/alerts/{other_alert}/acknowledge", {"note": "not mine"})
    assert response.status_code == 404
    response = portal.post(
        f"/patients/{ids['patient_b']}/plan",
        {"affected_side": "left", "checkin_time": "07:00", "timezone": "Europe/London"},
    )
    assert response.status_code == 404
    api = portal.client.post(
        f"/api/alerts/{other_alert}/acknowledge",
        json={"note": "x"},
        headers={"X-CSRF-Token": portal.csrf("/account")},
    )
    assert api.status_code == 404
    assert _escalation(portal, "alert_b").status == "open"
    with session_factory(portal.world.url)() as s:
        patient = s.get(Patient, ids["patient_b"])
        assert patient is not None and patient.affected_side == "right"


def test_media_urls_are_signed_for_one_user_and_still_access_checked(portal: Portal) -> None:
    ids = portal.world.ids
    portal.login("therapist_a")
    page = portal.client.get(f"/patients/{ids['patient_a']}").text
    url = next(u for u in page.split('"') if u.startswith("/media/clips/")).replace("&amp;", "&")
    image = portal.client.get(url)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert portal.client.get(url.split("?")[0]).status_code == 404  # no signature
    assert portal.client.get(url[:-4] + "AAAA").status_code == 404  # altered signature
    expired = media_url(ids["clip_alice_synk"], "plot", ids["user_therapist_a"], -1)
    assert portal.client.get(expired).status_code == 404
    # a genuine signature for A, on B's clip: still refused by the access check
    forged = media_url(ids["clip_bob_baseline"], "plot", ids["user_therapist_a"], 60)
    assert portal.client.get(forged).status_code == 404
    # another user cannot use A's URL
    other = Portal(portal.world)
    other.login("therapist_b")
    assert other.client.get(url).status_code == 404


def test_forms_without_csrf_token_are_rejected(portal: Portal) -> None:
    ids = portal.world.ids
    portal.login("therapist_a")
    alert = ids["alert_eye"]
    no_token = portal.client.post(f"/alerts/{alert}/acknowledge", data={"note": "x"})
    assert no_token.status_code == 403
    wrong = portal.client.post(
        f"/alerts/{alert}/acknowledge", data={"note": "x", "csrf_token": "forged"}
    )
    assert wrong.status_code == 403
    cross_site = portal.client.post(
        f"/alerts/{alert}/acknowledge",
        data={"note": "x", "csrf_token": portal.csrf("/account")},
        headers={"Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    api = portal.client.post(f"/api/alerts/{alert}/acknowledge", json={})
    assert api.status_code == 403
    assert _escalation(portal, "alert_eye").status == "open"
    # another visitor's token does not work either
    stranger = Portal(portal.world)
    stranger.login("therapist_a")
    foreign = portal.client.post(
        f"/alerts/{alert}/acknowledge", data={"csrf_token": stranger.csrf("/account")}
    )
    assert foreign.status_code == 403
    # the sign-in form is protected too
    anonymous = Portal(portal.world)
    login = anonymous.client.post(
        "/login", data={"email": "a@clinic.test", "password": PASSWORD}, follow_redirects=False
    )
    assert login.status_code == 403 and "coach_session" not in login.cookies
    # and with the token, the same acknowledge works
    ok = portal.post(f"/alerts/{alert}/acknowledge", {"note": "called the patient"})
    assert ok.status_code == 303
    assert _escalation(portal, "alert_eye").status == "acknowledged"


def test_acknowledge_with_note_cancels_ladder_and_resolve_closes(portal: Portal) -> None:
    ids = portal.world.ids
    portal.login("therapist_a")
    response = portal.post(
        f"/alerts/{ids['alert_eye']}/acknowledge",
        {"note": "Phoned; same-day eye clinic booked", "back": "/inbox"},
    )
    assert response.status_code == 303 and "msg=acknowledged" in response.headers["location"]
    row = _escalation(portal, "alert_eye")
    assert row.status == "acknowledged" and row.acknowledged_by == "portal:a@clinic.test"
    assert row.ack_note == "Phoned; same-day eye clinic booked"
    with session_factory(portal.world.url)() as s:
        ladder = s.scalar(
            select(Notification).where(Notification.idempotency_key == "w:eye:ladder:1")
        )
        assert ladder is not None and ladder.status == "cancelled"
    again = portal.post(f"/alerts/{ids['alert_eye']}/acknowledge", {"note": "twice"})
    assert "msg=already" in again.headers["location"]
    assert _escalation(portal, "alert_eye").ack_note == "Phoned; same-day eye clinic booked"
    portal.post(f"/alerts/{ids['alert_eye']}/resolve", {"note": "Seen in eye clinic"})
    row = _escalation(portal, "alert_eye")
    assert row.status == "resolved" and row.resolve_note == "Seen in eye clinic"
    assert WORDS_A not in portal.client.get("/inbox").text  # resolved alerts leave the inbox


def test_expired_idle_and_signed_out_sessions_are_refused(portal: Portal) -> None:
    portal.login("therapist_a")
    assert portal.client.get("/inbox").status_code == 200
    cookie = portal.client.cookies.get("coach_session")
    with transaction(portal.world.url) as s:  # past the absolute lifetime
        s.execute(update(PortalSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    response = portal.client.get("/inbox", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert portal.client.get("/api/patients").status_code == 401
    portal.login("therapist_a")
    with transaction(portal.world.url) as s:  # idle past the idle timeout
        s.execute(update(PortalSession).values(last_seen_at=datetime.now(UTC) - timedelta(hours=1)))
    assert portal.client.get("/inbox", follow_redirects=False).status_code == 303
    portal.login("therapist_a")
    cookie = portal.client.cookies.get("coach_session")
    portal.post("/logout")
    replay = Portal(portal.world)
    replay.client.cookies.set("coach_session", cookie)
    assert replay.client.get("/inbox", follow_redirects=False).status_code == 303


def test_repeated_wrong_passwords_lock_the_account_until_an_admin_unlocks_it(
    portal: Portal,
) -> None:
    for _ in range(4):
        assert portal.login("therapist_a", "wrong password").status_code == 401
    fifth = portal.login("therapist_a", "wrong password")
    assert fifth.status_code == 401 and "locked" in fifth.text
    right = portal.login("therapist_a", PASSWORD)  # the right password no longer works
    assert right.status_code == 401 and "locked" in right.text
    assert "coach_session" not in right.cookies
    # an unknown e-mail reads exactly like a wrong password, then locks the same way
    stranger = [portal.login("nobody@clinic.test", "x").text for _ in range(5)]
    assert "do not match" in stranger[0] and "locked" in stranger[-1]
    admin = Portal(portal.world)
    admin.login("admin")
    assert "locked" in admin.client.get("/admin/therapists").text
    user_id = portal.world.ids["user_therapist_a"]
    assert admin.post(f"/admin/users/{user_id}/unlock").status_code == 303
    assert portal.login("therapist_a", PASSWORD).status_code == 303


def test_one_client_is_throttled_after_many_failures_across_accounts(
    fresh_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_CLIENT_MAX_FAILURES", "6")  # same rule, fewer slow hashes
    portal = Portal(fresh_world)
    for n in range(6):
        assert portal.login(f"guess{n}@clinic.test", "x").status_code == 401
    response = portal.login("therapist_a", PASSWORD)
    assert response.status_code == 429
    with session_factory(portal.world.url)() as s:
        assert s.scalar(select(LoginAttempt).limit(1)).client != "testclient"  # stored hashed


def test_totp_second_factor(portal: Portal) -> None:
    portal.login("therapist_a")
    setup = portal.post("/account/totp/start")
    secret = setup.text.split('id="totp-secret">')[1].split("<")[0]
    qr = setup.text.split('id="totp-qr" src="')[1].split('"')[0]
    scanned = _qr_text(qr)  # what the authenticator app reads: the same key
    assert scanned.startswith("otpauth://totp/") and f"secret={secret}" in scanned
    bad = portal.post("/account/totp/confirm", {"secret": secret, "code": "000000"})
    assert bad.status_code == 400
    good = portal.post(
        "/account/totp/confirm", {"secret": secret, "code": pyotp.TOTP(secret).now()}
    )
    assert good.status_code == 303
    fresh = Portal(portal.world)
    first = fresh.login("therapist_a")
    assert first.headers["location"].startswith("/login/code")
    assert fresh.client.get("/inbox", follow_redirects=False).status_code == 303  # not yet in
    wrong = fresh.client.post(
        "/login/code",
        data={"code": "123456", "csrf_token": fresh.csrf("/login/code")},
        follow_redirects=False,
    )
    assert wrong.status_code == 401
    right = fresh.client.post(
        "/login/code",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": fresh.csrf("/login/code")},
        follow_redirects=False,
    )
    assert right.status_code == 303 and right.headers["location"] == "/inbox"
    assert fresh.client.get("/inbox").status_code == 200


@pytest.mark.parametrize("who", ["caregiver", "caregiver_clinical", "caregiver_none"])
def test_caregivers_reach_no_clinical_page(portal: Portal, who: str) -> None:
    ids = portal.world.ids
    portal.login(who)
    for path in (
        f"/patients/{ids['patient_a']}",
        f"/patients/{ids['patient_a']}/export/fhir.json",
        f"/api/patients/{ids['patient_a']}",
        "/patients",
        "/inbox",
        "/admin/audit",
    ):
        assert portal.client.get(path).status_code == 404, path


def test_caregiver_sees_only_what_the_patient_consented_to(portal: Portal) -> None:
    portal.login("caregiver_none")
    page = without_links(portal.client.get("/caregiver").text)
    assert "Nothing is shared with you" in page
    assert CAREGIVER_SECRET_WORDS not in page and "SAQ" not in page and "Alice" not in page

    adherence_only = Portal(portal.world)
    adherence_only.login("caregiver")
    page = adherence_only.client.get("/caregiver").text
    assert 'id="adherence-summary"' in page and "missed check-in reminder" in page
    for clinical in (CAREGIVER_SECRET_WORDS, "SAQ", "chart-mood", "/media/clips/", "tearing"):
        assert clinical not in without_links(page), clinical

    clinical_view = Portal(portal.world)
    clinical_view.login("caregiver_clinical")
    page = clinical_view.client.get("/caregiver").text
    for shown in (CAREGIVER_SECRET_WORDS, "chart-saq", "chart-mood", "/media/clips/"):
        assert shown in page, shown
    url = "/media/clips/" + page.split('src="/media/clips/')[1].split('"')[0].replace("&amp;", "&")
    assert clinical_view.client.get(url).status_code == 200
    # the adherence-only caregiver cannot use that image URL
    assert adherence_only.client.get(url).status_code == 404
    # key frames show the face: never offered to a caregiver, and a signed URL is still refused
    assert "/key_frames?" not in page and "/plot?" in page
    key_frames = media_url(
        portal.world.ids["clip_alice_synk"],
        "key_frames",
        portal.world.ids["user_caregiver_clinical"],
        60,
    )
    assert clinical_view.client.get(key_frames).status_code == 404


def test_therapist_gets_plot_and_key_frames_of_a_clip(portal: Portal) -> None:
    ids = portal.world.ids
    portal.login("therapist_a")
    page = portal.client.get(f"/patients/{ids['patient_a']}").text
    urls = [u.replace("&amp;", "&") for u in page.split('"') if u.startswith("/media/clips/")]
    kinds = {u.split("?")[0].rsplit("/", 1)[1] for u in urls}
    assert kinds == {"plot", "key_frames"}
    for url in urls:
        image = portal.client.get(url)
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_caregiver_signed_link_signs_in_and_revoking_access_stops_it(portal: Portal) -> None:
    ids = portal.world.ids
    portal.login("therapist_a")
    made = portal.post(
        f"/patients/{ids['patient_a']}/caregivers/{ids['caregiver']}/access",
        {"action": "link"},
        token_from=f"/patients/{ids['patient_a']}/plan",
    )
    link = made.text.split('id="caregiver-link">')[1].split("<")[0]
    path = "/" + link.split("/", 3)[3]
    visitor = Portal(portal.world)
    landed = visitor.client.get(path, follow_redirects=False)
    assert landed.status_code == 303 and landed.headers["location"] == "/caregiver"
    assert 'id="adherence-summary"' in visitor.client.get("/caregiver").text
    assert visitor.client.get(path[:-2] + "xx").status_code == 403  # altered link
    portal.post(
        f"/patients/{ids['patient_a']}/caregivers/{ids['caregiver']}/access",
        {"action": "revoke"},
        token_from=f"/patients/{ids['patient_a']}/plan",
    )
    assert visitor.client.get("/caregiver", follow_redirects=False).status_code == 303
    assert Portal(portal.world).client.get(path).status_code == 403


def test_admin_sees_the_duty_inbox_but_not_assigned_patients(portal: Portal) -> None:
    ids = portal.world.ids
    portal.login("admin")
    duty = portal.client.get("/admin/duty").text
    assert "nobody would miss me" in duty and WORDS_B not in duty
    assert portal.client.get(f"/patients/{ids['patient_a']}").status_code == 404
    assert portal.client.get(f"/patients/{ids['patient_unassigned']}").status_code == 200
    assert portal.post(f"/alerts/{ids['alert_unassigned']}/acknowledge").status_code == 303
    assert _escalation(portal, "alert_unassigned").status == "acknowledged"
    therapist_a = Portal(portal.world)
    therapist_a.login("therapist_a")
    assert therapist_a.client.get("/admin/therapists").status_code == 404


def test_views_and_changes_are_audited_without_clinical_words(portal: Portal) -> None:
    ids = portal.world.ids
    portal.login("therapist_a")
    portal.client.get(f"/patients/{ids['patient_a']}")
    portal.client.get(f"/patients/{ids['patient_a']}/export/fhir.json")
    portal.post(
        f"/patients/{ids['patient_a']}/plan",
        {"affected_side": "right", "checkin_time": "07:30", "timezone": "Europe/Paris"},
    )
    with session_factory(portal.world.url)() as s:
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.actor == "portal:a@clinic.test")
        ).all()
    actions = {(e.action, e.subject_id) for e in events}
    assert ("viewed_patient", ids["patient_a"]) in actions
    assert ("exported_fhir", ids["patient_a"]) in actions
    assert ("changed_plan", ids["patient_a"]) in actions
    assert all("Alice" not in str(e.detail) and WORDS_A not in str(e.detail) for e in events)
    admin = Portal(portal.world)
    admin.login("admin")
    log = admin.client.get(f"/admin/audit?subject=patient:{ids['patient_a']}").text
    assert "viewed patient" in log and "changed plan" in log and "portal:a@clinic.test" in log


def test_deactivated_account_cannot_sign_in_and_loses_its_sessions(portal: Portal) -> None:
    portal.login("therapist_b")
    admin = Portal(portal.world)
    admin.login("admin")
    admin.post(f"/admin/users/{portal.world.ids['user_therapist_b']}/deactivate")
    assert portal.client.get("/inbox", follow_redirects=False).status_code == 303
    assert Portal(portal.world).login("therapist_b").status_code == 401
    with session_factory(portal.world.url)() as s:
        user = s.get(PortalUser, portal.world.ids["user_therapist_b"])
        assert user is not None and not user.active


def test_acknowledge_link_confirms_then_acknowledges_once(portal: Portal) -> None:
    alert = portal.world.ids["alert_stroke"]
    token = ack_link_token(portal.world.url, alert)
    visitor = Portal(portal.world)
    page = visitor.client.get(f"/ack?token={token}")
    assert page.status_code == 200 and "Possible stroke" in page.text
    assert "Zed" not in without_links(page.text)  # no patient name on a page anyone can open
    assert _escalation(portal, "alert_stroke").status == "open"  # a GET (mail scanner) is inert
    done = visitor.post("/ack", {"token": token}, token_from=f"/ack?token={token}")
    assert done.status_code == 200 and "Alert acknowledged" in done.text
    row = _escalation(portal, "alert_stroke")
    assert row.status == "acknowledged" and row.acknowledged_by == "link:therapist:1"
    used = visitor.post("/ack", {"token": token}, token_from="/login")
    assert used.status_code == 410 and "works once" in used.text  # single use
    assert visitor.client.get(f"/ack?token={token}").status_code == 410
    claim = verify_token(token)
    past = datetime.now(UTC) - timedelta(seconds=1)
    expired = make_token(claim.notification_id, alert, claim.recipient, past)
    assert visitor.client.get(f"/ack?token={expired}").status_code == 410
    assert visitor.client.get(f"/ack?token={token[:-3]}xyz").status_code == 403
    later = datetime.now(UTC) + timedelta(hours=1)
    missing = make_token(999_999, 999_999, "therapist:1", later)
    assert visitor.client.get(f"/ack?token={missing}").status_code == 404
    assert _escalation(portal, "alert_stroke").acknowledged_by == "link:therapist:1"
