"""Quality gates: light, one face found often enough, head pose and motion, eye stability."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from coach.clips.config import ClipConfig
from coach.clips.errors import Code, reject
from coach.clips.glasses import wears_glasses
from coach.clips.landmarks import FaceTrack
from coach.clips.phases import ProtocolPhases
from coach.clips.signals import SIDES, FaceSignals

MAD_TO_SD = 1.4826  # robust SD from the median absolute deviation (normal data)
MIN_JITTER_STEPS = 6  # fewer frame-to-frame steps at rest than this: use every hold too
STEP_MEDIAN_TO_SD = 1.665  # median length of the difference of two 2-D normal points / their SD


@dataclass
class QualityReport:
    """What the gates measured; `warnings` lists codes that left some metrics out."""

    face_fraction: float = 0.0
    multi_face_fraction: float = 0.0
    luminance: float = 0.0
    yaw_deg: float | None = None
    pitch_deg: float | None = None
    tilt_deg: float | None = None
    motion_fraction: float | None = None
    eye_jitter_pct: dict[str, float | None] = field(default_factory=dict)
    eyes_measurable: dict[str, bool] = field(default_factory=dict)
    mouth_jitter_pct: dict[str, float | None] = field(default_factory=dict)
    mouth_measurable: bool = True
    glasses: bool = False
    glasses_score: float | None = None
    warnings: list[str] = field(default_factory=list)


def check_light_and_faces(track: FaceTrack, config: ClipConfig, quality: QualityReport) -> None:
    """too_dark, no_face and multiple_faces gates (in that order)."""
    cfg, retake = config.quality, config.messages["retake"]
    n = max(1, len(track.times))
    quality.luminance = float(np.median(track.luminance)) if len(track.luminance) else 0.0
    quality.face_fraction = float(np.count_nonzero(track.face_counts > 0) / n)
    quality.multi_face_fraction = float(np.count_nonzero(track.face_counts > 1) / n)
    if quality.luminance < cfg.min_luminance:
        raise reject(retake, Code.TOO_DARK, luminance=round(quality.luminance, 1))
    if quality.face_fraction < cfg.min_face_fraction:
        raise reject(retake, Code.NO_FACE, face_fraction=round(quality.face_fraction, 3))
    if quality.multi_face_fraction > cfg.max_multi_face_fraction:
        raise reject(
            retake, Code.MULTIPLE_FACES, multi_face_fraction=round(quality.multi_face_fraction, 3)
        )


def check_head(signals: FaceSignals, config: ClipConfig, quality: QualityReport) -> None:
    """head_pose (turned away) and head_motion (moving during the clip) gates."""
    cfg, retake = config.quality, config.messages["retake"]
    valid = signals.valid
    yaw, pitch = signals.yaw_deg[valid], signals.pitch_deg[valid]
    roll = signals.roll_deg[valid]
    quality.yaw_deg = float(np.median(yaw))
    quality.pitch_deg = float(np.median(pitch))
    quality.tilt_deg = float(np.median(signals.tilt_deg[valid]))
    if (
        abs(quality.yaw_deg) > cfg.max_yaw_deg
        or abs(quality.pitch_deg) > cfg.max_pitch_deg
        or abs(quality.tilt_deg) > cfg.max_tilt_deg
    ):
        raise reject(
            retake,
            Code.HEAD_POSE,
            yaw_deg=round(quality.yaw_deg, 1),
            pitch_deg=round(quality.pitch_deg, 1),
            tilt_deg=round(quality.tilt_deg, 1),
        )
    moved = (
        (signals.translation_icw[valid] > cfg.max_translation_icw)
        | (np.abs(roll - np.median(roll)) > cfg.max_roll_change_deg)
        | (np.abs(yaw - quality.yaw_deg) > cfg.max_turn_change_deg)
        | (np.abs(pitch - quality.pitch_deg) > cfg.max_turn_change_deg)
        | (np.abs(signals.scale[valid] - 1) > cfg.max_scale_change)
    )
    quality.motion_fraction = float(np.mean(moved)) if len(moved) else 0.0
    if quality.motion_fraction > cfg.max_motion_fraction:
        raise reject(retake, Code.HEAD_MOTION, motion_fraction=round(quality.motion_fraction, 3))


def eye_jitter_pct(aperture: np.ndarray, phases: ProtocolPhases) -> float | None:
    """Robust SD (% of rest) of frame-to-frame lid-distance changes while the face rests.

    Only rest frames count: during a movement's hold a synkinetic eye is still narrowing,
    which is the sign being measured, not landmark noise. A short rest falls back to every
    phase's hold.
    """
    rest = float(np.nanmedian(aperture[phases.rest.hold]))
    if not rest > 0:
        return None
    diffs = _steps(aperture, [phases.rest.hold])
    if len(diffs) < MIN_JITTER_STEPS:
        diffs = _steps(aperture, [segment.hold for segment in phases.ordered()])
    diffs = diffs / rest * 100
    if len(diffs) == 0:
        return None
    mad = float(np.median(np.abs(diffs - np.median(diffs))))
    return MAD_TO_SD * mad / math.sqrt(2)


def _steps(values: np.ndarray, frame_sets: list[np.ndarray]) -> np.ndarray:
    """Finite differences between consecutive analysed frames inside each frame set."""
    steps = []
    for frames in frame_sets:
        pairs = frames[1:][np.diff(frames) == 1]
        steps.append(values[pairs] - values[pairs - 1])
    joined = np.concatenate(steps) if steps else np.array([])
    return joined[np.isfinite(joined)]


def check_glasses(
    track: FaceTrack, phases: ProtocolPhases, config: ClipConfig, quality: QualityReport
) -> None:
    """Glasses seen in the image at rest: eyes not measurable (mouth and brows still are)."""
    quality.glasses, quality.glasses_score = wears_glasses(
        track.crops, track.points, phases.rest.hold, config
    )
    if quality.glasses:
        quality.eyes_measurable = {side: False for side in SIDES}
        quality.warnings.append(Code.GLASSES.value)


def check_eyes(
    signals: FaceSignals, phases: ProtocolPhases, config: ClipConfig, quality: QualityReport
) -> None:
    """Per eye: stable, open-enough lids at rest, else that eye's metrics are left out."""
    cfg = config.quality
    for side in SIDES:
        aperture = signals.aperture[side]
        jitter = eye_jitter_pct(aperture, phases)
        rest = float(np.nanmedian(aperture[phases.rest.hold]))
        quality.eye_jitter_pct[side] = jitter
        quality.eyes_measurable[side] = (
            jitter is not None
            and jitter <= cfg.max_eye_jitter_pct
            and rest >= cfg.min_rest_aperture_icw
        )
    if quality.glasses:
        quality.eyes_measurable = {side: False for side in SIDES}
    elif not all(quality.eyes_measurable.values()):
        quality.warnings.append(Code.EYES_NOT_MEASURABLE.value)


def mouth_jitter_pct(corner: np.ndarray, phases: ProtocolPhases) -> float | None:
    """Robust per-frame SD (% ICW) of a mouth corner's position while the face rests."""
    steps = _vector_steps(corner, [phases.rest.hold])
    if len(steps) < MIN_JITTER_STEPS:
        steps = _vector_steps(corner, [segment.hold for segment in phases.ordered()])
    if len(steps) == 0:
        return None
    return 100 * float(np.median(np.hypot(*steps.T))) / STEP_MEDIAN_TO_SD


def _vector_steps(points: np.ndarray, frame_sets: list[np.ndarray]) -> np.ndarray:
    """Frame-to-frame moves of a 2-D point inside each frame set (finite ones)."""
    steps = [
        points[pairs] - points[pairs - 1]
        for frames in frame_sets
        for pairs in [frames[1:][np.diff(frames) == 1]]
    ]
    joined = np.concatenate(steps) if steps else np.empty((0, 2))
    return joined[np.isfinite(joined).all(axis=1)]


def check_mouth(
    signals: FaceSignals, phases: ProtocolPhases, config: ClipConfig, quality: QualityReport
) -> None:
    """Mouth corners steady at rest, else oral synkinesis is left out (a moustache or beard
    can hide the corners; smile and pucker excursions are large enough to keep)."""
    for side in SIDES:
        quality.mouth_jitter_pct[side] = mouth_jitter_pct(signals.corner_lower[side], phases)
    jitters = [v for v in quality.mouth_jitter_pct.values() if v is not None]
    quality.mouth_measurable = len(jitters) == len(SIDES) and (
        max(jitters) <= config.quality.max_mouth_jitter_pct
    )
    if not quality.mouth_measurable:
        quality.warnings.append(Code.MOUTH_NOT_MEASURABLE.value)
