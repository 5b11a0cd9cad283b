"""Loader for coach/content/clip_thresholds.yml: limits, gates, thresholds and messages."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

CONTENT_FILE = "clip_thresholds.yml"
DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
CONTENT_DIR_ENV = "CONTENT_DIR"
DIRECTIONS = ("increase", "decrease")

T = TypeVar("T")


class ConfigError(ValueError):
    """The clip thresholds file is missing a key or has an unknown one."""


@dataclass(frozen=True)
class Limits:
    """File and stream limits checked before and while decoding."""

    max_bytes: int
    header_bytes: int
    min_duration_s: float
    max_duration_s: float
    min_short_side_px: int
    min_fps: float
    max_fps: float
    min_decoded_fraction: float


@dataclass(frozen=True)
class Sampling:
    """Frame sampling and downscaling of the fast pipeline."""

    target_fps: float
    max_side_px: int
    luminance_stride_px: int


@dataclass(frozen=True)
class Mesh:
    """MediaPipe Face Mesh settings."""

    max_num_faces: int
    tracking: bool
    min_detection_confidence: float
    min_tracking_confidence: float


@dataclass(frozen=True)
class Quality:
    """Quality gates."""

    min_face_fraction: float
    max_multi_face_fraction: float
    min_luminance: float
    max_yaw_deg: float
    max_pitch_deg: float
    max_tilt_deg: float
    max_translation_icw: float
    max_roll_change_deg: float
    max_turn_change_deg: float
    max_scale_change: float
    max_motion_fraction: float
    max_eye_jitter_pct: float
    max_mouth_jitter_pct: float
    min_rest_aperture_icw: float


@dataclass(frozen=True)
class Phases:
    """Protocol phase segmentation."""

    smoothing_frames: int
    active_fraction: float
    hold_fraction: float
    min_phase_s: float
    min_rest_s: float
    quiet_fraction: float
    min_activity: dict[str, float]
    optional: list[str]


@dataclass(frozen=True)
class Flags:
    """Thresholds for the synkinesis and weakness flags."""

    ocular: dict[str, float]
    oral: dict[str, float]
    weakness: dict[str, Any]
    min_standard_errors: float


@dataclass(frozen=True)
class Sensitivity:
    """What the flag thresholds claim to catch; the test run checks it."""

    min_detection_rate: float
    max_false_positive_rate: float
    claimed_amplitude: dict[str, float]


@dataclass(frozen=True)
class Baseline:
    """Per-metric thresholds for a change against the baseline clip."""

    per_side: dict[str, dict[str, Any]]
    overall: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class KeyFrames:
    """Face crops kept per analysed frame for the therapist's key frames and the glasses check."""

    crop_margin: float
    crop_px: int
    jpeg_quality: int
    sheet_columns: int
    landmark_radius_px: int


@dataclass(frozen=True)
class Glasses:
    """Eyeglass frames recognised from the image at rest (see coach/clips/glasses.py)."""

    min_score: float
    min_frames: float
    band: dict[str, float]


@dataclass(frozen=True)
class Cli:
    """Command-line presentation."""

    progress_min_s: float
    progress_width: int


@dataclass(frozen=True)
class ClipConfig:
    """Everything in clip_thresholds.yml."""

    version: int
    limits: Limits
    sampling: Sampling
    mesh: Mesh
    quality: Quality
    phases: Phases
    flags: Flags
    sensitivity: Sensitivity
    baseline: Baseline
    key_frames: KeyFrames
    glasses: Glasses
    cli: Cli
    messages: dict[str, dict[str, str]]

    def retake_message(self, code: str) -> str:
        """Patient-facing retake message for a rejection or warning code."""
        return self.messages["retake"][code].strip()


def _section(cls: type[T], data: Any, name: str) -> T:
    """Build a section dataclass, failing on missing or unknown keys."""
    if not isinstance(data, dict):
        raise ConfigError(f"{CONTENT_FILE}: section {name!r} must be a mapping")
    expected = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    missing, unknown = expected - data.keys(), data.keys() - expected
    if missing or unknown:
        raise ConfigError(
            f"{CONTENT_FILE}: section {name!r} missing {sorted(missing)} unknown {sorted(unknown)}"
        )
    return cls(**data)


def content_path() -> Path:
    """Path of the thresholds file (CONTENT_DIR overrides the packaged content folder)."""
    folder = os.environ.get(CONTENT_DIR_ENV)
    return (Path(folder) if folder else DEFAULT_CONTENT_DIR) / CONTENT_FILE


def parse_config(data: dict[str, Any]) -> ClipConfig:
    """Validate a parsed thresholds mapping into a ClipConfig."""
    sections = {
        "limits": Limits,
        "sampling": Sampling,
        "mesh": Mesh,
        "quality": Quality,
        "phases": Phases,
        "flags": Flags,
        "sensitivity": Sensitivity,
        "baseline": Baseline,
        "key_frames": KeyFrames,
        "glasses": Glasses,
        "cli": Cli,
    }
    built = {name: _section(cls, data.get(name), name) for name, cls in sections.items()}
    baseline: Baseline = built["baseline"]  # type: ignore[assignment]
    for name, rule in {**baseline.per_side, **baseline.overall}.items():
        if rule.get("direction") not in DIRECTIONS or not rule.get("min_change", 0) > 0:
            raise ConfigError(
                f"{CONTENT_FILE}: baseline rule {name!r} needs a direction in "
                f"{DIRECTIONS} and a positive min_change"
            )
    return ClipConfig(version=int(data["version"]), messages=data["messages"], **built)


@lru_cache(maxsize=4)
def _load(path: Path) -> ClipConfig:
    """Parse one thresholds file (cached per path)."""
    with open(path, encoding="utf-8") as handle:
        return parse_config(yaml.safe_load(handle))


def load_config(path: Path | None = None) -> ClipConfig:
    """Load (cached) the clip thresholds from `path` or the content folder."""
    return _load(Path(path) if path is not None else content_path())
