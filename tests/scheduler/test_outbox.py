"""Outbox delivery through a real SMTP server, a fake Twilio API and a webhook receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import pytest
from factories import caregiver, escalate, patient, therapist
from sqlalchemy import select, update

from coach.notify.ack_link import verify_token
from coach.scheduler.outbox import _mark_sent, claim_batch, run_outbox
from coach.scheduler.settings import scheduler_settings
from coach.storage.db import session_factory, transaction
from coach.storage.models import AuditEvent, Escalation, Notification

pytestmark = pytest.mark.usefixtures("fast_delivery")


def statuses(url: str) -> dict[str, str]:
    with session_factory(url)() as s:
        return dict(s.execute(select(Notification.idempotency_key, Notification.status)).all())


def drain(url: str, batches: int = 10):  # type: ignore[no-untyped-def]
    return run_outbox(session_factory(url), scheduler_settings(url), max_batches=batches)


def test_escalation_email_has_text_html_evidence_and_signed_ack_link(
    db_url: str, smtp_sink
) -> None:
    with transaction(db_url) as s:
        t = therapist(s)
        p = patient(s, "Ada Lovelace", therapist_row=t)
        esc = escalate(s, p, "eye_at_risk", "esc-eye", {"text": "my eye <hurts>", "mood": 4})
        esc_id = esc.id
    stats = drain(db_url)
    assert stats.sent == 1
    message = smtp_sink.by_key("esc-eye:therapist:1:email:0")
    assert message["To"] == "ther1@clinic.test"
    assert "URGENT" in message["Subject"] and "Ada Lovelace" in message["Subject"]
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@clinic.test>")
    text = message.get_body(("plain",)).get_content()
    html_part = message.get_body(("html",)).get_content()
    assert "Severity: URGENT" in text and "my eye <hurts>" in text and "Mood (0-10): 4" in text
    assert "my eye &lt;hurts&gt;" in html_part
    link = next(w for w in text.split() if w.startswith("http://ack.test/ack?token="))
    claim = verify_token(link.split("token=", 1)[1])
    assert (claim.escalation_id, claim.recipient) == (esc_id, "therapist:1")
    assert statuses(db_url) == {"esc-eye:therapist:1:email:0": "sent"}


def test_sms_via_fake_twilio_and_signed_webhook(
    db_url: str, smtp_sink, fake_http, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_API_BASE", fake_http.url)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC123")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "tw-secret")
    monkeypatch.setenv("TWILIO_FROM", "+15550001111")
    monkeypatch.setenv("WEBHOOK_SIGNING_SECRET", "hook-secret")
    fake_http.status = 201
    fake_http.body = {"sid": "SM1"}
    with transaction(db_url) as s:
        t = therapist(s, phone="+15552223333", webhook_url=f"{fake_http.url}/hook")
        p = patient(s, therapist_row=t)
        escalate(s, p, "stroke", "esc-stroke", {"text": "my arm is weak"})
    assert drain(db_url).sent == 3
    sms = next(r for r in fake_http.requests if r["path"].endswith("Messages.json"))
    assert sms["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert (
        sms["headers"]["Authorization"] == "Basic " + base64.b64encode(b"AC123:tw-secret").decode()
    )
    form = parse_qs(sms["body"].decode())
    assert form["To"] == ["+15552223333"] and form["From"] == ["+15550001111"]
    assert "EMERGENCY" in form["Body"][0] and "http://ack.test/ack?token=" in form["Body"][0]
    hook = next(r for r in fake_http.requests if r["path"] == "/hook")
    signed = hook["headers"]["X-Coach-Timestamp"].encode() + b"." + hook["body"]
    expected = hmac.new(b"hook-secret", signed, hashlib.sha256).hexdigest()
    assert hook["headers"]["X-Coach-Signature"] == f"v1={expected}"
    assert hook["headers"]["Idempotency-Key"] == "esc-stroke:therapist:1:webhook:0"
    body = json.loads(hook["body"])
    assert body["escalation"]["level"] == "emergency"
    assert body["escalation"]["evidence"] == {"text": "my arm is weak"}
    assert set(statuses(db_url).values()) == {"sent"}


def test_caregiver_emergency_notice_has_no_clinical_detail(db_url: str, smtp_sink) -> None:
    with transaction(db_url) as s:
        t = therapist(s)
        p = patient(s, "Ada Lovelace", therapist_row=t, locale="en-NZ")
        caregiver(s, p, ["emergency"], email="carer@home.test")
        caregiver(s, p, ["missed_checkin"], email="nope@home.test")
        escalate(s, p, "self_harm", "esc-sh", {"text": "I want to end it all"})
    assert drain(db_url).sent == 2
    counts = smtp_sink.counts()
    assert sorted(counts) == ["esc-sh:caregiver:1:email", "esc-sh:therapist:1:email:0"]
    notice = smtp_sink.by_key("esc-sh:caregiver:1:email")
    text = notice.get_body(("plain",)).get_content()
    assert notice["To"] == "carer@home.test"
    assert "Ada" in text and "111" in text  # first name and NZ emergency number
    for clinical in ("end it all", "self-harm", "Self", "EMERGENCY", "ack?token"):
        assert clinical not in text


def test_smtp_down_is_retried_with_backoff_then_delivered(db_url: str, smtp_sink) -> None:
    with transaction(db_url) as s:
        p = patient(s, therapist_row=therapist(s))
        escalate(s, p, "low_mood", "esc-mood")
    smtp_sink.stop()
    stats = drain(db_url, batches=1)
    assert (stats.sent, stats.retried) == (0, 1)
    with session_factory(db_url)() as s:
        row = s.scalars(select(Notification)).one()
        assert (row.status, row.attempts) == ("pending", 1)
        assert "smtp unavailable" in (row.last_error or "")
    smtp_sink.start()
    with transaction(db_url) as s:  # the backoff delay has passed
        s.execute(update(Notification).values(next_attempt_at=datetime.now(timezone.utc)))
    assert drain(db_url).sent == 1
    assert smtp_sink.counts() == {"esc-mood:therapist:1:email:0": 1}


def test_dead_letter_after_n_failures_escalates_to_backup(db_url: str, smtp_sink) -> None:
    with transaction(db_url) as s:
        t = therapist(s, backup_email="backup@clinic.test", phone="+15550009999")
        p = patient(s, therapist_row=t)
        escalate(s, p, "eye_at_risk", "esc-dead")  # email + sms; Twilio not configured
    assert drain(db_url).dead == 1  # sms: twilio not configured is permanent
    with session_factory(db_url)() as s:
        kinds = s.scalars(select(Escalation.kind).order_by(Escalation.id)).all()
        assert kinds == ["eye_at_risk", "delivery_failed"]
        dead = s.scalars(select(Notification).where(Notification.status == "dead")).one()
        assert dead.channel == "sms"
    counts = smtp_sink.counts()
    assert counts["dead:esc-dead:therapist:1:sms:0:backup:0:email"] == 1  # the therapist
    assert counts["dead:esc-dead:therapist:1:sms:0:backup:1:email"] == 1  # the backup
    alert = smtp_sink.by_key("dead:esc-dead:therapist:1:sms:0:backup:1:email")
    assert alert["To"] == "backup@clinic.test"
    assert "could not be delivered" in alert["Subject"]


def test_retryable_failures_become_dead_after_max_attempts(
    db_url: str, smtp_sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction(db_url) as s:
        t = therapist(s, webhook_url="http://127.0.0.1:9/unreachable")
        escalate(s, patient(s, therapist_row=t), "early_synkinesis", "esc-hook")
    for _ in range(3):  # OUTBOX_MAX_ATTEMPTS = 3
        with transaction(db_url) as s:
            s.execute(update(Notification).values(next_attempt_at=datetime.now(timezone.utc)))
        drain(db_url)
    status = statuses(db_url)
    assert status["esc-hook:therapist:1:webhook:0"] == "dead"
    assert status["esc-hook:therapist:1:email:0"] == "sent"
    assert smtp_sink.counts()["dead:esc-hook:therapist:1:webhook:0:backup:1:email"] == 1


def test_expired_claim_is_retried_and_stale_sender_cannot_finish(db_url: str, smtp_sink) -> None:
    with transaction(db_url) as s:
        escalate(s, patient(s, therapist_row=therapist(s)), "low_mood", "esc-crash")
    factory = session_factory(db_url)
    crashed = claim_batch(factory, 10, lease_s=30)  # a process that dies mid-send
    assert len(crashed) == 1 and claim_batch(factory, 10, lease_s=30) == []  # claim holds
    with transaction(db_url) as s:  # ... and its lease runs out
        past = datetime.now(timezone.utc) - timedelta(seconds=1)
        s.execute(update(Notification).values(claimed_until=past))
    assert drain(db_url).sent == 1
    assert _mark_sent(factory, crashed[0]) is False  # the stale sender is fenced off
    with factory() as s:
        row = s.scalars(select(Notification)).one()
        assert (row.status, row.attempts) == ("sent", 2)
        audit = s.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == row.id)).all()
        assert "notification_redelivery_unknown_outcome" in audit
    assert smtp_sink.counts() == {"esc-crash:therapist:1:email:0": 1}


def test_two_claimers_never_get_the_same_row(db_url: str) -> None:
    with transaction(db_url) as s:
        t = therapist(s)
        for i in range(30):
            escalate(s, patient(s, f"P{i}", therapist_row=t), "low_mood", f"esc-{i}")
    factory = session_factory(db_url)
    first = claim_batch(factory, 20, lease_s=60)
    second = claim_batch(factory, 20, lease_s=60)
    assert len(first) == 20 and len(second) == 10
    assert not {c.id for c in first} & {c.id for c in second}
