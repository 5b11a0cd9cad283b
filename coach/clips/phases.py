"""Finds rest → gentle eye closure → smile → lip pucker → brow raise from the signals.

Each movement's activity is taken from whichever side moves more, so a clip of a face with one
weak side (the condition every patient has) is segmented from its moving side.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from coach.clips.config import ClipConfig
from coach.clips.errors import ClipRejected, Code
from coach.clips.signals import OUTWARD_X, SIDES, FaceSignals

REST = "rest"
PROTOCOL = ("eye_closure", "smile", "pucker", "brow_raise")


@dataclass(frozen=True)
class Segment:
    """One phase: its frames [start, end) and the frames at its peak (`hold`)."""

    name: str
    start: int
    end: int
    hold: np.ndarray
    start_s: float
    end_s: float

    def to_dict(self) -> dict[str, float | str]:
        """JSON form: name and times in seconds."""
        return {"name": self.name, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3)}


@dataclass(frozen=True)
class ProtocolPhases:
    """The detected rest frames and the four movement phases, in protocol order."""

    rest: Segment
    movements: dict[str, Segment]

    def ordered(self) -> list[Segment]:
        """Rest first, then the movements in protocol order."""
        return [self.rest, *(self.movements[name] for name in PROTOCOL if name in self.movements)]

    @property
    def missed(self) -> list[str]:
        """Optional movements that were not seen (their metrics are left out)."""
        return [name for name in PROTOCOL if name not in self.movements]


def running_median(values: np.ndarray, width: int) -> np.ndarray:
    """Centered running median ignoring NaN (width 1 = unchanged)."""
    if width <= 1 or len(values) == 0:
        return values.copy()
    half = width // 2
    padded = np.pad(values, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows stay NaN
        return np.nanmedian(windows, axis=1)


def _stronger(per_side: list[np.ndarray]) -> np.ndarray:
    """Per frame, the larger of the two sides' activities (NaN only where both are NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmax(np.stack(per_side), axis=0)


def activities(signals: FaceSignals, width: int) -> dict[str, np.ndarray]:
    """How far each movement is from the clip's typical (mostly resting) face, on the side
    that moves more: eye closure as a share of the eye's opening, the others in ICW."""
    closure, smile, pucker, brow = [], [], [], []
    for side in SIDES:
        eye = running_median(signals.aperture[side], width)
        closure.append(1 - eye / np.nanmedian(eye))
        corner = signals.corner[side]
        moved = corner - np.nanmedian(corner, axis=0)
        outward = running_median(moved[:, 0] * OUTWARD_X[side], width)
        upward = running_median(moved[:, 1], width)
        smile.append(outward + np.maximum(upward, 0.0))
        pucker.append(-outward)
        raised = running_median(signals.brow[side], width)
        brow.append(raised - np.nanmedian(raised))
    return {
        "eye_closure": _stronger(closure),
        "smile": _stronger(smile),
        "pucker": _stronger(pucker),
        "brow_raise": _stronger(brow),
    }


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _find_phase(
    name: str, activity: np.ndarray, cursor: int, min_frames: int, config: ClipConfig
) -> tuple[int, int] | None:
    """First long-enough run above half of the phase's peak after `cursor`."""
    rest_of_clip = np.nan_to_num(activity[cursor:], nan=-np.inf)
    if len(rest_of_clip) == 0:
        return None
    peak = float(np.max(rest_of_clip))
    if peak < config.phases.min_activity[name]:
        return None
    for start, end in _runs(rest_of_clip >= config.phases.active_fraction * peak):
        if end - start >= min_frames:
            return cursor + start, cursor + end
    return None


def missing_movement(name: str, config: ClipConfig) -> ClipRejected:
    """protocol_incomplete naming the movement that was not found, with how to retake."""
    message = " ".join(
        (config.messages["missing"][name].strip(), config.retake_message(Code.PROTOCOL_INCOMPLETE))
    )
    return ClipRejected(Code.PROTOCOL_INCOMPLETE.value, message, {"missing": name})


def _time(signals: FaceSignals, index: int) -> float:
    """Time of an analysed frame (clamped to the clip)."""
    times = signals.times
    return float(times[min(index, len(times) - 1)]) if len(times) else 0.0


def segment_protocol(signals: FaceSignals, config: ClipConfig) -> ProtocolPhases:
    """Detect the protocol phases in order; raises protocol_incomplete naming a missing
    movement, unless the config lists it as optional (then its metrics are left out)."""
    cfg = config.phases
    frame_s = float(np.median(np.diff(signals.times))) if len(signals.times) > 1 else 1.0
    min_frames = max(1, int(round(cfg.min_phase_s / frame_s)))
    acts = activities(signals, cfg.smoothing_frames)
    cursor, movements = 0, {}
    for name in PROTOCOL:
        found = _find_phase(name, acts[name], cursor, min_frames, config)
        if found is None:
            if name in cfg.optional:
                continue
            raise missing_movement(name, config)
        start, end = found
        peak = float(np.nanmax(acts[name][start:end]))
        hold = start + np.flatnonzero(acts[name][start:end] >= cfg.hold_fraction * peak)
        movements[name] = Segment(
            name, start, end, hold, _time(signals, start), _time(signals, end - 1)
        )
        cursor = end
    rest = _rest(signals, acts, movements, frame_s, config)
    return ProtocolPhases(rest=rest, movements=movements)


def _rest(
    signals: FaceSignals,
    acts: dict[str, np.ndarray],
    movements: dict[str, Segment],
    frame_s: float,
    config: ClipConfig,
) -> Segment:
    """Quiet frames before the first movement (else anywhere outside the movements)."""
    cfg = config.phases
    quiet = signals.valid.copy()
    for name, segment in movements.items():
        peak = float(np.nanmax(acts[name][segment.start : segment.end]))
        with np.errstate(invalid="ignore"):
            quiet &= np.abs(np.nan_to_num(acts[name], nan=np.inf)) < cfg.quiet_fraction * peak
    min_frames = max(1, int(round(cfg.min_rest_s / frame_s)))
    first = movements[PROTOCOL[0]].start
    frames = np.flatnonzero(quiet[:first])
    if len(frames) < min_frames:
        outside = np.ones_like(quiet)
        for segment in movements.values():
            outside[segment.start : segment.end] = False
        frames = np.flatnonzero(quiet & outside)
    if len(frames) < min_frames:
        raise missing_movement(REST, config)
    return Segment(
        REST,
        int(frames[0]),
        int(frames[-1]) + 1,
        frames,
        _time(signals, int(frames[0])),
        _time(signals, int(frames[-1])),
    )
