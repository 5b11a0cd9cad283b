"""The recovery nudges say the same time since onset as the reviewed milestones they are sent
at (coach/content/clinical.yml), so changing a milestone without its text fails here."""

from __future__ import annotations

import re

import yaml

from coach.config import REPO_DIR
from coach.content import load_content

DAYS_PER_MONTH = 365.25 / 12


def _text(response: str) -> str:
    domain = yaml.safe_load((REPO_DIR / "domain" / "recovery.yml").read_text())
    return domain["responses"][response][0]["text"]


def _elapsed_days(text: str) -> float:
    """The time since onset a text names ("3 weeks", "3 months"), in days."""
    found = re.search(r"\b(\d+) (week|month)s?\b", text)
    assert found, text
    count, unit = int(found.group(1)), found.group(2)
    return count * (7 if unit == "week" else DAYS_PER_MONTH)


def test_stalled_nudge_names_its_milestone() -> None:
    rules = load_content("clinical")["recovery"]
    assert _elapsed_days(_text("utter_recovery_stalled")) == rules["stalled_after_days"]


def test_incomplete_nudge_names_its_milestone() -> None:
    rules = load_content("clinical")["recovery"]
    said = _elapsed_days(_text("utter_recovery_incomplete"))
    assert abs(said - rules["incomplete_after_days"]) < 2  # "3 months" = 91 days, sent on day 90
