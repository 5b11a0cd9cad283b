"""Which side is weak, checked against the patient's recorded affected side (CLINICAL.md).

Weakness on the recorded unaffected side, or on both sides, is a red flag ("Ramsay Hunt / other
cause": see a doctor today, therapist urgent), never reassurance. Front cameras of some phones
save mirrored video, which swaps the sides: a clip whose weak side is the unaffected one is
either mirrored or a new weakness, so its synkinesis flags are not attributed to a side and the
therapist is asked to review it, urgently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from coach.clips.baseline import baseline_metrics
from coach.clips.config import ClipConfig
from coach.clips.metrics import MOVEMENT_NAMES, Flags, other
from coach.clips.signals import SIDES

CONSISTENT = "consistent"  # the weak side is the recorded affected side
NO_WEAKNESS = "no_weakness"
UNKNOWN = "affected_side_unknown"
OPPOSITE = "opposite"  # weak on the recorded unaffected side only (mirrored video or new)
BOTH = "both"  # both sides far below the baseline clip
RED_FLAG = "other_cause"  # CLINICAL.md red-flag kind for OPPOSITE and BOTH


@dataclass
class SideCheck:
    """The weak-side check and what it means for this clip."""

    status: str
    affected_side: str | None
    weak_sides: list[str]
    mirrored_by_metadata: bool = False
    both_weak_movements: list[str] = field(default_factory=list)
    unconfirmed_flags: dict[str, list[str]] = field(default_factory=dict)
    red_flag: str | None = None
    note: str = ""


def _both_sides_weaker(
    metrics: Mapping[str, Any], baseline: Mapping[str, Any] | None, config: ClipConfig
) -> list[str]:
    """Movements in which both sides fell under `both_sides_baseline_ratio_max` of baseline."""
    if baseline is None:
        return []
    then = baseline_metrics(baseline)
    cfg = config.flags.weakness
    dropped = []
    for amplitude, movement in MOVEMENT_NAMES.items():
        sides_down = 0
        for side in SIDES:
            now, before = metrics.get(f"{amplitude}.{side}"), then.get(f"{amplitude}.{side}")
            if now is None or before is None or before < cfg["min_strong_side"][amplitude]:
                continue
            sides_down += now < cfg["both_sides_baseline_ratio_max"] * before
        if sides_down == len(SIDES):
            dropped.append(movement)
    return dropped


def check_sides(
    flags: Flags,
    metrics: Mapping[str, Any],
    affected_side: str | None,
    baseline: Mapping[str, Any] | None,
    mirrored_by_metadata: bool,
    config: ClipConfig,
) -> SideCheck:
    """The side check; on OPPOSITE the synkinesis flags move to `unconfirmed_flags`."""
    wording = config.messages["side_check"]
    weak = list(flags.weakness)
    both = _both_sides_weaker(metrics, baseline, config)
    check = SideCheck(NO_WEAKNESS, affected_side, weak, mirrored_by_metadata)
    if len(both) >= config.flags.weakness["min_movements"]:
        check.status, check.both_weak_movements, check.red_flag = BOTH, both, RED_FLAG
        check.note = wording["both"].strip().format(movements=", ".join(both))
    elif weak and affected_side is None:
        check.status = UNKNOWN
    elif weak == [affected_side]:
        check.status = CONSISTENT
    elif weak and affected_side is not None and weak == [other(affected_side)]:
        check.status, check.red_flag = OPPOSITE, RED_FLAG
        check.note = wording["opposite"].strip().format(measured=weak[0], affected=affected_side)
        check.unconfirmed_flags = {
            "ocular_synkinesis": flags.ocular_synkinesis,
            "oral_synkinesis": flags.oral_synkinesis,
        }
        flags.ocular_synkinesis, flags.oral_synkinesis = [], []
    return check
