"""Decodes a clip with PyAV (FFmpeg's libraries): upright frames and their real timestamps.

Phones store portrait video sideways with a rotation in the container (display matrix) and
often record at a variable frame rate; OpenCV's reader hides both. Here every frame is turned
upright (and un-mirrored when the display matrix says it was flipped) and carries its own
presentation time in seconds from the first frame.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

QUARTER_TURN_DEG = 90
DISPLAY_MATRIX = "DISPLAYMATRIX"
MATRIX_FORMAT = "<9i"  # FFmpeg's display matrix: 3×3 int32, 16.16 fixed point for a, b, c, d
MATRIX_BYTES = struct.calcsize(MATRIX_FORMAT)
CV2_TURNS = {  # counter-clockwise quarter turns → cv2.rotate code
    1: cv2.ROTATE_90_COUNTERCLOCKWISE,
    2: cv2.ROTATE_180,
    3: cv2.ROTATE_90_CLOCKWISE,
}
DECODE_ERRORS = (av.error.FFmpegError, ValueError, OSError)


class DecodeError(Exception):
    """The file cannot be opened or has no video stream."""


@dataclass(frozen=True)
class Orientation:
    """How stored frames become upright: quarter turns counter-clockwise, then a mirror flip."""

    quarter_turns: int = 0
    mirrored: bool = False

    @property
    def degrees(self) -> int:
        """Counter-clockwise rotation applied to the stored frames."""
        return QUARTER_TURN_DEG * self.quarter_turns

    def upright(self, frame: np.ndarray) -> np.ndarray:
        """The frame turned upright (contiguous)."""
        if self.quarter_turns:
            frame = cv2.rotate(frame, CV2_TURNS[self.quarter_turns])
        if self.mirrored:
            frame = cv2.flip(frame, 1)
        return frame

    def size(self, width: int, height: int) -> tuple[int, int]:
        """Display (upright) size of a stored width × height."""
        return (height, width) if self.quarter_turns % 2 else (width, height)


def orientation_from_matrix(raw: bytes) -> Orientation:
    """Quarter turns and mirroring from FFmpeg display-matrix side data."""
    if len(raw) < MATRIX_BYTES:
        return Orientation()
    a, b, _, c, d, *_ = struct.unpack(MATRIX_FORMAT, raw[:MATRIX_BYTES])
    mirrored = a * d - b * c < 0
    if mirrored:
        a, c = -a, -c
    # FFmpeg (av_display_rotation_get): the display turns the stored frame counter-clockwise
    # by -atan2(b, a) degrees; np.rot90 turns counter-clockwise by quarter turns.
    angle = -math.degrees(math.atan2(b, a))
    return Orientation(quarter_turns=round(angle / QUARTER_TURN_DEG) % 4, mirrored=mirrored)


def frame_orientation(frame: av.VideoFrame) -> Orientation:
    """The orientation a decoded frame carries (display matrix side data), upright if none."""
    try:
        side = frame.side_data.get(DISPLAY_MATRIX)
    except (KeyError, ValueError):
        side = None
    return orientation_from_matrix(bytes(side)) if side is not None else Orientation()


@dataclass(frozen=True)
class StreamInfo:
    """What the container says about the video stream (sizes are the stored frame's)."""

    width: int
    height: int
    fps: float | None
    frame_count: int | None
    duration_s: float | None
    codec: str


def open_video(path: Path) -> Any:
    """An opened PyAV container with a video stream; raises DecodeError."""
    try:
        container = av.open(str(path), mode="r")
    except DECODE_ERRORS as exc:
        raise DecodeError(str(exc)) from exc
    if not container.streams.video:
        container.close()
        raise DecodeError("no video stream")
    return container


def stream_info(container: Any) -> StreamInfo:
    """Size, nominal rate, frame count and duration of the first video stream."""
    stream = container.streams.video[0]
    rate = stream.average_rate or stream.guessed_rate
    fps = float(rate) if rate else None
    duration = None
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration:
        duration = container.duration / av.time_base
    return StreamInfo(
        width=int(stream.codec_context.width or 0),
        height=int(stream.codec_context.height or 0),
        fps=fps,
        frame_count=int(stream.frames) if stream.frames else None,
        duration_s=duration,
        codec=stream.codec_context.name,
    )


FFMPEG_TURNS = {  # counter-clockwise quarter turns → FFmpeg filters (same pixels as CV2_TURNS)
    1: "transpose=cclock",
    2: "hflip,vflip",
    3: "transpose=clock",
}


class UprightConverter:
    """Upright RGB pixels of decoded frames. A turned or mirrored frame goes through one FFmpeg
    filter graph (turn/flip on the YUV planes, then RGB): half the bytes a turn of the RGB image
    moves. Built on the first frame, rebuilt if the stored size or pixel format changes."""

    def __init__(self, orientation: Orientation) -> None:
        self.orientation = orientation
        filters = [FFMPEG_TURNS[orientation.quarter_turns]] if orientation.quarter_turns else []
        self._filters = ",".join(filters + (["hflip"] if orientation.mirrored else []))
        self._graph: Any = None
        self._geometry: tuple[int, int, str] | None = None

    def rgb(self, frame: av.VideoFrame) -> np.ndarray:
        """The frame's upright RGB pixels (contiguous uint8)."""
        if not self._filters:
            return frame.to_ndarray(format="rgb24")
        geometry = (frame.width, frame.height, frame.format.name)
        if geometry != self._geometry:
            self._graph, self._geometry = self._build(frame), geometry
        self._graph.push(frame)
        return self._graph.pull().to_ndarray()

    def _build(self, frame: av.VideoFrame) -> Any:
        graph = av.filter.Graph()
        source = graph.add_buffer(
            width=frame.width,
            height=frame.height,
            format=frame.format.name,
            time_base=frame.time_base or Fraction(1, 1),
        )
        chain = [source, *(graph.add(*item.split("=", 1)) for item in self._filters.split(","))]
        chain += [graph.add("format", "rgb24"), graph.add("buffersink")]
        for upstream, downstream in zip(chain[:-1], chain[1:], strict=True):
            upstream.link_to(downstream)
        graph.configure()
        return graph


@dataclass
class DecodedFrame:
    """One decoded frame: its time from the first frame and a way to get its upright pixels."""

    time_s: float
    frame: av.VideoFrame
    orientation: Orientation
    converter: UprightConverter | None = None

    def rgb(self) -> np.ndarray:
        """Upright RGB pixels (contiguous uint8), converted only when asked."""
        if self.converter is None:
            self.converter = UprightConverter(self.orientation)
        return np.ascontiguousarray(self.converter.rgb(self.frame))


def iter_frames(container: Any, fallback_fps: float) -> Iterator[DecodedFrame]:
    """Decoded frames in presentation order with increasing times; stops at a broken packet."""
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    interval = 1.0 / fallback_fps
    first: float | None = None
    last = -math.inf
    converter: UprightConverter | None = None
    try:
        for frame in container.decode(stream):
            raw = frame.time
            if raw is not None and first is None:
                first = raw
            t = raw - first if raw is not None and first is not None else None
            if t is None or not t > last:
                t = last + interval if last > -math.inf else 0.0
            last = t
            if converter is None:
                converter = UprightConverter(frame_orientation(frame))
            yield DecodedFrame(t, frame, converter.orientation, converter)
    except DECODE_ERRORS:
        return
