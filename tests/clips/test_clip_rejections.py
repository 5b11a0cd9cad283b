"""Case 5: unusable clips each give their own code and retake message, and nothing is written."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from coach.clips import cli
from coach.clips.analysis import analyze_clip
from coach.clips.config import ClipConfig
from coach.clips.errors import ClipRejected, Code
from coach.clips.quality import QualityReport, check_head
from coach.clips.signals import FaceSignals
from coach.clips.validation import sniff_container

from . import clip_factory as cf
from .conftest import DARK_FACTOR, FPS

SHORT_SECONDS = 2.0
LONG_SECONDS = 61.0
LONG_FPS = 10.0
LONG_SIZE = 256
LOW_FPS = 5.0
TINY_SIZE = 160
RANDOM_BYTES = 200_000


def _mp4_header() -> bytes:
    return b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"


def _still_size(rgb: np.ndarray, size: int) -> np.ndarray:
    return np.ascontiguousarray(cv2.resize(rgb, (size, size)))


@pytest.fixture(scope="session")
def bad_clips(
    clip_dir: Path,
    face: cf.FaceImage,
    still_face_clip: Callable[..., Path],
    healthy_clip: Path,
    config: ClipConfig,
) -> dict[str, Path]:
    """One clip per rejection code."""
    folder = clip_dir / "bad"
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)

    empty = folder / "empty.mp4"
    empty.write_bytes(b"")
    oversized = folder / "oversized.mp4"
    with open(oversized, "wb") as handle:  # sparse: takes no disk space
        handle.write(_mp4_header())
        handle.truncate(config.limits.max_bytes + 1)
    renamed = folder / "photo.mp4"
    ok, png = cv2.imencode(".png", face.rgb)
    assert ok
    renamed.write_bytes(png.tobytes())
    corrupt = folder / "corrupt.mp4"
    corrupt.write_bytes(
        _mp4_header() + rng.integers(0, 256, RANDOM_BYTES, dtype=np.uint8).tobytes()
    )
    truncated = folder / "truncated.mp4"
    truncated.write_bytes(healthy_clip.read_bytes()[: healthy_clip.stat().st_size // 2])

    gradient = np.tile(np.linspace(0, 255, 480, dtype=np.uint8)[None, :, None], (480, 1, 3))
    return {
        Code.EMPTY.value: empty,
        Code.TOO_LARGE.value: oversized,
        Code.NOT_A_VIDEO.value: renamed,
        Code.CORRUPT.value: corrupt,
        "corrupt_truncated": truncated,
        Code.TOO_SHORT.value: still_face_clip("short", seconds=SHORT_SECONDS),
        Code.TOO_LONG.value: still_face_clip(
            "long", _still_size(face.rgb, LONG_SIZE), seconds=LONG_SECONDS, fps=LONG_FPS
        ),
        Code.LOW_RESOLUTION.value: still_face_clip("tiny", _still_size(face.rgb, TINY_SIZE)),
        Code.LOW_FRAME_RATE.value: still_face_clip("choppy", fps=LOW_FPS),
        Code.NO_FACE.value: still_face_clip("coffee", np.ascontiguousarray(data.coffee())),
        "no_face_gradient": still_face_clip("gradient", gradient),
        Code.MULTIPLE_FACES.value: still_face_clip("two_faces", cf.two_faces_image()),
        Code.TOO_DARK.value: still_face_clip(
            "dark", (face.rgb.astype(np.float32) * DARK_FACTOR).astype(np.uint8)
        ),
    }


CASES = [
    (Code.EMPTY.value, Code.EMPTY),
    (Code.TOO_LARGE.value, Code.TOO_LARGE),
    (Code.NOT_A_VIDEO.value, Code.NOT_A_VIDEO),
    (Code.CORRUPT.value, Code.CORRUPT),
    ("corrupt_truncated", Code.CORRUPT),
    (Code.TOO_SHORT.value, Code.TOO_SHORT),
    (Code.TOO_LONG.value, Code.TOO_LONG),
    (Code.LOW_RESOLUTION.value, Code.LOW_RESOLUTION),
    (Code.LOW_FRAME_RATE.value, Code.LOW_FRAME_RATE),
    (Code.NO_FACE.value, Code.NO_FACE),
    ("no_face_gradient", Code.NO_FACE),
    (Code.MULTIPLE_FACES.value, Code.MULTIPLE_FACES),
    (Code.TOO_DARK.value, Code.TOO_DARK),
]


@pytest.mark.parametrize(("clip", "code"), CASES, ids=[c[0] for c in CASES])
def test_bad_clip_gets_its_code_and_retake_message(
    clip: str, code: Code, bad_clips: dict[str, Path], config: ClipConfig
) -> None:
    with pytest.raises(ClipRejected) as caught:
        analyze_clip(bad_clips[clip])
    assert caught.value.code == code.value
    assert caught.value.message == config.messages["retake"][code.value].strip()
    assert len(caught.value.message) > 20


@pytest.mark.parametrize(("clip", "code"), CASES, ids=[c[0] for c in CASES])
def test_bad_clip_through_the_cli_writes_nothing(
    clip: str,
    code: Code,
    bad_clips: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    config: ClipConfig,
) -> None:
    before = sorted(os.listdir(bad_clips[clip].parent))
    out_json, out_png = tmp_path / "out.json", tmp_path / "out.png"
    status = cli.main([str(bad_clips[clip]), "--json", str(out_json), "--plot", str(out_png)])
    assert status == cli.EXIT_REJECTED
    assert list(tmp_path.iterdir()) == []
    assert sorted(os.listdir(bad_clips[clip].parent)) == before
    err = capsys.readouterr().err
    assert f"[{code.value}]" in err
    assert config.messages["retake"][code.value].strip() in err


def test_head_motion_is_rejected(head_motion_clip: Path, config: ClipConfig) -> None:
    with pytest.raises(ClipRejected) as caught:
        analyze_clip(head_motion_clip)
    assert caught.value.code == Code.HEAD_MOTION.value
    assert caught.value.details["motion_fraction"] > config.quality.max_motion_fraction


def test_missing_smile_is_refused_naming_the_smile(
    clip_dir: Path, face: cf.FaceImage, config: ClipConfig
) -> None:
    clip = cf.protocol_clip(
        clip_dir / "no_smile.mp4", cf.protocol(smile_corner=(0.0, 0.0)), fps=FPS
    )
    with pytest.raises(ClipRejected) as caught:
        analyze_clip(clip)
    assert caught.value.code == Code.PROTOCOL_INCOMPLETE.value
    assert caught.value.details == {"missing": "smile"}
    assert caught.value.message.startswith(config.messages["missing"]["smile"].strip())
    assert "without forcing" in caught.value.message


def test_missing_pucker_leaves_only_the_pucker_out(
    clip_dir: Path, face: cf.FaceImage, config: ClipConfig
) -> None:
    clip = cf.protocol_clip(
        clip_dir / "no_pucker.mp4", cf.protocol(pucker_corner=(0.0, 0.0)), fps=FPS
    )
    report = analyze_clip(clip)
    assert report.status == "partial"
    assert report.quality.warnings == ["pucker_not_seen"]
    assert [p["name"] for p in report.phases] == [
        "rest",
        "eye_closure",
        "smile",
        "brow_raise",
    ]
    assert report.metrics["eye_narrowing_pucker_pct.right"] is None
    assert report.metrics["eye_narrowing_smile_pct.right"] is not None
    assert report.metrics["brow_raise_pct.left"] is not None
    assert config.retake_message("pucker_not_seen") in report.patient_message


def test_unstable_eye_landmarks_leave_that_eye_not_measurable(
    eye_jitter_clip: Path, analysed, config: ClipConfig
) -> None:
    report = analysed(eye_jitter_clip)
    assert report.status == "partial"
    assert report.quality.warnings == [Code.EYES_NOT_MEASURABLE.value]
    assert report.quality.eyes_measurable == {"right": False, "left": True}
    assert report.quality.eye_jitter_pct["right"] > config.quality.max_eye_jitter_pct
    for name in ("eye_closure_pct", "eye_narrowing_smile_pct", "eye_narrowing_pucker_pct"):
        assert report.metrics[f"{name}.right"] is None
        assert report.metrics[f"{name}.left"] is not None
    assert report.metrics["ocular_synkinesis_score"] is None
    assert report.metrics["mouth_excursion_smile_pct.right"] is not None
    assert all(v is None for v in report.series.eye_aperture_pct["right"])
    assert config.messages["retake"]["eyes_not_measurable"].strip() in report.patient_message


def test_rejection_survives_pickling_for_process_pools() -> None:
    error = ClipRejected("too_dark", "Please face a window.", {"luminance": 12.0})
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.message, copy.details) == (
        "too_dark",
        "Please face a window.",
        {"luminance": 12.0},
    )
    with pytest.raises(ValueError):
        ClipRejected("not_a_code", "x")


@pytest.mark.parametrize(
    ("header", "container"),
    [
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "mov"),
        (b"\x00\x00\x00\x08wide\x00\x00\x00\x00", "mov"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "webm"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", "mkv"),
        (b"RIFF\x00\x10\x00\x00AVI LIST", "avi"),
        (b"RIFF\x00\x10\x00\x00WAVEfmt ", None),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None),
        (b"<html><body>video</body>", None),
    ],
)
def test_container_is_sniffed_from_bytes(header: bytes, container: str | None) -> None:
    assert sniff_container(header) == container


def _still_signals(yaw_deg: float, samples: int = 30) -> FaceSignals:
    """Signals of a motionless face turned by yaw_deg."""
    ones = np.ones(samples)
    return FaceSignals(
        times=np.arange(samples) / FPS,
        valid=np.ones(samples, dtype=bool),
        aperture={},
        corner={},
        corner_lower={},
        brow={},
        mouth_width=ones,
        yaw_deg=ones * yaw_deg,
        pitch_deg=ones * 0.0,
        roll_deg=ones * 0.0,
        tilt_deg=ones * 0.0,
        translation_icw=ones * 0.0,
        scale=ones,
    )


def test_a_turned_head_is_head_pose(config: ClipConfig) -> None:
    check_head(_still_signals(yaw_deg=0.0), config, QualityReport())
    turned = config.quality.max_yaw_deg + 10
    with pytest.raises(ClipRejected) as caught:
        check_head(_still_signals(yaw_deg=turned), config, QualityReport())
    assert caught.value.code == Code.HEAD_POSE.value
    assert caught.value.details["yaw_deg"] == turned
