"""Synkinesis Assessment Questionnaire (Mehta et al. 2007): scoring and real-change detection."""

from __future__ import annotations

from dataclasses import dataclass

from coach.content import load_content

SAQ_ITEM_COUNT = 9


@dataclass(frozen=True)
class SaqResult:
    """A scored SAQ: 20 (none) … 100 (worst), and the change from the previous one."""

    items: tuple[int, ...]
    score: float
    change: float | None
    real_change: bool


def saq_score(items: list[int] | tuple[int, ...]) -> float:
    """Sum of the nine items / 45 × 100, rounded to one decimal."""
    rules = load_content("clinical")["saq"]
    if len(items) != SAQ_ITEM_COUNT:
        raise ValueError(f"SAQ needs {SAQ_ITEM_COUNT} items, got {len(items)}")
    if any(not rules["item_min"] <= i <= rules["item_max"] for i in items):
        raise ValueError("SAQ items are 1–5")
    return round(sum(items) / (SAQ_ITEM_COUNT * rules["item_max"]) * 100, 1)


def score_saq(items: list[int] | tuple[int, ...], previous_score: float | None) -> SaqResult:
    """Score `items` and say whether the change from `previous_score` is a real one."""
    score = saq_score(items)
    change = None if previous_score is None else round(score - previous_score, 1)
    threshold = load_content("clinical")["saq"]["real_change_points"]
    return SaqResult(
        items=tuple(items),
        score=score,
        change=change,
        real_change=change is not None and abs(change) >= threshold,
    )
