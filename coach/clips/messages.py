"""Builds the patient's plain-language reply from the content file's templates."""

from __future__ import annotations

from coach.clips.baseline import BaselineComparison
from coach.clips.config import ClipConfig
from coach.clips.metrics import Flags
from coach.clips.quality import QualityReport
from coach.clips.sides import BOTH, CONSISTENT, OPPOSITE, SideCheck


def _sides(items: list[str]) -> str:
    """Side names as words ("right", "right and left")."""
    return " and ".join(items)


def _numbered(items: list[str]) -> str:
    """Items as numbered steps, one per line (how the coach writes lists)."""
    return "\n".join(
        f"{number}. {item[:1].upper()}{item[1:]}" for number, item in enumerate(items, start=1)
    )


def needs_review(flags: Flags, comparison: BaselineComparison | None, sides: SideCheck) -> bool:
    """A synkinesis sign, a baseline crossing or a side red flag: the therapist should look."""
    unconfirmed = any(sides.unconfirmed_flags.values())
    return (
        flags.synkinesis
        or bool(comparison and comparison.crossed)
        or bool(sides.red_flag or unconfirmed)
    )


def _weakness_part(flags: Flags, sides: SideCheck, config: ClipConfig) -> str | None:
    """What the patient hears about weakness: never reassurance for the wrong side or both."""
    result, names = config.messages["result"], config.messages["sides"]
    weak = _sides([names[s] for s in flags.weakness])
    if sides.status == BOTH:
        return result["both_sides_weak"]
    if sides.status == OPPOSITE:
        return result["other_side_weak"].format(sides=weak, affected=names[sides.affected_side])
    if not flags.weakness:
        return None
    if sides.status == CONSISTENT:
        return result["weakness"].format(sides=weak)
    return result["weakness_side_unknown"].format(sides=weak)


PARAGRAPH_BREAK = "\n\n"


def paragraphs(message: str) -> list[str]:
    """The separate chat messages a clip reply is sent as (each within the style rules)."""
    return [p for p in message.split(PARAGRAPH_BREAK) if p.strip()]


def patient_message(
    flags: Flags,
    comparison: BaselineComparison | None,
    quality: QualityReport,
    sides: SideCheck,
    config: ClipConfig,
) -> str:
    """What the coach tells the patient about this clip (no diagnosis, no numbers).

    One paragraph per topic, most urgent first, separated by `PARAGRAPH_BREAK`: each is sent
    as its own short chat message."""
    result, signs, names = (config.messages[k] for k in ("result", "signs", "sides"))
    parts: list[str] = []
    weakness = _weakness_part(flags, sides, config)
    if sides.red_flag and weakness:
        parts.append(weakness)  # the red flag comes first
    found = [
        signs[kind].format(side=_sides([names[side] for side in getattr(flags, kind)]))
        for kind in ("ocular_synkinesis", "oral_synkinesis")
        if getattr(flags, kind)
    ]
    if comparison and comparison.crossed:
        found.append(signs["baseline"])
    if found:
        parts.append(result["review"].format(signs=_numbered(found)))
    elif weakness and not sides.red_flag:
        parts.append(weakness)
    if sides.red_flag:
        pass  # a red-flag clip is never the starting point, and nothing is "unchanged"
    elif comparison is None:
        parts.append(result["baseline_set"])
    elif not comparison.crossed:
        parts.append(result["no_change"])
    for index, code in enumerate(quality.warnings):
        reason = config.retake_message(code)
        parts.append(result["partial"].format(reason=reason) if index == 0 else reason)
    first = f"{result['measured'].strip()} {parts.pop(0).strip()}" if parts else result["measured"]
    return PARAGRAPH_BREAK.join([first.strip(), *(p.strip() for p in parts)])
