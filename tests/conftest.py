"""Shared fixtures: a fresh, migrated SQLite database per test, and a seeded patient."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from coach.config import get_settings
from coach.storage.db import transaction
from coach.storage.migrate import upgrade
from coach.storage.models import Caregiver, ChannelIdentity, Patient, Therapist


@dataclass
class SeededClinic:
    """Ids of the records `clinic` made."""

    url: str
    therapist_id: int
    patient_id: int
    caregiver_id: int
    sender_id: str


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite database that the whole process (settings, actions) uses."""
    url = f"sqlite:///{tmp_path / 'coach.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("COACH_HOME", str(tmp_path))
    get_settings.cache_clear()
    upgrade(url)
    yield url
    get_settings.cache_clear()


def add_patient(url: str, sender_id: str, *, eye_closure_incomplete: bool = True) -> SeededClinic:
    """A therapist, one patient reachable as `sender_id` on REST, and a consented caregiver."""
    with transaction(url) as session:
        therapist = Therapist(name="T", email=f"t-{sender_id}@clinic.example", phone="+15005550006")
        patient = Patient(
            display_name="P",
            timezone="Europe/London",
            locale="en-GB",
            checkin_time=time(9, 0),
            onset_date=date.today() - timedelta(weeks=8),
            affected_side="left",
            eye_closure_incomplete=eye_closure_incomplete,
            therapist=therapist,
        )
        caregiver = Caregiver(
            patient=patient, name="C", email="c@family.example", consent_scope=["emergency"]
        )
        session.add_all([therapist, patient, caregiver])
        session.add(ChannelIdentity(channel="rest", sender_id=sender_id, patient=patient))
        session.flush()
        return SeededClinic(url, therapist.id, patient.id, caregiver.id, sender_id)


@pytest.fixture
def clinic(app_db: str) -> SeededClinic:
    return add_patient(app_db, "patient-1")


@pytest.fixture(scope="session")
def protocol_clip_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two clips of the real astronaut face: healthy, and right-eye ocular synkinesis (40 %)."""
    from tests.clips import clip_factory as cf

    folder = tmp_path_factory.mktemp("protocol-clips")
    return {
        "healthy": cf.protocol_clip(folder / "healthy.mp4", cf.protocol(smile_eye=(0.2, 0.2))),
        "synkinesis": cf.protocol_clip(
            folder / "synkinesis.mp4", cf.protocol(smile_eye=(0.4, 0.0), pucker_eye=(0.4, 0.0))
        ),
    }
