"""A received clip belongs to the patient whose conversation named it first; nobody else can
have it analysed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coach.clips.intake import StoredClip, clip_path, store_clip_file
from coach.media.incoming import incoming_path
from coach.storage.models import ClipUpload


def bind_clip(session: Session, patient_id: int, clip_id: str, channel: str) -> None:
    """Record that `patient_id` uploaded `clip_id` (idempotent)."""
    if is_bound(session, patient_id, clip_id):
        return
    try:
        with session.begin_nested():
            session.add(ClipUpload(patient_id=patient_id, clip_id=clip_id, channel=channel))
            session.flush()
    except IntegrityError:
        return  # the same upload, bound a moment ago


def is_bound(session: Session, patient_id: int, clip_id: str) -> bool:
    return (
        session.scalar(
            select(ClipUpload.id).where(
                ClipUpload.patient_id == patient_id, ClipUpload.clip_id == clip_id
            )
        )
        is not None
    )


def claim_clip(
    session: Session, patient_id: int, clip_id: str, channel: str, media_dir: Path | None = None
) -> Path | None:
    """The clip's file for this patient, or None when it is not theirs (or not there).

    A clip a channel just received is still in quarantine: it is validated into the clip store
    now (raises `ClipRejected` with the retake message; the quarantined file is removed either
    way) and bound to this patient. A stored clip is returned only to a patient it is bound to.
    """
    quarantined = incoming_path(clip_id, media_dir)
    if quarantined is not None:
        try:
            stored: StoredClip = store_clip_file(quarantined, media_dir)
        except FileNotFoundError:  # the same bytes from another upload, stored a moment ago
            stored_path = clip_path(clip_id, media_dir)
            if stored_path is None:
                return None
            bind_clip(session, patient_id, clip_id, channel)
            return stored_path
        finally:
            quarantined.unlink(missing_ok=True)
        bind_clip(session, patient_id, stored.clip_id, channel)
        return stored.path
    if is_bound(session, patient_id, clip_id):
        return clip_path(clip_id, media_dir)
    return None


def discard_incoming(clip_id: str, media_dir: Path | None = None) -> None:
    """Drop a quarantined clip that will not be analysed (e.g. no clip consent)."""
    quarantined = incoming_path(clip_id, media_dir)
    if quarantined is not None:
        quarantined.unlink(missing_ok=True)
