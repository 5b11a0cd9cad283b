"""Checks a clip before decoding (size, container bytes) and after opening (duration, size, fps)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.clips.config import ClipConfig
from coach.clips.decode import DecodeError, open_video, stream_info
from coach.clips.errors import Code, reject
from coach.media.sniff import sniff_container


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about the clip."""

    size_bytes: int
    container: str
    width: int
    height: int
    fps: float | None  # None: the container's rate is missing or implausible (timestamps rule)
    frame_count: int | None
    duration_s: float | None
    codec: str = ""


def check_file(path: Path, config: ClipConfig) -> tuple[int, str]:
    """Size and container checks on the raw file; returns (size, container)."""
    retake = config.messages["retake"]
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise reject(retake, Code.EMPTY, reason="missing") from exc
    if size == 0:
        raise reject(retake, Code.EMPTY)
    if size > config.limits.max_bytes:
        raise reject(retake, Code.TOO_LARGE, size_bytes=size, max_bytes=config.limits.max_bytes)
    with open(path, "rb") as handle:
        header = handle.read(config.limits.header_bytes)
    container = sniff_container(header)
    if container is None:
        raise reject(retake, Code.NOT_A_VIDEO)
    return size, container


def open_capture(path: Path, config: ClipConfig) -> Any:
    """The clip opened with PyAV (FFmpeg); an unreadable file is `corrupt`."""
    try:
        return open_video(path)
    except DecodeError as exc:
        raise reject(config.messages["retake"], Code.CORRUPT, reason="cannot open") from exc


def check_stream(capture: Any, size: int, container: str, config: ClipConfig) -> VideoInfo:
    """Duration, resolution and frame-rate checks on an opened clip."""
    retake, limits = config.messages["retake"], config.limits
    stream = stream_info(capture)
    width, height, fps = stream.width, stream.height, stream.fps
    count = stream.frame_count
    if width <= 0 or height <= 0:
        raise reject(retake, Code.CORRUPT, reason="no video stream")
    if min(width, height) < limits.min_short_side_px:
        raise reject(retake, Code.LOW_RESOLUTION, width=width, height=height)
    if not (fps and 0 < fps <= limits.max_fps):
        fps = None  # e.g. browser recordings with a 1 kHz time base: decoding will tell
    elif fps < limits.min_fps:
        raise reject(retake, Code.LOW_FRAME_RATE, fps=round(fps, 2))
    if fps is None or count is None or count <= 0:
        count = None
    duration = count / fps if count and fps else stream.duration_s
    if duration is not None:
        check_duration(duration, config)
    return VideoInfo(size, container, width, height, fps, count, duration, stream.codec)


def check_duration(duration_s: float, config: ClipConfig) -> None:
    """Duration within the configured range."""
    retake, limits = config.messages["retake"], config.limits
    if duration_s < limits.min_duration_s:
        raise reject(retake, Code.TOO_SHORT, duration_s=round(duration_s, 2))
    if duration_s > limits.max_duration_s:
        raise reject(retake, Code.TOO_LONG, duration_s=round(duration_s, 2))


def check_decoded(
    info: VideoInfo, frames_decoded: int, duration_s: float, config: ClipConfig
) -> None:
    """After decoding: enough readable frames, at a usable rate, for a usable duration."""
    retake, limits = config.messages["retake"], config.limits
    if frames_decoded == 0:
        raise reject(retake, Code.CORRUPT, reason="no decodable frame")
    if info.frame_count and frames_decoded < limits.min_decoded_fraction * info.frame_count:
        raise reject(
            retake, Code.CORRUPT, frames_decoded=frames_decoded, frame_count=info.frame_count
        )
    check_duration(duration_s, config)
    rate = frames_decoded / duration_s
    if rate < limits.min_fps:
        raise reject(retake, Code.LOW_FRAME_RATE, fps=round(rate, 2))


def validate_clip(path: Path, config: ClipConfig) -> VideoInfo:
    """All checks possible without decoding frames (file, container, then stream metadata)."""
    size, container = check_file(path, config)
    capture = open_capture(path, config)
    try:
        return check_stream(capture, size, container, config)
    finally:
        capture.close()
