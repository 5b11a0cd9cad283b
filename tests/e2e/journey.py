"""Steps the per-channel end-to-end tests share: a patient with an invite, the check-in
answers, and the next day's prompt through the real sweep."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from coach.enrolment import create_invite
from coach.scheduler.settings import scheduler_settings
from coach.scheduler.sweep import SweepStats, intent_for, run_sweep
from coach.storage.db import session_factory, transaction
from coach.storage.models import ClipAnalysis, Patient, PromptDelivery, Therapist
from tests.e2e.conftest import CoachServers, domain_text
from tests.fakes.http import wait_for
from tests.fakes.twilio import FakeTwilio

CHECKIN_TIME = time(9, 0)
SUMMARY_START = "Here's what I have: "  # the check-in read back before it is saved
# (what the patient answers, text of what must come next); None = the rotating question.
CHECKIN_ANSWERS = [
    ("start my check-in", domain_text("utter_ask_face_feeling")),
    ("my face feels a bit tight today", None),
    ("no", domain_text("utter_ask_sessions_done")),
    ("2", domain_text("utter_ask_minutes_practised")),
    ("about 20 minutes", domain_text("utter_ask_mirror_used")),
    ("yes", domain_text("utter_ask_forced_movements")),
    ("no", domain_text("utter_ask_eye_care_done")),
    ("yes", domain_text("utter_ask_mood")),
    ("7", SUMMARY_START),
    ("yes", domain_text("utter_checkin_thanks")),
]


def invited_patient(
    servers: CoachServers, name: str, zone: str = "Europe/London"
) -> tuple[int, str]:
    """A new patient on their therapist's list, and the invite code they were given."""
    with transaction(servers.database_url) as session:
        therapist = Therapist(name=f"Dr {name}", email=f"dr-{name}@clinic.example")
        patient = Patient(
            display_name=f"{name} Patient",
            timezone=zone,
            checkin_time=CHECKIN_TIME,
            onset_date=date.today() - timedelta(weeks=6),
            affected_side="left",
            eye_closure_incomplete=True,
            therapist=therapist,
        )
        session.add_all([therapist, patient])
        session.flush()
        code = create_invite(session, patient.id, created_by="e2e").code
        return patient.id, code


def analysis_for(servers: CoachServers, patient_id: int) -> ClipAnalysis | None:
    with transaction(servers.database_url) as session:
        return session.scalars(
            select(ClipAnalysis).where(ClipAnalysis.patient_id == patient_id)
        ).first()


def next_day_sweep(
    servers: CoachServers, monkeypatch: pytest.MonkeyPatch, patient_id: int
) -> tuple[SweepStats, str]:
    """Tomorrow 10:00 at the patient's: the real sweep, with only this patient due.

    Returns the sweep's stats and the intent the day calls for."""
    servers.use_env(monkeypatch)
    with transaction(servers.database_url) as session:
        zone = session.get(Patient, patient_id).timezone
        session.execute(  # the other tests' patients were prompted already
            update(Patient)
            .where(Patient.id != patient_id)
            .values(last_prompted_on=date(2100, 1, 1))
        )
    local = datetime.combine(date.today() + timedelta(days=1), time(10, 0), ZoneInfo(zone))
    settings = scheduler_settings(servers.database_url)
    stats = run_sweep(session_factory(servers.database_url), settings, now=local)
    return stats, intent_for(local.date())


def deliveries(servers: CoachServers, patient_id: int) -> list[PromptDelivery]:
    with transaction(servers.database_url) as session:
        return list(
            session.scalars(
                select(PromptDelivery)
                .where(PromptDelivery.patient_id == patient_id)
                .order_by(PromptDelivery.id)
            )
        )


def twilio_say(
    twilio: FakeTwilio, url: str, phone: str, text: str, wait_text: str | None = None, **kwargs
) -> list[dict]:
    """Send a signed inbound message; the coach's messages up to one containing `wait_text`
    (or the first new one when None)."""
    before = len(twilio.messages_to(phone))
    reply = twilio.inbound(url, phone, text, **kwargs)
    assert reply.status_code == 200 and "<Response>" in reply.text, reply.text

    def arrived() -> list[dict] | None:
        new = twilio.messages_to(phone)[before:]
        if wait_text is None:
            return new or None
        return new if any(wait_text in m["Body"] for m in new) else None

    return wait_for(arrived, 120, f"{(wait_text or 'a reply')[:40]!r} to {phone}")
