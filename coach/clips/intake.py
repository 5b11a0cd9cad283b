"""Receive an uploaded clip: cap, sniff and validate it, then keep it content-addressed.

Nothing is kept unless every check passes: the upload streams into a temporary file inside the
media folder (size capped while reading), is validated without decoding frames, and only then
is renamed to `clips/<aa>/<sha256>.<container>`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from coach.clips.config import ClipConfig, load_config
from coach.clips.errors import Code, reject
from coach.clips.validation import validate_clip
from coach.config import get_settings

CHUNK_BYTES = 1 << 20
CLIP_FOLDER = "clips"
PLOT_FOLDER = "clip-plots"


@dataclass(frozen=True)
class StoredClip:
    """A validated clip in the private media folder."""

    clip_id: str
    path: Path
    container: str


def _clips_dir(media_dir: Path | None) -> Path:
    folder = (media_dir or get_settings().media_dir) / CLIP_FOLDER
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def clip_path(clip_id: str, media_dir: Path | None = None) -> Path | None:
    """Where a stored clip lives, or None (ids are hex digests: nothing else is looked up)."""
    if len(clip_id) != 64 or any(c not in "0123456789abcdef" for c in clip_id):
        return None
    folder = _clips_dir(media_dir) / clip_id[:2]
    return next(iter(sorted(folder.glob(f"{clip_id}.*"))), None) if folder.exists() else None


def plot_path(clip_id: str, media_dir: Path | None = None) -> Path:
    """Where the therapist's PNG plot for a clip is kept (next to, not inside, the clips)."""
    folder = (media_dir or get_settings().media_dir) / PLOT_FOLDER / clip_id[:2]
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / f"{clip_id}.png"


def key_frames_path(clip_id: str, media_dir: Path | None = None) -> Path:
    """Where the therapist's key-frame PNG (one face per phase, landmarks drawn) is kept."""
    return key_frames_beside(plot_path(clip_id, media_dir))


def key_frames_beside(plot: Path) -> Path:
    """The key-frame PNG that goes with a plot file."""
    return plot.with_name(f"{plot.stem}.keyframes.png")


def store_clip(
    chunks: Iterable[bytes], media_dir: Path | None = None, config: ClipConfig | None = None
) -> StoredClip:
    """Validate and keep an upload given as byte chunks; raises `ClipRejected`."""
    config = config or load_config()
    folder = _clips_dir(media_dir)
    digest = hashlib.sha256()
    size = 0
    handle, temp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > config.limits.max_bytes:
                    raise reject(config.messages["retake"], Code.TOO_LARGE, size_bytes=size)
                digest.update(chunk)
                out.write(chunk)
        info = validate_clip(temp, config)
        clip_id = digest.hexdigest()
        final = folder / clip_id[:2] / f"{clip_id}.{info.container}"
        final.parent.mkdir(exist_ok=True, mode=0o700)
        os.replace(temp, final)
        return StoredClip(clip_id=clip_id, path=final, container=info.container)
    finally:
        temp.unlink(missing_ok=True)


def store_clip_file(path: Path, media_dir: Path | None = None) -> StoredClip:
    """`store_clip` for a file on disk (CLI, channels that download to a file)."""
    with open(path, "rb") as handle:
        return store_clip(iter(lambda: handle.read(CHUNK_BYTES), b""), media_dir)
