"""Stable codes and the exception for clips that cannot be analysed."""

from __future__ import annotations

from enum import Enum
from typing import Any


class Code(str, Enum):
    """Why a clip was rejected (or partly measured); values are stable API."""

    TOO_LARGE = "too_large"
    EMPTY = "empty"
    NOT_A_VIDEO = "not_a_video"
    CORRUPT = "corrupt"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    LOW_RESOLUTION = "low_resolution"
    LOW_FRAME_RATE = "low_frame_rate"
    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"
    TOO_DARK = "too_dark"
    HEAD_POSE = "head_pose"
    HEAD_MOTION = "head_motion"
    PROTOCOL_INCOMPLETE = "protocol_incomplete"
    EYES_NOT_MEASURABLE = "eyes_not_measurable"
    GLASSES = "glasses"
    MOUTH_NOT_MEASURABLE = "mouth_not_measurable"
    PUCKER_NOT_SEEN = "pucker_not_seen"
    BROW_RAISE_NOT_SEEN = "brow_raise_not_seen"


class ClipRejected(Exception):
    """The clip cannot be analysed; `message` tells the patient how to retake it."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(code, message, details)
        self.code = Code(code).value
        self.message = message
        self.details = details or {}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (code, message, details)."""
        return {"code": self.code, "message": self.message, "details": self.details}


def reject(messages: dict[str, str], code: Code, **details: Any) -> ClipRejected:
    """A ClipRejected for `code` with its retake message from the content file."""
    return ClipRejected(code.value, messages[code.value].strip(), details)
