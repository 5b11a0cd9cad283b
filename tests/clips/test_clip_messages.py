"""The clip reply is sent as short messages, most urgent first: every paragraph of every reply
the analysis can compose follows the style rules (≤ 60 words, grade ≤ 8, lists as steps)."""

from __future__ import annotations

import itertools

import pytest

from coach.clips.baseline import BaselineChange, BaselineComparison
from coach.clips.config import load_config
from coach.clips.messages import paragraphs, patient_message
from coach.clips.metrics import Flags
from coach.clips.quality import QualityReport
from coach.clips.sides import BOTH, CONSISTENT, NO_WEAKNESS, OPPOSITE, RED_FLAG, UNKNOWN, SideCheck
from coach.content import load_content
from coach.content.catalogue import PatientText
from coach.content.style import _problems

CONFIG = load_config()
CROSSED = BaselineComparison(
    compared=["m"], crossed=[BaselineChange("m", 10.0, 20.0, 10.0, "up", 5.0)]
)
SIDE_SETS = [[], ["right"], ["left"], ["right", "left"]]
WARNING_SETS = [
    [],
    ["glasses"],
    ["eyes_not_measurable", "mouth_not_measurable"],
    ["glasses", "pucker_not_seen", "brow_raise_not_seen"],
]


def _side_checks(affected: str | None) -> list[tuple[list[str], SideCheck]]:
    """Every weak-side situation the side check can report, with the weakness flags behind it."""
    other = {"right": "left", "left": "right"}.get(affected or "")
    checks = [([], SideCheck(NO_WEAKNESS, affected, []))]
    if affected:
        checks.append(([affected], SideCheck(CONSISTENT, affected, [affected])))
        checks.append(([other], SideCheck(OPPOSITE, affected, [other], red_flag=RED_FLAG)))
        checks.append(([], SideCheck(BOTH, affected, [], red_flag=RED_FLAG)))
    else:
        checks.append((["left"], SideCheck(UNKNOWN, None, ["left"])))
    return checks


def _replies() -> list[tuple[str, SideCheck]]:
    replies = []
    for affected in ("right", "left", None):
        for (weak, sides), ocular, oral, comparison, warnings in itertools.product(
            _side_checks(affected),
            SIDE_SETS,
            SIDE_SETS,
            [None, BaselineComparison(compared=["m"]), CROSSED],
            WARNING_SETS,
        ):
            flags = Flags(ocular_synkinesis=ocular, oral_synkinesis=oral, weakness=weak)
            quality = QualityReport(warnings=list(warnings))
            replies.append((patient_message(flags, comparison, quality, sides, CONFIG), sides))
    return replies


REPLIES = _replies()


def test_every_paragraph_of_every_reply_follows_the_style_rules() -> None:
    rules = load_content("style")
    problems = {}
    for message, _ in REPLIES:
        for paragraph in paragraphs(message):
            found = _problems(PatientText("clip_reply", "clip", paragraph), paragraph, rules)
            if found:
                problems[paragraph] = found
    assert len(REPLIES) > 500
    assert problems == {}


@pytest.mark.parametrize("status", [OPPOSITE, BOTH])
def test_a_side_red_flag_is_the_first_message(status: str) -> None:
    first_paragraphs = {paragraphs(m)[0] for m, sides in REPLIES if sides.status == status}
    assert first_paragraphs
    assert all("see a doctor today" in p for p in first_paragraphs)


def test_signs_are_numbered_steps_and_nothing_is_lost_between_paragraphs() -> None:
    flags = Flags(ocular_synkinesis=["right"], oral_synkinesis=["right"])
    quality = QualityReport(warnings=["glasses", "pucker_not_seen"])
    sides = SideCheck(NO_WEAKNESS, "right", [])
    message = patient_message(flags, CROSSED, quality, sides, CONFIG)
    parts = paragraphs(message)
    assert parts[0].startswith(CONFIG.messages["result"]["measured"].strip())
    assert "\n1. Right side: the eye narrows" in parts[0]
    assert "\n2. Right side: the mouth corner moves" in parts[0]
    assert "\n3. A change since your starting clip." in parts[0]
    assert [CONFIG.retake_message(c) in message for c in quality.warnings] == [True, True]
    assert len(parts) == 3  # signs, then one message per left-out measurement
