"""Clip retention: stored clip videos are deleted once the clinic's retention period is over.

CLIP_RETENTION_DAYS (default 180) after a clip's analysis, the video is deleted and the
analysis row marked `clip_deleted_at`; the report and the therapist's plot are kept. Uploads
that were never analysed are deleted by file age. Refused clips (no face, too dark, ...) are
deleted at once by the clip action (`coach.clips.service.discard_refused_clip`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from coach.clips.intake import CLIP_FOLDER, clip_path
from coach.config import get_settings
from coach.scheduler.settings import SchedulerSettings
from coach.storage.models import AuditEvent, ClipAnalysis

log = logging.getLogger(__name__)
SECONDS_PER_DAY = 86400
STALE_UPLOAD_S = SECONDS_PER_DAY  # half-written uploads (`.upload-*`) older than this go


@dataclass
class RetentionStats:
    expired: int = 0
    files_deleted: int = 0
    orphans_deleted: int = 0


def _delete(path: Path | None) -> bool:
    if path is None:
        return False
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def run_retention(
    factory: sessionmaker[Session],
    settings: SchedulerSettings | None = None,
    *,
    now: datetime | None = None,
    media_dir: Path | None = None,
) -> RetentionStats:
    """Delete clip videos past retention (reports kept) and stale unanalysed uploads."""
    now = now or datetime.now(timezone.utc)
    days = get_settings().clip_retention_days
    cutoff = now - timedelta(days=days)
    stats = RetentionStats()
    with factory.begin() as session:
        in_use = set(
            session.scalars(select(ClipAnalysis.clip_id).where(ClipAnalysis.created_at >= cutoff))
        )
        expired = session.execute(
            select(ClipAnalysis.id, ClipAnalysis.clip_id).where(
                ClipAnalysis.created_at < cutoff, ClipAnalysis.clip_deleted_at.is_(None)
            )
        ).all()
        for row_id, clip_id in expired:
            if clip_id not in in_use and _delete(clip_path(clip_id, media_dir)):
                stats.files_deleted += 1
            session.execute(
                update(ClipAnalysis)
                .where(ClipAnalysis.id == row_id)
                .values(clip_deleted_at=now)
                .execution_options(synchronize_session=False)
            )
            session.add(
                AuditEvent(
                    actor="scheduler",
                    action="clip_deleted",
                    subject_type="clip_analysis",
                    subject_id=row_id,
                    detail={"reason": "retention", "days": days},
                )
            )
            stats.expired += 1
        known = set(session.scalars(select(ClipAnalysis.clip_id)))
    stats.orphans_deleted = _delete_orphans(known, cutoff, media_dir)
    if stats.expired or stats.orphans_deleted:
        log.info("clip retention: %s", stats)
    return stats


def _delete_orphans(known: set[str], cutoff: datetime, media_dir: Path | None) -> int:
    """Clip files no analysis refers to, older than the cutoff; stale partial uploads."""
    folder = (media_dir or get_settings().media_dir) / CLIP_FOLDER
    if not folder.exists():
        return 0
    deleted = 0
    oldest = cutoff.timestamp()
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        age_limit = time.time() - STALE_UPLOAD_S if path.name.startswith(".upload-") else oldest
        orphan = path.name.startswith(".upload-") or path.name.split(".")[0] not in known
        if orphan and path.stat().st_mtime < age_limit and _delete(path):
            deleted += 1
    return deleted
