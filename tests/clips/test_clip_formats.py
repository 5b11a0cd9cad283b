"""Containers are recognised by their bytes; phone quirks: rotation flags, variable frame rate."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from coach.clips.analysis import analyze_clip
from coach.clips.config import ClipConfig
from coach.clips.decode import Orientation, UprightConverter, open_video, orientation_from_matrix
from coach.clips.errors import ClipRejected, Code

from . import clip_factory as cf
from .conftest import FPS, HEALTHY_SMILE_NARROWING, SIZE

WEBM_CODEC = "libvpx"  # VP8, as browsers record
MAX_GAP_POINTS = 3.0


def test_webm_clip_gives_the_same_result_as_mp4(
    clip_dir: Path, healthy_clip: Path, analysed
) -> None:
    narrowing = (HEALTHY_SMILE_NARROWING, HEALTHY_SMILE_NARROWING)
    face = cf.face_image(*SIZE)
    frames = cf.frames(face, cf.protocol(smile_eye=narrowing), FPS)  # the mp4's very frames
    webm = cf.write_av(clip_dir / "healthy.webm", frames, FPS, codec=WEBM_CODEC)
    assert webm.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"
    report, mp4 = analysed(webm), analysed(healthy_clip)
    assert report.clip.container == "webm" and mp4.clip.container == "mp4"
    assert report.status == "ok"
    assert report.to_dict()["flags"] == mp4.to_dict()["flags"]
    # Mouth and brow readings agree across codecs; eye readings of a *rendered* lid closure
    # shift with the codec's compression (up to ~12 points on eye closure here), so they are
    # not compared: the warp is not a real eyelid.
    for name in ("mouth_excursion_smile_pct", "mouth_excursion_pucker_pct", "brow_raise_pct"):
        for side in ("right", "left"):
            key = f"{name}.{side}"
            assert abs(report.metrics[key] - mp4.metrics[key]) <= MAX_GAP_POINTS, key


PORTRAIT = (360, 640)
IDENTITY_MATRIX = (65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30)


@pytest.mark.parametrize(
    ("matrix", "turns", "mirrored"),
    [
        ((65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30), 0, False),
        ((0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30), 3, False),  # shown turned 90° clockwise
        ((0, -65536, 0, 65536, 0, 0, 0, 0, 1 << 30), 1, False),
        ((-65536, 0, 0, 0, -65536, 0, 0, 0, 1 << 30), 2, False),
        ((-65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30), 0, True),  # a horizontal flip
    ],
)
def test_display_matrix_gives_the_turn_and_the_flip(
    matrix: tuple[int, ...], turns: int, mirrored: bool
) -> None:
    orientation = orientation_from_matrix(struct.pack("<9i", *matrix))
    assert (orientation.quarter_turns, orientation.mirrored) == (turns, mirrored)


@pytest.fixture(scope="module")
def sideways_clips(clip_dir: Path) -> dict[str, Path]:
    """A portrait H.264 clip stored sideways with the phone's rotation flag, and the same
    bytes with the flag cleared (the face really lies on its side)."""
    face = cf.face_image(*PORTRAIT, "astronaut")
    narrowing = (HEALTHY_SMILE_NARROWING, HEALTHY_SMILE_NARROWING)
    flagged = cf.write_av(
        clip_dir / "portrait_sideways.mp4",
        cf.frames(face, cf.protocol(smile_eye=narrowing), FPS),
        FPS,
        stored_sideways=True,
    )
    unflagged = clip_dir / "portrait_sideways_noflag.mp4"
    unflagged.write_bytes(flagged.read_bytes())
    cf.set_track_matrix(unflagged, IDENTITY_MATRIX)
    return {"flagged": flagged, "unflagged": unflagged}


def test_portrait_clip_stored_sideways_is_turned_upright_and_measured(
    sideways_clips: dict[str, Path], analysed
) -> None:
    report = analysed(sideways_clips["flagged"])
    assert report.clip.rotation_deg == 270
    assert (report.clip.width, report.clip.height) == (PORTRAIT[1], PORTRAIT[0])  # as stored
    assert (report.clip.analysis_width, report.clip.analysis_height) == PORTRAIT  # upright
    assert report.status == "ok"
    assert report.flags.ocular_synkinesis == [] and report.flags.weakness == []
    assert abs(report.quality.tilt_deg) < 10


def test_face_still_on_its_side_is_refused_by_the_pose_gate(
    sideways_clips: dict[str, Path], config: ClipConfig
) -> None:
    with pytest.raises(ClipRejected) as caught:
        analyze_clip(sideways_clips["unflagged"])
    assert caught.value.code in (Code.HEAD_POSE.value, Code.NO_FACE.value)
    if caught.value.code == Code.HEAD_POSE.value:
        assert abs(caught.value.details["tilt_deg"]) > config.quality.max_tilt_deg


def test_variable_frame_rate_keeps_real_time(clip_dir: Path, analysed) -> None:
    """Frames arrive at irregular intervals; phases are placed by their real timestamps."""
    protocol = cf.protocol()
    times = cf.variable_times(FPS, jitter=0.45, seed=3)
    face = cf.face_image(480, 480, "astronaut")
    clip = cf.write_av(
        clip_dir / "vfr.mp4", cf.frames(face, protocol, FPS, times=times), FPS, times=times
    )
    report = analysed(clip)
    detected = {p["name"]: p for p in report.phases}
    for spec in protocol.phases:
        assert spec.start - 0.3 <= detected[spec.name]["start_s"] <= spec.hold_start + 0.3
    assert abs(report.clip.duration_s - protocol.duration) < 0.5


@pytest.fixture(scope="module")
def small_clips(clip_dir: Path) -> dict[str, Path]:
    """Three frames of a face as limited-range 4:2:0 H.264 and as full-range (yuvj) MJPEG."""
    face = cf.face_image(96, 128, "astronaut").rgb
    frames = [np.roll(face, shift, axis=1) for shift in (0, 3, 6)]
    made = {}
    for name, codec, suffix in (("h264", "libx264", ".mp4"), ("mjpeg", "mjpeg", ".avi")):
        made[name] = cf.write_av(clip_dir / f"small_{name}{suffix}", iter(frames), FPS, codec=codec)
    return made


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
@pytest.mark.parametrize("mirrored", [False, True])
@pytest.mark.parametrize("clip", ["h264", "mjpeg"])
def test_ffmpeg_upright_conversion_gives_the_same_pixels_as_turning_the_rgb_image(
    small_clips: dict[str, Path], clip: str, turns: int, mirrored: bool
) -> None:
    orientation = Orientation(quarter_turns=turns, mirrored=mirrored)
    converter = UprightConverter(orientation)
    container = open_video(small_clips[clip])
    try:
        frames = list(container.decode(container.streams.video[0]))
        assert len(frames) == 3
        for frame in frames:
            expected = orientation.upright(frame.to_ndarray(format="rgb24"))
            assert np.array_equal(converter.rgb(frame), expected)
    finally:
        container.close()
