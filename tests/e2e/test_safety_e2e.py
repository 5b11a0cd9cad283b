"""Safety end to end: real Rasa and action servers, the REST channel, the database, SMTP."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select

from coach.config import REPO_DIR
from coach.escalation.red_flag import red_flag_request
from coach.storage.db import transaction
from coach.storage.models import ChannelIdentity, Escalation, Notification, SymptomReport
from tests.conftest import add_patient
from tests.e2e.conftest import CoachServers, domain_text
from tests.e2e.stack import free_port

SCHEDULER_TIMEOUT_S = 120


def _sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _escalations(servers: CoachServers, sender: str) -> list[Escalation]:
    """The sender's escalations: by patient when enrolled, else by the sender id in evidence
    (keys hold a hash of the sender, never the id itself)."""
    with transaction(servers.database_url) as session:
        ids = set(
            session.scalars(
                select(ChannelIdentity.patient_id).where(ChannelIdentity.sender_id == sender)
            )
        )
        rows = session.scalars(select(Escalation)).all()
        return [
            e for e in rows if e.patient_id in ids or (e.evidence or {}).get("sender_id") == sender
        ]


def _starts(reply: str, response: str) -> bool:
    return reply.startswith(domain_text(response).split("{")[0].strip())


def test_unknown_sender_stroke_is_told_only_what_happened(coach_servers: CoachServers) -> None:
    sender = _sender("stranger")
    replies = coach_servers.texts(sender, "my left arm went limp and it felt like it wasn't mine")
    text = " ".join(replies)
    assert _starts(replies[0], "utter_red_flag_stroke") and "call 999 now" in text
    assert "therapist" not in text and "emergency contact" not in text
    [escalation] = _escalations(coach_servers, sender)
    assert (escalation.kind, escalation.level, escalation.patient_id) == (
        "stroke",
        "emergency",
        None,
    )


def test_model_only_red_flag_asks_once_then_escalates_on_yes(coach_servers) -> None:
    sender = _sender("confirm")
    add_patient(coach_servers.database_url, sender)
    # What the model alone flags (a typed "/intent" is plain text: the API stands in for NLU).
    asked = coach_servers.trigger(sender, "possible_red_flag", "rest")["messages"]
    assert asked[0]["text"] == domain_text("utter_red_flag_check")
    assert [b["payload"] for b in asked[0]["buttons"]] == ["/affirm", "/deny"]
    assert _escalations(coach_servers, sender) == []  # nothing before the answer
    replies = coach_servers.texts(sender, "/affirm")
    assert _starts(replies[0], "utter_red_flag_unspecified")
    assert "I've alerted your therapist" not in replies[0]  # urgent: no emergency contact
    assert "I've told your therapist." in replies[0]
    [escalation] = _escalations(coach_servers, sender)
    assert (escalation.kind, escalation.level) == ("unspecified", "urgent")


def test_no_to_the_safety_question_escalates_nothing(coach_servers: CoachServers) -> None:
    sender = _sender("deny")
    add_patient(coach_servers.database_url, sender)
    coach_servers.trigger(sender, "possible_red_flag", "rest")
    assert coach_servers.texts(sender, "/deny") == [domain_text("utter_red_flag_check_denied")]
    assert _escalations(coach_servers, sender) == []


def test_good_news_never_gets_emergency_advice(coach_servers: CoachServers) -> None:
    """At most the model asks its one confirming question; no advice, nothing escalated."""
    sender = _sender("great")
    add_patient(coach_servers.database_url, sender)
    alarms = [
        domain_text(f"utter_red_flag_{kind}").split("{")[0].strip()
        for kind in ("stroke", "self_harm", "eye_at_risk", "other_cause", "unspecified")
    ]
    for text in ("I'm doing great", "my eye shuts properly again!", "my eye isn't sore or red btw"):
        replies = coach_servers.texts(sender, text)
        assert not [r for r in replies for a in alarms if r.startswith(a)], (text, replies)
        assert "999" not in " ".join(replies), (text, replies)
    assert _escalations(coach_servers, sender) == []


def test_symptom_outside_a_checkin_is_recorded_triaged_and_coached(coach_servers) -> None:
    sender = _sender("symptom")
    add_patient(coach_servers.database_url, sender)
    replies = coach_servers.texts(sender, "my left eye narrows whenever I'm eating")
    assert domain_text("utter_symptom_coach_eye_narrowing") in replies
    assert any("I've told your therapist." in r for r in replies)
    with transaction(coach_servers.database_url) as session:
        patient_ids = select(ChannelIdentity.patient_id).where(ChannelIdentity.sender_id == sender)
        [report] = session.scalars(
            select(SymptomReport).where(SymptomReport.patient_id.in_(patient_ids))
        ).all()
        assert (report.checkin_id, report.symptom, report.side) == (None, "eye_narrowing", "left")
    [escalation] = _escalations(coach_servers, sender)
    assert (escalation.kind, escalation.level) == ("early_synkinesis", "working_day")


def test_low_mood_gets_support_with_the_crisis_line(coach_servers: CoachServers) -> None:
    sender = _sender("mood")
    add_patient(coach_servers.database_url, sender)
    reply, line = coach_servers.texts(sender, "everything feels dark lately")
    assert "dark" in reply and "Facial Palsy UK" in reply
    assert _starts(line, "utter_crisis_line") and "116 123" in line  # its own short message
    [crisis] = coach_servers.texts(sender, "I just want to disappear")[:1]
    assert _starts(crisis, "utter_red_flag_self_harm") and "116 123" in crisis


def test_other_language_gets_english_only_and_the_emergency_number(coach_servers) -> None:
    sender = _sender("es")
    [reply] = coach_servers.texts(sender, "hola, ¿cómo funciona esto?")
    assert "solo puedo conversar en inglés" in reply and "999" in reply
    replies = coach_servers.texts(sender, "mi ojo no cierra y me duele")
    assert _starts(replies[0], "utter_red_flag_eye_at_risk")
    assert any("inglés" in r for r in replies)


class _Sink:
    """A real SMTP server on loopback that keeps what it accepts."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Any] = []
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001
                with sink.lock:
                    sink.messages.append(
                        message_from_bytes(envelope.content, policy=policy.default)
                    )
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)


def _scheduler_once(servers: CoachServers, job: str, smtp_port: int) -> None:
    env = {
        **servers.env,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_FROM": "coach@clinic.test",
        "COACH_SECRET_KEY": "e2e-secret",
        "ACK_SERVER_PORT": "0",
    }
    result = subprocess.run(
        [sys.executable, "-m", "coach.cli", "scheduler", "once", job],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=SCHEDULER_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_action_server_down_red_flag_still_advised_and_delivered(coach_servers) -> None:
    """Kill the action server: the Rasa side answers the red flag and spools it; the scheduler
    replays the spool and the therapist's email reaches a real SMTP server."""
    sender = _sender("down")
    clinic = add_patient(coach_servers.database_url, sender)
    sink = _Sink()
    sink.controller.start()
    coach_servers.stop_actions()
    try:
        ordinary = coach_servers.texts(sender, "my eye waters when I eat")
        replies = coach_servers.texts(sender, "my speech has been slurred since an hour ago")
    finally:
        coach_servers.start_actions()
    try:
        assert _starts(replies[0], "utter_red_flag_stroke") and "call 999 now" in replies[0]
        assert "saved this for the care team" in replies[0]
        assert ordinary == [domain_text("utter_technical_problem")]
        spooled = (coach_servers.workdir / "var" / "spool" / "new").glob("*.json")  # SPOOL_DIR
        [record] = [
            r for r in map(json.loads, (p.read_text() for p in spooled)) if r["sender_id"] == sender
        ]
        assert record["kinds"] == ["stroke"]
        assert _escalations(coach_servers, sender) == []  # not yet: only in the spool
        _scheduler_once(coach_servers, "spool", sink.port)
        [escalation] = _escalations(coach_servers, sender)
        assert (escalation.kind, escalation.patient_id) == ("stroke", clinic.patient_id)
        assert (
            escalation.idempotency_key
            == red_flag_request(
                "stroke", "", record["channel"], sender, record["message_id"], True, []
            ).idempotency_key
        )
        _scheduler_once(coach_servers, "outbox", sink.port)
        deadline = time.monotonic() + SCHEDULER_TIMEOUT_S
        while time.monotonic() < deadline and not sink.messages:
            time.sleep(0.1)
        with sink.lock:
            recipients = [m["To"] for m in sink.messages]
        assert f"t-{sender}@clinic.example" in recipients
        with transaction(coach_servers.database_url) as session:
            sent = session.scalars(
                select(Notification).where(Notification.escalation_id == escalation.id)
            ).all()
            assert {n.recipient_kind for n in sent} == {"therapist", "caregiver"}
    finally:
        sink.controller.stop()
