"""Clip retention: videos deleted after the clinic's period (default 180 days), reports and
plots kept, never-analysed uploads cleared; refused clips deleted at once by the action."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from factories import patient
from sqlalchemy import select

from coach.config import get_settings
from coach.scheduler.retention import run_retention
from coach.storage.db import session_factory, transaction
from coach.storage.models import AuditEvent, ClipAnalysis

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)


def _clip(media: Path, name: str, *, days_old: float | None = None) -> tuple[str, Path, Path]:
    clip_id = hashlib.sha256(name.encode()).hexdigest()
    video = media / "clips" / clip_id[:2] / f"{clip_id}.mp4"
    plot = media / "clip-plots" / clip_id[:2] / f"{clip_id}.png"
    for path in (video, plot):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode())
    if days_old is not None:
        then = (NOW - timedelta(days=days_old)).timestamp()
        os.utime(video, (then, then))
    return clip_id, video, plot


def _analysed(url: str, patient_id: int, clip_id: str, days_old: float) -> int:
    with transaction(url) as s:
        row = ClipAnalysis(
            patient_id=patient_id,
            clip_id=clip_id,
            status="ok",
            report={"metrics": {"x": 1}},
            created_at=NOW - timedelta(days=days_old),
        )
        s.add(row)
        s.flush()
        return row.id


def test_videos_past_retention_go_reports_and_plots_stay(db_url: str, tmp_path: Path) -> None:
    media = tmp_path / "media"
    with transaction(db_url) as s:
        pid = patient(s).id
    old_id, old_video, old_plot = _clip(media, "old")
    new_id, new_video, _ = _clip(media, "new")
    old_row = _analysed(db_url, pid, old_id, days_old=181)
    _analysed(db_url, pid, new_id, days_old=179)
    stale_upload = _clip(media, "never analysed, old", days_old=200)[1]
    fresh_upload = _clip(media, "never analysed, new", days_old=1)[1]

    stats = run_retention(session_factory(db_url), now=NOW, media_dir=media)
    assert (stats.expired, stats.files_deleted, stats.orphans_deleted) == (1, 1, 1)
    assert not old_video.exists() and old_plot.exists() and new_video.exists()
    assert not stale_upload.exists() and fresh_upload.exists()
    with session_factory(db_url)() as s:
        row = s.get(ClipAnalysis, old_row)
        assert row is not None and row.report == {"metrics": {"x": 1}}  # the report is kept
        assert row.clip_deleted_at is not None
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "clip_deleted")).one()
        assert audit.subject_id == old_row and audit.detail["days"] == 180
    again = run_retention(session_factory(db_url), now=NOW, media_dir=media)
    assert (again.expired, again.files_deleted) == (0, 0)  # once


def test_retention_period_is_the_clinics_choice(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLIP_RETENTION_DAYS", "30")
    get_settings.cache_clear()
    media = tmp_path / "media"
    with transaction(db_url) as s:
        pid = patient(s).id
    clip_id, video, _ = _clip(media, "a month old")
    _analysed(db_url, pid, clip_id, days_old=31)
    assert run_retention(session_factory(db_url), now=NOW, media_dir=media).files_deleted == 1
    assert not video.exists()
