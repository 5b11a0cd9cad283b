"""The therapist's plan exercises the coach reinforces after a check-in: a few each day,
rotating through the plan, worded as numbered steps."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from coach.content import load_content


def exercise_catalogue() -> dict[str, str]:
    """Exercise key → wording (content/portal.yml), in the catalogue's order."""
    return dict(load_content("portal")["exercises"])


def exercises_for_day(plan: Iterable[str], day: date) -> list[str]:
    """The plan's exercise keys reinforced on `day`: up to `coaching.plan_exercises_shown`,
    starting further along the plan each day so every exercise comes round."""
    catalogue = exercise_catalogue()
    chosen = set(plan)
    keys = [key for key in catalogue if key in chosen]
    if not keys:
        return []
    shown = min(int(load_content("clinical")["coaching"]["plan_exercises_shown"]), len(keys))
    start = (day.toordinal() * shown) % len(keys)
    return [keys[(start + i) % len(keys)] for i in range(shown)]


def plan_steps(plan: Iterable[str], day: date) -> str | None:
    """Today's plan exercises as numbered steps, or None when the plan has none."""
    catalogue = exercise_catalogue()
    keys = exercises_for_day(plan, day)
    if not keys:
        return None
    return "\n".join(f"{n}. {catalogue[key]}." for n, key in enumerate(keys, start=1))
