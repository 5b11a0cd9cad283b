"""Raising escalations: who is told (the one recipients function), and columns that take
outside input are sized or validated for it (PostgreSQL enforces VARCHAR lengths)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from actions.red_flag import ActionHandleRedFlag
from coach.config import get_settings
from coach.escalation.acknowledge import acknowledge
from coach.escalation.keys import MAX_KEY_CHARS, bounded_key
from coach.escalation.raising import EscalationRequest, raise_escalation
from coach.escalation.recipients import Audience, recipients
from coach.escalation.spool import pending_records
from coach.storage.db import transaction
from coach.storage.models import ChannelIdentity, Escalation, Notification, Patient
from tests.actions.conftest import make_tracker
from tests.conftest import add_patient

LONG_SENDER = "whatsapp:+44" + "7" * 300  # far beyond any column; a hostile or odd client


@pytest.fixture(autouse=True)
def _contacts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLINIC_DUTY_EMAIL", "duty@clinic.test")
    monkeypatch.setenv("SPOOL_DIR", str(tmp_path / "spool"))
    get_settings.cache_clear()


def _notified(url: str) -> set[tuple[str, str, str]]:
    with transaction(url) as session:
        rows = session.scalars(select(Notification)).all()
        return {(n.recipient_kind, n.channel, n.address) for n in rows}


def test_a_patient_without_a_therapist_reaches_the_duty_inbox(app_db: str) -> None:
    with transaction(app_db) as session:
        patient = Patient(display_name="No Therapist")
        session.add(patient)
        session.flush()
        raise_escalation(session, patient, EscalationRequest("eye_at_risk", "k1", {}))
    assert _notified(app_db) == {("duty", "email", "duty@clinic.test")}


async def test_an_unknown_sender_red_flag_reaches_the_duty_inbox_at_once(
    app_db: str, dispatcher, domain
) -> None:
    tracker = make_tracker("never-enrolled", "I want to kill myself", intent="red_flag")
    await ActionHandleRedFlag().run(dispatcher, tracker, domain)
    assert _notified(app_db) == {("duty", "email", "duty@clinic.test")}


def test_the_same_address_is_told_once_per_step(app_db: str, monkeypatch) -> None:
    monkeypatch.setenv("CLINIC_BACKUP_EMAIL", "same@clinic.test")
    get_settings.cache_clear()
    clinic = add_patient(app_db, "p-dupe")
    with transaction(app_db) as session:
        patient = session.get(Patient, clinic.patient_id)
        patient.therapist.backup_email = "same@clinic.test"  # type: ignore[union-attr]
        escalation = raise_escalation(session, patient, EscalationRequest("stroke", "k2", {}))
        backups = recipients(session, escalation, patient, Audience.BACKUP)
    assert [(r.kind, r.address) for r in backups] == [("backup", "same@clinic.test")]


async def test_a_very_long_sender_id_red_flag_is_recorded_not_spooled(
    app_db: str, dispatcher, domain
) -> None:
    clinic = add_patient(app_db, "short-sender")
    with transaction(app_db) as session:  # the patient writes from an absurdly long id
        identity = session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.patient_id == clinic.patient_id)
        ).one()
        identity.channel, identity.sender_id = "whatsapp", LONG_SENDER[:128]
    for sender in (LONG_SENDER[:128], LONG_SENDER):
        tracker = make_tracker(
            sender,
            "my speech is slurred",
            intent="red_flag",
            message_id="x" * 300,
            channel="whatsapp",  # a `whatsapp:` sender id only ever comes from that connector
        )
        await ActionHandleRedFlag().run(dispatcher, tracker, domain)
    assert pending_records() == []  # written to the database, not spooled
    with transaction(app_db) as session:
        escalations = session.scalars(select(Escalation)).all()
        keys = [e.idempotency_key for e in escalations] + list(
            session.scalars(select(Notification.idempotency_key))
        )
    assert len(escalations) == 2
    assert {e.patient_id for e in escalations} == {clinic.patient_id, None}
    assert all(len(k) <= 200 for k in keys)
    assert not any("7777" in k for k in keys)  # no phone number in keys (they go in headers)


def test_long_keys_actors_and_notes_fit_their_columns(app_db: str) -> None:
    key = bounded_key("early_synkinesis", "checkin", "z" * 500)
    assert len(key) <= MAX_KEY_CHARS and key.startswith("early_synkinesis:")
    assert bounded_key("a", "b") == "a:b"
    clinic = add_patient(app_db, "p-long")
    with transaction(app_db) as session:
        patient = session.get(Patient, clinic.patient_id)
        escalation = raise_escalation(
            session, patient, EscalationRequest("low_mood", "q" * 400, {"mood": 1})
        )
        assert (
            raise_escalation(  # the same (long) key finds the same escalation
                session, patient, EscalationRequest("low_mood", "q" * 400, {"mood": 1})
            ).id
            == escalation.id
        )
        result = acknowledge(session, escalation.id, "portal:" + "d" * 500, "n" * 10_000)
        assert result.outcome == "done"
    with transaction(app_db) as session:
        row = session.scalars(select(Escalation)).one()
        assert len(row.acknowledged_by or "") == 120 and len(row.ack_note or "") == 4000
