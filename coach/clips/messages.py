"""Builds the patient's plain-language reply from the content file's templates."""

from __future__ import annotations

from coach.clips.baseline import BaselineComparison
from coach.clips.config import ClipConfig
from coach.clips.metrics import Flags
from coach.clips.quality import QualityReport


def _join(items: list[str]) -> str:
    """Items of a message list, joined."""
    return "; ".join(items)


def needs_review(flags: Flags, comparison: BaselineComparison | None) -> bool:
    """A synkinesis sign or a baseline crossing: the therapist should look at this clip."""
    return flags.synkinesis or bool(comparison and comparison.crossed)


def patient_message(
    flags: Flags,
    comparison: BaselineComparison | None,
    quality: QualityReport,
    config: ClipConfig,
) -> str:
    """What the coach tells the patient about this clip (no diagnosis, no numbers)."""
    result, signs, sides = (config.messages[k] for k in ("result", "signs", "sides"))
    parts = [result["measured"]]
    found = [
        signs[kind].format(side=sides[side])
        for kind in ("ocular_synkinesis", "oral_synkinesis")
        for side in getattr(flags, kind)
    ]
    if comparison and comparison.crossed:
        found.append(signs["baseline"])
    if found:
        parts.append(result["review"].format(signs=_join(found)))
    elif flags.weakness:
        parts.append(result["weakness"].format(sides=_join([sides[s] for s in flags.weakness])))
    if comparison is None:
        parts.append(result["baseline_set"])
    elif not comparison.crossed:
        parts.append(result["no_change"])
    for code in quality.warnings:
        parts.append(result["partial"].format(reason=config.retake_message(code)))
    return " ".join(p.strip() for p in parts)
