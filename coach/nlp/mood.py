"""Does a message say the patient's mood is low? Rules in content/mood.yml, scoped by context."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from coach.config import get_settings
from coach.nlp.context import filler_words, normalise
from coach.nlp.rules import Rule, apply_rules, compile_rules


@lru_cache(maxsize=4)
def _rules(content_dir: Path) -> tuple[tuple[str, Rule], ...]:
    with open(content_dir / "mood.yml", encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return tuple(
        (name, rule)
        for name, spec in raw["moods"].items()
        for rule in compile_rules(
            {"suppressed_by": raw.get("suppressed_by"), **spec}, raw, filler_words(content_dir)
        )
    )


def expresses_low_mood(text: str, content_dir: Path | None = None) -> bool:
    """True when `text` affirms low mood, anxiety or appearance distress (not negated etc.)."""
    folder = content_dir or get_settings().content_dir
    clean = normalise(text)
    if not clean:
        return False
    return any(not hit.suppressed for hit in apply_rules(clean, list(_rules(folder)), folder))
