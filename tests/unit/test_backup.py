"""`coach backup` / `coach restore`: restore into a fresh database and folders, and find every
row and every clip (SQLite online backup API; pg_dump / pg_restore for PostgreSQL)."""

from __future__ import annotations

import hashlib
import io
import tarfile
from datetime import datetime, timezone
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import MetaData, select

from coach.cli import main
from coach.config import get_settings
from coach.escalation.raising import EscalationRequest, raise_escalation
from coach.escalation.spool import spool_escalation
from coach.storage.db import make_engine, transaction
from coach.storage.models import CheckIn, ClipAnalysis, Patient
from tests.conftest import SeededClinic


def _snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, comparable across databases."""
    engine = make_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    rows = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            found = connection.execute(select(table)).all()
            rows[table.name] = sorted(tuple(str(v) for v in r) for r in found)
    engine.dispose()
    return rows


def _files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def _fill(clinic: SeededClinic, media: Path) -> None:
    clip_id = hashlib.sha256(b"clip").hexdigest()
    clip = media / "clips" / clip_id[:2] / f"{clip_id}.mp4"
    clip.parent.mkdir(parents=True)
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    plot = media / "clip-plots" / clip_id[:2] / f"{clip_id}.png"
    plot.parent.mkdir(parents=True)
    plot.write_bytes(b"\x89PNG fake plot")
    with transaction(clinic.url) as session:
        patient = session.get(Patient, clinic.patient_id)
        session.add(CheckIn(patient_id=clinic.patient_id, submission_key="k1", mood=6))
        session.add(
            ClipAnalysis(
                patient_id=clinic.patient_id,
                clip_id=clip_id,
                status="ok",
                report={"metrics": {"eye": [1.0, 0.5]}, "patient_message": "ünïcode ok"},
                created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
            )
        )
        raise_escalation(session, patient, EscalationRequest("stroke", "b1", {"text": "arm"}))
    spool_escalation(
        {
            "kinds": ["stroke"],
            "text": "t",
            "channel": "rest",
            "sender_id": "s",
            "message_id": "m",
            "matched": [],
        }
    )


def test_backup_then_restore_into_a_new_home_finds_every_row_and_clip(
    clinic: SeededClinic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request
) -> None:
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("SPOOL_DIR", str(tmp_path / "spool"))
    get_settings.cache_clear()
    settings = get_settings()
    _fill(clinic, settings.media_dir)
    before_rows = _snapshot(clinic.url)
    before_media = _files(settings.media_dir)
    before_spool = _files(settings.spool_dir)
    archive = tmp_path / "coach-backup.tar.gz"
    assert main(["backup", str(archive)]) == 0
    assert archive.stat().st_mode & 0o077 == 0  # patient data: owner only
    with tarfile.open(archive) as tar:
        assert "manifest.json" in tar.getnames()

    # A new machine: empty database, empty folders.
    if clinic.url.startswith("sqlite"):
        target_url = f"sqlite:///{tmp_path / 'restored' / 'coach.db'}"
    else:
        target_url = request.getfixturevalue("pg_server").create_database(f"r_{uuid4().hex[:8]}")
    monkeypatch.setenv("DATABASE_URL", target_url)
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "restored-media"))
    monkeypatch.setenv("SPOOL_DIR", str(tmp_path / "restored-spool"))
    get_settings.cache_clear()
    assert main(["restore", str(archive)]) == 0
    assert _snapshot(target_url) == before_rows
    assert _files(tmp_path / "restored-media") == before_media
    assert _files(tmp_path / "restored-spool") == before_spool
    assert main(["restore", str(archive)]) == 1  # never over an existing database by accident


def test_a_damaged_archive_is_refused(clinic: SeededClinic, tmp_path: Path, monkeypatch) -> None:
    archive = tmp_path / "b.tar.gz"
    assert main(["backup", str(archive)]) == 0
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member)
            content = data.read() if data else b""
            if member.name.startswith("database"):
                content = content[:-10] + b"0123456789"
            member.size = len(content)
            target.addfile(member, io.BytesIO(content))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    get_settings.cache_clear()
    assert main(["restore", str(damaged)]) == 1
    assert not (tmp_path / "fresh.db").exists()
