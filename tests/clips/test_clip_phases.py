"""Phases come from the signals: a clip with unusual timings is segmented where it moved."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.clips.analysis import analyze_clip

from . import clip_factory as cf
from .conftest import FPS

# Longer rest, short closure, long smile, gaps of different lengths: nothing at fixed times.
UNUSUAL = {
    "rest": 3.2,
    "gap": 1.1,
    "holds": {"eye_closure": 0.7, "smile": 2.2, "pucker": 1.4, "brow_raise": 0.9},
}
TOLERANCE_FRAMES = 2  # analysed frames


@pytest.fixture(scope="module")
def unusual_protocol() -> cf.Protocol:
    return cf.protocol(**UNUSUAL)


@pytest.fixture(scope="module")
def unusual_clip(clip_dir: Path, unusual_protocol: cf.Protocol) -> Path:
    return cf.protocol_clip(clip_dir / "unusual_timing.mp4", unusual_protocol, fps=FPS)


def test_phases_follow_the_movements_not_the_clock(
    unusual_clip: Path, unusual_protocol: cf.Protocol
) -> None:
    report = analyze_clip(unusual_clip)
    tolerance = TOLERANCE_FRAMES / report.clip.analysis_fps
    detected = {p["name"]: p for p in report.phases}
    assert list(detected) == ["rest", "eye_closure", "smile", "pucker", "brow_raise"]
    for spec in unusual_protocol.phases:
        found = detected[spec.name]
        # Detected window starts during the ramp-in and ends during the ramp-out ...
        assert spec.start - tolerance <= found["start_s"] <= spec.hold_start + tolerance
        assert spec.hold_end - tolerance <= found["end_s"] <= spec.end + tolerance
    rest = detected["rest"]
    first = unusual_protocol.phases[0]
    assert rest["start_s"] == 0.0
    assert rest["end_s"] <= first.start + tolerance
    assert rest["end_s"] >= first.start - 2 * tolerance
