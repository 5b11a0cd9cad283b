"""Clip images for the portal: signed, short-lived URLs, checked again against the viewer.

Each kind of image is one entry in `MEDIA_KINDS`: a function from the analysis row to the file
(or None when it does not exist). A new image (e.g. a key frame per protocol phase) is one more
entry; the route, the signature and the access check stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from coach.clips.intake import PLOT_FOLDER, key_frames_beside
from coach.config import get_settings
from coach.portal.signing import BadSignature, sign, unsign
from coach.storage.models import ClipAnalysis

PURPOSE = "media"
CLIP_ID = re.compile(r"^[0-9a-f]{16,64}$")


def _plot_location(analysis: ClipAnalysis) -> Path | None:
    """Where the plot of an analysis would be (only for well-formed clip ids)."""
    if not CLIP_ID.match(analysis.clip_id or ""):
        return None
    media = get_settings().media_dir
    return media / PLOT_FOLDER / analysis.clip_id[:2] / f"{analysis.clip_id}.png"


def _existing(path: Path | None) -> Path | None:
    return path if path is not None and path.is_file() else None


def _plot(analysis: ClipAnalysis) -> Path | None:
    return _existing(_plot_location(analysis))


def _key_frames(analysis: ClipAnalysis) -> Path | None:
    location = _plot_location(analysis)
    return _existing(key_frames_beside(location) if location else None)


MEDIA_KINDS: dict[str, Callable[[ClipAnalysis], Path | None]] = {
    "plot": _plot,
    "key_frames": _key_frames,
}
# Key frames show the patient's face: clinicians only. A caregiver with clip consent sees the plot.
CLINICIAN_ONLY_KINDS = frozenset({"key_frames"})
MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def media_url(analysis_id: int, kind: str, user_id: int, ttl_s: float) -> str:
    """A URL for one image, valid for `ttl_s` seconds and only for the user it was made for."""
    token = sign(PURPOSE, {"a": analysis_id, "k": kind, "u": user_id}, ttl_s)
    return f"/media/clips/{analysis_id}/{kind}?sig={token}"


def check_media_token(token: str, analysis_id: int, kind: str, user_id: int) -> bool:
    """True when `token` was made for this image and this user and has not expired."""
    try:
        claims = unsign(PURPOSE, token)
    except BadSignature:
        return False
    return claims == {"a": analysis_id, "k": kind, "u": user_id}


def kind_allowed(kind: str, role: str) -> bool:
    """Whether a portal role may see an image kind at all (faces are for clinicians only)."""
    return kind in MEDIA_KINDS and (role != "caregiver" or kind not in CLINICIAN_ONLY_KINDS)


def media_file(analysis: ClipAnalysis, kind: str) -> Path | None:
    """The file of one image kind for an analysis, if it exists."""
    finder = MEDIA_KINDS.get(kind)
    return finder(analysis) if finder else None


def available_kinds(analysis: ClipAnalysis, role: str) -> list[str]:
    """The image kinds that exist for an analysis and that `role` may see."""
    return [
        kind
        for kind in MEDIA_KINDS
        if kind_allowed(kind, role) and media_file(analysis, kind) is not None
    ]
