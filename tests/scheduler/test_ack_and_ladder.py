"""Acknowledge link + endpoint + CLI; the escalation ladder; caregiver reminders; the digest."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import sys
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from factories import caregiver, escalate, patient, therapist
from sqlalchemy import select

from coach.config import get_settings
from coach.escalation.acknowledge import acknowledge, resolve
from coach.escalation.cli import main as escalations_main
from coach.escalation.ladder import run_ladder
from coach.escalation.links import (
    ExpiredToken,
    InvalidToken,
    acknowledge_by_link,
    check_link,
    make_token,
    token_for,
    verify_token,
)
from coach.scheduler.digest import run_digest
from coach.scheduler.reminders import run_caregiver_reminders
from coach.scheduler.settings import scheduler_settings
from coach.storage.db import session_factory, transaction
from coach.storage.models import AuditEvent, CheckIn, Escalation, Notification, Therapist
from tests.conftest import without_links

REPO = Path(__file__).resolve().parents[2]
UTC = timezone.utc


def _linked(url: str, esc_key: str = "esc-ack", n: int = 1):  # type: ignore[no-untyped-def]
    """An escalation and its therapist email; (escalation id, notification, token)."""
    with transaction(url) as s:
        esc = escalate(s, patient(s, therapist_row=therapist(s, n)), "eye_at_risk", esc_key)
        row = s.scalars(select(Notification).where(Notification.escalation_id == esc.id)).first()
        token, _ = token_for(row)
        return esc.id, row, token


def test_token_roundtrip_expiry_and_forgery() -> None:
    now = datetime(2026, 7, 1, tzinfo=UTC)
    expires = now + timedelta(hours=1)
    token = make_token(11, 7, "therapist:3", expires)
    claim = verify_token(token, now=now + timedelta(minutes=59))
    assert (claim.notification_id, claim.escalation_id, claim.recipient) == (11, 7, "therapist:3")
    assert claim.expires_at == expires
    with pytest.raises(ExpiredToken) as expired:
        verify_token(token, now=expires)
    assert expired.value.escalation_id == 7
    body, _, sig = token.partition(".")
    forged_body = make_token(11, 8, "therapist:3", expires).partition(".")[0]
    with pytest.raises(InvalidToken):
        verify_token(f"{forged_body}.{sig}", now=now)
    with pytest.raises(InvalidToken):
        verify_token(token, now=now, secret="another-key")
    with pytest.raises(InvalidToken):
        verify_token(body, now=now)


def test_no_other_key_holder_can_mint_links(monkeypatch: pytest.MonkeyPatch) -> None:
    """Links are signed with a key derived for them alone: neither the root secret used as a
    plain HMAC key nor the webhook signing key produces a valid token."""
    from coach.signing import b64 as _b64

    now = datetime(2026, 7, 1, tzinfo=UTC)
    genuine = make_token(1, 1, "therapist:1", now + timedelta(hours=1))
    body = genuine.partition(".")[0]
    for key in (get_settings().secret_key, "hook-secret"):
        forged = _b64(hmac.new(key.encode(), body.encode(), hashlib.sha256).digest())
        with pytest.raises(InvalidToken):
            verify_token(f"{body}.{forged}", now=now)
    assert verify_token(genuine, now=now).escalation_id == 1


def test_ack_link_checks_then_acknowledges_once(db_url: str) -> None:
    esc_id, _, token = _linked(db_url)
    factory = session_factory(db_url)
    with factory() as s:  # what a confirmation page (a GET, or a mail scanner) sees: no change
        assert check_link(s, token).outcome == "done"
        assert s.get(Escalation, esc_id).status == "open"  # type: ignore[union-attr]
    with factory.begin() as s:
        result = acknowledge_by_link(s, token)
        assert result.outcome == "done"
        assert result.escalation.acknowledged_by == "link:therapist:1"  # type: ignore[union-attr]
    with factory.begin() as s:  # single use: the same link again is refused
        assert acknowledge_by_link(s, token).outcome == "used"
        assert check_link(s, token).outcome == "used"
        assert acknowledge_by_link(s, f"{token[:-3]}xyz").outcome == "invalid"
    with factory() as s:
        row = s.get(Escalation, esc_id)
        assert row is not None and row.status == "acknowledged"


def test_another_recipients_link_after_an_acknowledgement_says_already(db_url: str) -> None:
    with transaction(db_url) as s:
        t = therapist(s, phone="+15550001")  # emergency: email and SMS, two links
        esc = escalate(s, patient(s, therapist_row=t), "stroke", "esc-two")
        rows = s.scalars(select(Notification).where(Notification.escalation_id == esc.id)).all()
        email, sms = (token_for(r)[0] for r in sorted(rows, key=lambda r: r.channel))
    with session_factory(db_url).begin() as s:
        assert acknowledge_by_link(s, sms).outcome == "done"
        assert acknowledge_by_link(s, email).outcome == "already"


def test_ack_link_is_short_lived_and_bound_to_its_message(db_url: str) -> None:
    esc_id, row, token = _linked(db_url)
    factory = session_factory(db_url)
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    with factory.begin() as s:  # the next day the link no longer works
        result = acknowledge_by_link(s, token, now=created + timedelta(hours=24, seconds=1))
        assert result.outcome == "expired"
    other_esc, _, _ = _linked(db_url, "esc-other", 2)
    with factory() as s:  # a genuine link of one message never acknowledges another alert
        other_row = s.scalars(
            select(Notification).where(Notification.escalation_id == other_esc)
        ).first()
        other_row.escalation_id = esc_id  # type: ignore[union-attr]
        wrong, _ = token_for(other_row)  # type: ignore[arg-type]
        s.rollback()
    with factory.begin() as s:
        assert acknowledge_by_link(s, wrong).outcome == "not_found"
        assert s.get(Escalation, esc_id).status == "open"  # type: ignore[union-attr]
    with factory.begin() as s:
        result = acknowledge_by_link(s, token, note="called the patient")
        assert result.outcome == "done" and result.escalation.ack_note == "called the patient"  # type: ignore[union-attr]


def test_acknowledge_then_resolve_with_notes_and_audit(db_url: str) -> None:
    esc_id, _, _ = _linked(db_url)
    factory = session_factory(db_url)
    with factory.begin() as s:
        assert resolve(s, 999, "dr").outcome == "not_found"
        first = acknowledge(s, esc_id, "dr-a", "seen")
        second = acknowledge(s, esc_id, "dr-b")
        assert (first.outcome, second.outcome) == ("done", "already")
    with factory.begin() as s:
        done = resolve(s, esc_id, "dr-a", "referred to eye clinic")
        assert done.outcome == "done" and done.escalation.status == "resolved"  # type: ignore[union-attr]
        assert resolve(s, esc_id, "dr-a").outcome == "already"
    with factory() as s:
        row = s.get(Escalation, esc_id)
        assert (row.acknowledged_by, row.ack_note) == ("dr-a", "seen")  # type: ignore[union-attr]
        assert (row.resolved_by, row.resolve_note) == ("dr-a", "referred to eye clinic")  # type: ignore[union-attr]
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == esc_id)).all()
        assert {"escalation_acknowledged", "escalation_resolved"} <= set(actions)
        assert all("referred" not in str(d) for d in s.scalars(select(AuditEvent.detail)))


def test_escalations_cli_list_ack_resolve(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with transaction(sqlite_url) as s:
        esc_id = escalate(s, patient(s, therapist_row=therapist(s)), "stroke", "esc-cli").id
    assert escalations_main(["--database-url", sqlite_url, "list"]) == 0
    assert "emergency" in capsys.readouterr().out
    assert escalations_main(["--database-url", sqlite_url, "ack", str(esc_id), "--by", "dr"]) == 0
    assert f"escalation {esc_id} acknowledged by dr" in capsys.readouterr().out
    assert escalations_main(["--database-url", sqlite_url, "ack", str(esc_id)]) == 0
    assert "already acknowledged" in capsys.readouterr().out
    args = ["--database-url", sqlite_url, "resolve", str(esc_id), "--by", "dr", "--note", "ok"]
    assert escalations_main(args) == 0
    assert f"escalation {esc_id} resolved by dr" in capsys.readouterr().out
    assert escalations_main(["--database-url", sqlite_url, "ack", "999"]) == 1
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "coach.cli",
            "escalations",
            "list",
            "--all",
            "--database-url",
            sqlite_url,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "resolved" in result.stdout


def test_ladder_renotifies_then_reaches_backup_unless_acknowledged(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINIC_BACKUP_EMAIL", "clinic@clinic.test")
    get_settings.cache_clear()
    with transaction(db_url) as s:
        t = therapist(s, backup_email="backup@clinic.test", phone="+15550001")
        p = patient(s, therapist_row=t)
        emergency = escalate(s, p, "stroke", "esc-e")
        urgent = escalate(s, p, "eye_at_risk", "esc-u")
        created = emergency.created_at
        ids = (emergency.id, urgent.id)
    factory = session_factory(db_url)
    created = created if created.tzinfo else created.replace(tzinfo=UTC)

    assert run_ladder(factory, now=created + timedelta(minutes=1)).stepped == 0
    # emergency: step 1 after 5 min (therapist email + sms); urgent waits 30 min
    stats = run_ladder(factory, now=created + timedelta(minutes=5, seconds=1))
    assert (stats.stepped, stats.notifications) == (1, 2)
    assert run_ladder(factory, now=created + timedelta(minutes=6)).stepped == 0
    # step 2 after a further 10 min: the therapist's backup and the clinic
    stats = run_ladder(factory, now=created + timedelta(minutes=16))
    assert (stats.stepped, stats.notifications) == (1, 2)
    # the urgent one is acknowledged before its first step: its ladder stops
    assert escalations_main(["--database-url", db_url, "ack", str(ids[1])]) == 0
    assert run_ladder(factory, now=created + timedelta(hours=3)).stepped == 0
    with factory() as s:
        rows = s.execute(
            select(Notification.template, Notification.address).where(
                Notification.escalation_id == ids[0],
                Notification.template != "escalation_emergency",
            )
        ).all()
        assert sorted(rows) == [
            ("escalation_backup", "backup@clinic.test"),
            ("escalation_backup", "clinic@clinic.test"),
            ("escalation_reminder", "+15550001"),
            ("escalation_reminder", "ther1@clinic.test"),
        ]
        assert s.get(Escalation, ids[0]).ladder_step == 2  # type: ignore[union-attr]


def test_caregiver_missed_checkin_reminder_only_with_consent(db_url: str) -> None:
    today = date(2026, 7, 1)
    with transaction(db_url) as s:
        missed = patient(s, "Ann Missed", at=time(9, 0), last_prompted_on=today)
        done = patient(s, "Bob Done", at=time(9, 0), last_prompted_on=today)
        caregiver(s, missed, ["missed_checkin"], email="ann-carer@home.test")
        caregiver(s, missed, ["emergency"], email="ann-other@home.test")
        caregiver(s, done, ["missed_checkin"], email="bob-carer@home.test")
        s.add(
            CheckIn(
                patient_id=done.id,
                submission_key="k1",
                completed_at=datetime(2026, 7, 1, 9, 30, tzinfo=UTC),
            )
        )
    factory = session_factory(db_url)
    settings = scheduler_settings(db_url)
    # London 14:00 BST: less than 6 h after 09:00 → nothing yet
    assert (
        run_caregiver_reminders(factory, settings, now=datetime(2026, 7, 1, 13, tzinfo=UTC)).queued
        == 0
    )
    now = datetime(2026, 7, 1, 15, 30, tzinfo=UTC)  # 16:30 BST
    assert run_caregiver_reminders(factory, settings, now=now).queued == 1
    assert run_caregiver_reminders(factory, settings, now=now).queued == 0  # once a day
    with factory() as s:
        row = s.scalars(select(Notification)).one()
        assert (row.address, row.template) == ("ann-carer@home.test", "caregiver_missed_checkin")


# Monday 2026-11-30 09:30 in London (UTC+0): the default digest time (mon 08:00) has passed.
DIGEST_NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def test_weekly_digest_once_per_therapist_per_week(db_url: str, smtp_sink, fast_delivery) -> None:
    from coach.scheduler.outbox import run_outbox

    with transaction(db_url) as s:
        t = therapist(s, timezone="Europe/London")
        p = patient(s, "Ada Lovelace", therapist_row=t)
        s.add(
            CheckIn(
                patient_id=p.id,
                submission_key="k1",
                mood=6,
                completed_at=DIGEST_NOW - timedelta(days=1),
            )
        )
        escalate(s, p, "low_mood", "esc-d")
    factory = session_factory(db_url)
    settings = scheduler_settings(db_url)
    assert run_digest(factory, settings, now=DIGEST_NOW - timedelta(hours=2)).queued == 0  # 07:30
    assert run_digest(factory, settings, now=DIGEST_NOW).queued == 1
    assert run_digest(factory, settings, now=DIGEST_NOW + timedelta(days=3)).queued == 0
    assert run_digest(factory, settings, now=DIGEST_NOW + timedelta(days=7)).queued == 1
    run_outbox(factory, settings, max_batches=5)
    digest = next(
        m for m in smtp_sink.messages if m["X-Coach-Idempotency-Key"].endswith(":2026-W49")
    )
    text = digest.get_body(("plain",)).get_content()
    assert "1 patients,\r\n1 check-ins, 1 open alerts" in text and "http://portal.test/" in text
    words = without_links(text)
    assert "Ada" not in words and "Lovelace" not in words and "mood" not in words  # no PHI


def test_weekly_digest_at_each_therapists_local_monday_morning(db_url: str) -> None:
    """Monday 08:00 comes to Auckland 13 hours before London and 8 hours after it in LA."""
    with transaction(db_url) as s:
        zones = {"Pacific/Auckland": 1, "Europe/London": 2, "America/Los_Angeles": 3}
        for zone, n in zones.items():
            patient(s, f"Patient {n}", therapist_row=therapist(s, n, timezone=zone))
    factory = session_factory(db_url)
    settings = scheduler_settings(db_url)
    with transaction(db_url) as s:
        zone_of = {str(t.id): t.timezone for t in s.scalars(select(Therapist))}
    seen: set[str] = set()

    def newly_queued(at: datetime) -> set[tuple[str, str]]:
        run_digest(factory, settings, now=at)
        with transaction(db_url) as s:
            keys = set(
                s.scalars(
                    select(Notification.idempotency_key).where(
                        Notification.template == "therapist_weekly_digest"
                    )
                )
            )
        new = keys - seen
        seen.update(keys)
        return {(zone_of[k.split(":")[1]], k.split(":")[2]) for k in new}

    # Midweek, new therapists get this week's digest (its Monday has passed everywhere).
    assert newly_queued(datetime(2026, 11, 25, 12, 0, tzinfo=UTC)) == {
        (zone, "2026-W48") for zone in zones
    }
    assert newly_queued(datetime(2026, 11, 29, 18, 55, tzinfo=UTC)) == set()
    # Sunday 19:05 UTC = Monday 08:05 in Auckland (NZDT, UTC+13): only Auckland's week 49.
    assert newly_queued(datetime(2026, 11, 29, 19, 5, tzinfo=UTC)) == {
        ("Pacific/Auckland", "2026-W49")
    }
    assert newly_queued(datetime(2026, 11, 30, 8, 5, tzinfo=UTC)) == {("Europe/London", "2026-W49")}
    # 15:59 UTC = 07:59 in Los Angeles (PST, UTC-8): not yet; 16:00 it is.
    assert newly_queued(datetime(2026, 11, 30, 15, 59, tzinfo=UTC)) == set()
    assert newly_queued(datetime(2026, 11, 30, 16, 0, tzinfo=UTC)) == {
        ("America/Los_Angeles", "2026-W49")
    }


def test_caregiver_missed_exercise_reminder_after_three_zero_session_checkins(
    db_url: str, smtp_sink, fast_delivery
) -> None:
    from coach.scheduler.outbox import run_outbox
    from coach.scheduler.reminders import run_missed_exercise_reminders

    with transaction(db_url) as s:
        lazy = patient(s, "Cal Resting")
        busy = patient(s, "Dee Busy")
        caregiver(s, lazy, ["missed_exercise"], email="cal-carer@home.test")
        caregiver(s, lazy, ["emergency"], email="cal-other@home.test")
        caregiver(s, busy, ["missed_exercise"], email="dee-carer@home.test")
        for day, (lazy_sessions, busy_sessions) in enumerate([(0, 0), (0, 2), (0, 0)], start=1):
            at = datetime(2026, 7, day, 10, tzinfo=UTC)
            s.add(
                CheckIn(
                    patient_id=lazy.id,
                    submission_key=f"l{day}",
                    completed_at=at,
                    sessions_done=lazy_sessions,
                )
            )
            s.add(
                CheckIn(
                    patient_id=busy.id,
                    submission_key=f"b{day}",
                    completed_at=at,
                    sessions_done=busy_sessions,
                )
            )
    factory = session_factory(db_url)
    settings = scheduler_settings(db_url)
    assert run_missed_exercise_reminders(factory, settings).queued == 1
    assert run_missed_exercise_reminders(factory, settings).queued == 0  # once per run of zeros
    run_outbox(factory, settings)
    [message] = smtp_sink.messages
    assert message["To"] == "cal-carer@home.test"
    body = message.get_body(("plain",)).get_content()
    assert "Cal" in body and "exercises" in body
    words = without_links(body)
    assert "mood" not in words and "synkinesis" not in words.lower()  # no clinical detail
