"""Per-side synkinesis and movement metrics, Auto-eFACE style ratios and flags.

Percent units: eye values are % of that eye's own opening at rest; mouth-corner excursions and
brow raises are % of the inter-canthal width (ICW).

Synkinesis is measured side against side, so what a movement does to the mesh on both sides
(the eye closure dragging the mouth corners, a pucker deforming both eyes) cancels: ocular
synkinesis is one eye narrowing more than the other during the smile or the pucker; oral
synkinesis is the mouth corners moving unlike mirror images of each other during the eye
closure (measured on the nose-and-chin alignment, see signals.py), credited to the corner that
moved more.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from coach.clips.config import ClipConfig
from coach.clips.phases import ProtocolPhases
from coach.clips.quality import QualityReport
from coach.clips.signals import OUTWARD_X, SIDES, FaceSignals

PERCENT = 100.0
MEDIAN_EFFICIENCY = math.sqrt(math.pi / 2)  # SE of a median of n normal values: 1.2533 σ/√n
FULL_SCORE = 100.0  # Auto-eFACE: 100 = no ocular synkinesis
MOVEMENTS = {  # weakness compares these amplitudes between the sides
    "mouth_excursion_smile_pct": "movement_ratio_smile_pct",
    "mouth_excursion_pucker_pct": "movement_ratio_pucker_pct",
    "brow_raise_pct": "movement_ratio_brow_pct",
    "eye_closure_pct": "movement_ratio_eye_closure_pct",
}
MOVEMENT_NAMES = {  # amplitude → protocol movement it belongs to
    "mouth_excursion_smile_pct": "smile",
    "mouth_excursion_pucker_pct": "pucker",
    "brow_raise_pct": "brow_raise",
    "eye_closure_pct": "eye_closure",
}


@dataclass
class SideMetrics:
    """One side's measurements (None = not measurable)."""

    rest_aperture_pct: float | None = None
    eye_closure_pct: float | None = None
    eye_narrowing_smile_pct: float | None = None
    eye_narrowing_pucker_pct: float | None = None
    mouth_excursion_closure_pct: float | None = None
    mouth_excursion_smile_pct: float | None = None
    mouth_excursion_pucker_pct: float | None = None
    brow_raise_pct: float | None = None


@dataclass
class Flags:
    """Sides showing each sign; `weak_movements` lists, per side, the movements under half the
    other side's (a side is in `weakness` when enough of its movements are)."""

    ocular_synkinesis: list[str] = field(default_factory=list)
    oral_synkinesis: list[str] = field(default_factory=list)
    weakness: list[str] = field(default_factory=list)
    weak_movements: dict[str, list[str]] = field(default_factory=dict)

    @property
    def synkinesis(self) -> bool:
        """Any synkinesis sign on any side."""
        return bool(self.ocular_synkinesis or self.oral_synkinesis)


@dataclass
class Metrics:
    """Per-side metrics, whole-face ratios and the side the ratios were taken for."""

    per_side: dict[str, SideMetrics]
    overall: dict[str, float | None]
    assessed_side: str | None
    affected_side_given: bool

    def flat(self) -> dict[str, float | None]:
        """Flat `name.side` / `name` mapping (the form stored and compared with a baseline)."""
        flat: dict[str, float | None] = {}
        for side, metrics in self.per_side.items():
            for name, value in asdict(metrics).items():
                flat[f"{name}.{side}"] = value
        flat.update(self.overall)
        return flat


def other(side: str) -> str:
    """The opposite side."""
    return SIDES[1 - SIDES.index(side)]


def _median(values: np.ndarray) -> float | None:
    """Median of the finite values, None if there are none."""
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if len(finite) else None


def corner_shift(corner: np.ndarray, phases: ProtocolPhases, phase: str) -> np.ndarray | None:
    """Median position of a mouth corner over a phase's hold minus its median at rest (ICW)."""
    if phase not in phases.movements:
        return None
    with np.errstate(invalid="ignore"):
        held = corner[phases.movements[phase].hold]
        rest = corner[phases.rest.hold]
        held, rest = held[np.isfinite(held).all(axis=1)], rest[np.isfinite(rest).all(axis=1)]
    if not len(held) or not len(rest):
        return None
    return np.median(held, axis=0) - np.median(rest, axis=0)


def oral_asymmetry(signals: FaceSignals, phases: ProtocolPhases) -> float | None:
    """How far the two corners' eye-closure shifts are from mirror images of each other (% ICW)."""
    shifts = {s: corner_shift(signals.corner_lower[s], phases, "eye_closure") for s in SIDES}
    if any(v is None for v in shifts.values()):
        return None
    mirrored = {s: shifts[s] * np.array([OUTWARD_X[s], 1.0]) for s in SIDES}  # outward, up
    return PERCENT * float(np.hypot(*(mirrored["right"] - mirrored["left"])))


def side_metrics(
    signals: FaceSignals, phases: ProtocolPhases, side: str, eye_ok: bool
) -> SideMetrics:
    """Eye narrowing, mouth-corner excursion and brow raise of one side per phase."""
    moves, rest = phases.movements, phases.rest.hold
    result = SideMetrics()
    aperture = signals.aperture[side]
    rest_aperture = _median(aperture[rest])
    if eye_ok and rest_aperture:

        def narrowing(phase: str) -> float | None:
            if phase not in moves:
                return None
            value = _median(aperture[moves[phase].hold])
            return None if value is None else PERCENT * (1 - value / rest_aperture)

        result.rest_aperture_pct = PERCENT * rest_aperture
        result.eye_closure_pct = narrowing("eye_closure")
        result.eye_narrowing_smile_pct = narrowing("smile")
        result.eye_narrowing_pucker_pct = narrowing("pucker")

    def excursion(corner: np.ndarray, phase: str) -> float | None:
        shift = corner_shift(corner, phases, phase)
        return None if shift is None else PERCENT * float(np.hypot(*shift))

    result.mouth_excursion_closure_pct = excursion(signals.corner_lower[side], "eye_closure")
    result.mouth_excursion_smile_pct = excursion(signals.corner[side], "smile")
    result.mouth_excursion_pucker_pct = excursion(signals.corner[side], "pucker")
    brow = signals.brow[side]
    raised = _median(brow[moves["brow_raise"].hold]) if "brow_raise" in moves else None
    at_rest = _median(brow[rest])
    if raised is not None and at_rest is not None:
        result.brow_raise_pct = PERCENT * (raised - at_rest)
    return result


def _opening_ratio(per_side: dict[str, SideMetrics], affected: str, name: str) -> float | None:
    """Affected/healthy eye opening during a movement, each relative to its own rest (%)."""
    narrow_a = getattr(per_side[affected], name)
    narrow_h = getattr(per_side[other(affected)], name)
    if narrow_a is None or narrow_h is None or narrow_h >= PERCENT:
        return None
    return PERCENT * (PERCENT - narrow_a) / (PERCENT - narrow_h)


def ocular_score(per_side: dict[str, SideMetrics], affected: str) -> dict[str, float | None]:
    """Auto-eFACE ocular synkinesis: min(opening ratio in smile, in pucker), capped at 100."""
    smile = _opening_ratio(per_side, affected, "eye_narrowing_smile_pct")
    pucker = _opening_ratio(per_side, affected, "eye_narrowing_pucker_pct")
    ratios = [r for r in (smile, pucker) if r is not None]
    score = min(FULL_SCORE, *ratios) if ratios else None
    return {
        "ocular_synkinesis_score": score,
        "eye_opening_ratio_smile_pct": smile,
        "eye_opening_ratio_pucker_pct": pucker,
    }


def movement_ratios(
    per_side: dict[str, SideMetrics], affected: str | None, config: ClipConfig
) -> dict[str, float | None]:
    """Affected/healthy amplitude (%) per movement; weaker/stronger when no side is given."""
    strong_min = config.flags.weakness["min_strong_side"]
    ratios: dict[str, float | None] = {}
    for amplitude, ratio_name in MOVEMENTS.items():
        values = {s: getattr(per_side[s], amplitude) for s in SIDES}
        ratios[ratio_name] = None
        if any(v is None for v in values.values()):
            continue
        if affected is None:
            weak, strong = sorted(SIDES, key=lambda s: values[s])
        else:
            weak, strong = affected, other(affected)
        if values[strong] >= strong_min[amplitude]:
            ratios[ratio_name] = PERCENT * max(0.0, values[weak]) / values[strong]
    return ratios


def _standard_error(
    jitter: dict[str, float | None], phases: ProtocolPhases, phase: str
) -> float | None:
    """Standard error (same units as the jitter) of a right-minus-left difference of
    hold-minus-rest medians, from each side's per-frame jitter and the frame counts."""
    if any(v is None for v in jitter.values()) or phase not in phases.movements:
        return None
    frames = len(phases.movements[phase].hold), len(phases.rest.hold)
    if min(frames) == 0:
        return None
    spread = math.sqrt(sum(v**2 for v in jitter.values()))  # type: ignore[operator]
    return MEDIAN_EFFICIENCY * spread * math.sqrt(sum(1 / n for n in frames))


def compute_metrics(
    signals: FaceSignals,
    phases: ProtocolPhases,
    quality: QualityReport,
    affected_side: str | None,
    config: ClipConfig,
) -> Metrics:
    """All metrics; without a given affected side, the ocular score is the worse side's.

    Side-against-side values come with their standard error (`*_se_pct`) from the clip's own
    landmark jitter at rest, so a noisy clip needs a larger difference to count.
    """
    eyes_measurable, mouth_measurable = quality.eyes_measurable, quality.mouth_measurable
    per_side = {s: side_metrics(signals, phases, s, eyes_measurable[s]) for s in SIDES}
    if affected_side is not None:
        assessed = affected_side
    else:
        scores = {s: ocular_score(per_side, s)["ocular_synkinesis_score"] for s in SIDES}
        known = [s for s in SIDES if scores[s] is not None]
        assessed = min(known, key=lambda s: scores[s]) if known else None  # type: ignore[arg-type]
    overall: dict[str, float | None] = {
        "ocular_synkinesis_score": None,
        "eye_opening_ratio_smile_pct": None,
        "eye_opening_ratio_pucker_pct": None,
    }
    if assessed is not None:
        overall.update(ocular_score(per_side, assessed))
    overall.update(movement_ratios(per_side, affected_side, config))
    overall["oral_asymmetry_closure_pct"] = None
    overall["oral_asymmetry_closure_se_pct"] = None
    if mouth_measurable:
        overall["oral_asymmetry_closure_pct"] = oral_asymmetry(signals, phases)
        overall["oral_asymmetry_closure_se_pct"] = _standard_error(
            quality.mouth_jitter_pct, phases, "eye_closure"
        )
    else:
        for side in SIDES:
            per_side[side].mouth_excursion_closure_pct = None
    for phase in ("smile", "pucker"):
        name = f"eye_narrowing_{phase}_pct"
        right, left = getattr(per_side["right"], name), getattr(per_side["left"], name)
        gap = None if right is None or left is None else right - left
        overall[f"eye_asymmetry_{phase}_pct"] = gap  # > 0: the right eye narrows more
        overall[f"eye_asymmetry_{phase}_se_pct"] = (
            None if gap is None else _standard_error(quality.eye_jitter_pct, phases, phase)
        )
    return Metrics(per_side, overall, assessed, affected_side is not None)


def _exceeds(value: float | None, threshold: float) -> bool:
    """value is known and at least threshold."""
    return value is not None and value >= threshold


def _significant(
    value: float | None, error: float | None, threshold: float, config: ClipConfig
) -> bool:
    """At least the clinical threshold and `min_standard_errors` standard errors."""
    floor = config.flags.min_standard_errors * error if error is not None else 0.0
    return _exceeds(value, max(threshold, floor))


def weak_movements(per_side: dict[str, SideMetrics], side: str, config: ClipConfig) -> list[str]:
    """Movements of `side` under `ratio_max` of the other side's (that side moving enough)."""
    cfg = config.flags.weakness
    weak = []
    for amplitude, movement in MOVEMENT_NAMES.items():
        mine = getattr(per_side[side], amplitude)
        theirs = getattr(per_side[other(side)], amplitude)
        if mine is None or theirs is None or theirs < cfg["min_strong_side"][amplitude]:
            continue
        if mine < cfg["ratio_max"] * theirs:
            weak.append(movement)
    return weak


def _eye_gap(metrics: Metrics, phase: str, side: str) -> float | None:
    """How much more `side`'s eye narrows than the other during a movement (points)."""
    gap = metrics.overall.get(f"eye_asymmetry_{phase}_pct")
    return None if gap is None else (gap if side == "right" else -gap)


def _smile_symmetric(per_side: dict[str, SideMetrics], config: ClipConfig) -> bool:
    """Both mouth corners moved alike in the smile (a lopsided smile squeezes one cheek and
    eye more, healthy or not, so then the smile says nothing about the eyes)."""
    values = [per_side[s].mouth_excursion_smile_pct for s in SIDES]
    if any(v is None for v in values) or max(values) <= 0:  # type: ignore[type-var]
        return False
    return min(values) / max(values) >= config.flags.ocular["smile_symmetry_min"]  # type: ignore[type-var, operator]


def compute_flags(metrics: Metrics, config: ClipConfig) -> Flags:
    """Ocular synkinesis, oral synkinesis and weakness (per movement and per side)."""
    per_side, cfg = metrics.per_side, config.flags
    moves = {s: weak_movements(per_side, s, config) for s in SIDES}
    flags = Flags(
        weakness=[s for s in SIDES if len(moves[s]) >= cfg.weakness["min_movements"]],
        weak_movements={s: moves[s] for s in SIDES if moves[s]},
    )
    symmetric = _smile_symmetric(per_side, config)
    overall = metrics.overall
    for side in SIDES:
        pucker = _significant(
            _eye_gap(metrics, "pucker", side),
            overall.get("eye_asymmetry_pucker_se_pct"),
            cfg.ocular["pucker_asymmetry_min_pct"],
            config,
        )
        smile = _significant(
            _eye_gap(metrics, "smile", side),
            overall.get("eye_asymmetry_smile_se_pct"),
            cfg.ocular["smile_asymmetry_min_pct"],
            config,
        )
        # A weak side's eye that cannot narrow, or a lopsided smile, makes the eyes' normal
        # smile narrowing differ: the smile counts only when it was even and no side is weak.
        if pucker or (smile and symmetric and other(side) not in flags.weakness):
            flags.ocular_synkinesis.append(side)
    asymmetry = overall.get("oral_asymmetry_closure_pct")
    error = overall.get("oral_asymmetry_closure_se_pct")
    if _significant(asymmetry, error, cfg.oral["closure_asymmetry_min_pct"], config):
        excursions = {s: per_side[s].mouth_excursion_closure_pct or 0.0 for s in SIDES}
        flags.oral_synkinesis.append(max(SIDES, key=lambda s: excursions[s]))
    return flags
