"""Shared fixtures: a fresh, migrated database per test (SQLite and PostgreSQL), a seeded
patient, a PostgreSQL server for the session."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

# Tokens are signed with this key in tests (the servers the tests start get the same one).
os.environ.setdefault("COACH_SECRET_KEY", "test-secret-key-for-the-whole-test-run")

from coach.config import get_settings  # noqa: E402
from coach.storage.db import transaction  # noqa: E402
from coach.storage.migrate import upgrade  # noqa: E402
from coach.storage.models import Caregiver, ChannelIdentity, Patient, Therapist  # noqa: E402
from tests import conftest_postgres as pg  # noqa: E402

DATABASE_KINDS = ["sqlite", "postgresql"]
CONSENT_VERSION = "test"


@dataclass
class SeededClinic:
    """Ids of the records `clinic` made."""

    url: str
    therapist_id: int
    patient_id: int
    caregiver_id: int
    sender_id: str


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pg.PostgresServer]:
    """One PostgreSQL server for the test session (fails instead of skipping under CI)."""
    reason = pg.missing_reason()
    if reason:
        if pg.required():
            pytest.fail(f"PostgreSQL is required here (CI): {reason}")
        pytest.skip(f"PostgreSQL variant skipped: {reason}")
    with pg.postgres_server() as server:
        yield server


def new_database(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A migrated, empty database of `kind` (sqlite | postgresql); its SQLAlchemy URL."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'coach.db'}"
    else:
        server = request.getfixturevalue("pg_server")
        url = server.create_database(f"t_{uuid4().hex[:12]}")
    upgrade(url)
    return url


@pytest.fixture(params=DATABASE_KINDS)
def app_db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated database (each test runs on SQLite and on PostgreSQL) that the whole process
    (settings, actions) uses."""
    url = new_database(request.param, tmp_path, request)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("COACH_HOME", str(tmp_path))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


_LINK = re.compile(r"https?://[^\s\"'<>]+")
_TOKEN = re.compile(r"[A-Za-z0-9_.=%-]{24,}")  # signed links, CSRF and session tokens


def without_links(text: str) -> str:
    """`text` with its links and tokens removed: a signed token is random, so a check that no
    patient detail ("eye", "Ada") is in a message must look at the words, not at its letters."""
    return _TOKEN.sub("", _LINK.sub("", text))


def add_patient(
    url: str,
    sender_id: str,
    *,
    eye_closure_incomplete: bool = True,
    consented: bool = True,
    channel: str = "rest",
) -> SeededClinic:
    """A therapist, one patient reachable as `sender_id` (on REST unless `channel`) who agreed
    to data and clip analysis (unless `consented=False`), and a consented caregiver."""
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
            data_consent_version=CONSENT_VERSION if consented else None,
            clip_consent_version=CONSENT_VERSION if consented else None,
        )
        caregiver = Caregiver(
            patient=patient, name="C", email="c@family.example", consent_scope=["emergency"]
        )
        session.add_all([therapist, patient, caregiver])
        session.add(ChannelIdentity(channel=channel, sender_id=sender_id, patient=patient))
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


@pytest.fixture(scope="session")
def side_clip_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Astronaut clips whose weakness is not where a left-affected patient's record says:
    the right side barely moving (new weakness on the unaffected side), and both sides moving
    a third as much as protocol_clip_files["healthy"] (the starting clip)."""
    from tests.clips import clip_factory as cf

    folder = tmp_path_factory.mktemp("side-clips")
    right_weak = cf.protocol(side_gain=(0.1, 1.0), smile_eye=(0.0, 0.2))
    both_weak = cf.protocol(closure=(0.4, 0.4), smile_corner=(0.03, 0.018), smile_eye=(0.2, 0.2))
    return {
        "right_weak": cf.protocol_clip(folder / "right_weak.mp4", right_weak),
        "both_weak": cf.protocol_clip(folder / "both_weak.mp4", both_weak),
    }
