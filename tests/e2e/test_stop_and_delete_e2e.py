"""STOP / START and "delete my data" through a real channel (WhatsApp via the fake Twilio):
prompts stop and resume; a caregiver stops reminders; deleting removes the data, the clip
files and the conversation text from Rasa's tracker store, leaving an audit record."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from coach.storage.db import transaction
from coach.storage.models import (
    AuditEvent,
    Caregiver,
    ChannelIdentity,
    CheckIn,
    ClipAnalysis,
    Patient,
)
from tests.conftest import add_patient
from tests.e2e.conftest import CoachServers, domain_text
from tests.e2e.journey import analysis_for, next_day_sweep, twilio_say
from tests.fakes.http import wait_for
from tests.fakes.twilio import MEDIA_CONTENT_TYPE

PHONE = "whatsapp:+447700900303"
CAREGIVER_PHONE = "+447700900404"


def _tracker_events(servers: CoachServers, sender: str) -> int:
    with sqlite3.connect(servers.workdir / "tracker.db") as db:
        return db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[
            0
        ]


def test_stop_start_and_delete_my_data(
    coach_servers: CoachServers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.clips import clip_factory as cf

    # A clip only this patient sent (the same bytes from someone else would be kept for them).
    own_clip = cf.protocol_clip(tmp_path / "own.mp4", cf.protocol(smile_corner=(0.07, 0.05)))
    twilio, url = coach_servers.twilio, coach_servers.webhook("whatsapp")
    clinic = add_patient(coach_servers.database_url, PHONE, channel="whatsapp")

    def say(text: str, wait_text: str | None = None, **kwargs) -> list[dict]:
        return twilio_say(twilio, url, PHONE, text, wait_text, **kwargs)

    assert say("STOP")[0]["Body"] == domain_text("utter_opted_out")
    stats, _ = next_day_sweep(coach_servers, monkeypatch, clinic.patient_id)
    assert stats.due == 0  # nothing proactive after STOP
    assert say("start")[0]["Body"] == domain_text("utter_opted_in")
    stats, _ = next_day_sweep(coach_servers, monkeypatch, clinic.patient_id)
    assert stats.prompted == 1

    # The caregiver (WhatsApp) replies STOP to a reminder: no more reminders for them.
    with transaction(coach_servers.database_url) as session:
        session.execute(
            update(Caregiver)
            .where(Caregiver.id == clinic.caregiver_id)
            .values(phone=f"whatsapp:{CAREGIVER_PHONE}", consent_scope=["missed_checkin"])
        )
    stopped = twilio_say(twilio, url, f"whatsapp:{CAREGIVER_PHONE}", "Stop")
    assert stopped[0]["Body"] == domain_text("utter_caregiver_opted_out")
    with transaction(coach_servers.database_url) as session:
        assert session.get(Caregiver, clinic.caregiver_id).opted_out_at is not None

    # Some data, then "delete my data".
    say("start my check-in", domain_text("utter_ask_face_feeling"))
    say("later", domain_text("utter_checkin_paused"))
    with transaction(coach_servers.database_url) as session:
        session.add(CheckIn(patient_id=clinic.patient_id, submission_key=f"checkin:{PHONE}:x"))
    media_url = twilio.add_media(own_clip.read_bytes())
    twilio.inbound(url, PHONE, "", media=[(media_url, MEDIA_CONTENT_TYPE)])
    analysis = wait_for(lambda: analysis_for(coach_servers, clinic.patient_id), 180, "analysis")
    clip_files = list((coach_servers.workdir / "var" / "media").rglob(f"{analysis.clip_id}*"))
    assert clip_files
    assert _tracker_events(coach_servers, PHONE) > 0

    asked = say("delete my data", domain_text("utter_delete_confirm"))
    assert "1 - Yes, delete everything" in asked[-1]["Body"]
    done = say("DELETE", domain_text("utter_deletion_done"))
    assert not any("coach_erase" in m["Body"] for m in done)
    wait_for(lambda: _tracker_events(coach_servers, PHONE) == 0, 60, "the conversation erased")
    assert not any(p.exists() for p in clip_files)
    with transaction(coach_servers.database_url) as session:
        for model in (CheckIn, ClipAnalysis):
            count = (
                select(func.count()).select_from(model).where(model.patient_id == clinic.patient_id)
            )
            assert session.scalar(count) == 0
        assert (
            session.scalars(select(ChannelIdentity).where(ChannelIdentity.sender_id == PHONE)).all()
            == []
        )
        assert not session.get(Patient, clinic.patient_id).active
        audit = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "patient_data_deleted",
                AuditEvent.subject_id == clinic.patient_id,
            )
        ).one()
        assert audit.detail["checkins"] == 1 and audit.detail["clip_analyses"] == 1
    # The phone is a stranger now.
    assert say("hi")[0]["Body"] == domain_text("utter_greet_unknown")
