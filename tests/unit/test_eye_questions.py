"""An eye that won't close: a question about taping or looking after it is a question (the FAQ
answers it), while the same fact told as news, or with pain, redness or changed vision, is a red
flag (CLINICAL.md "Eye that won't close fully"; the `care_question` context in context.yml)."""

from __future__ import annotations

import pytest

from coach.triage.red_flags import detect_red_flags

QUESTIONS = [
    "my eye won't close at night, what do I do about taping",
    "my eye doesn't shut when I sleep, should I tape it?",
    "My eye won't close fully at night - should I tape it?",
    "how do I tape my eye shut when it won't close",
    "how do I tape my eyelid down at night",
    "what can I do to look after an eye that doesn't close properly",
    "my eyelid doesn't close all the way, how do I protect it",
    "my eye won't close properly, should I use drops or ointment?",
    "what tape should I use, my eye stays open at night",
    "my lid won't shut, would a moisture chamber help",
]
STILL_RED_FLAGS = [
    "my eye won't close",
    "I can't close my eye at all",
    "my eye won't close, what should I do?",
    "my eye won't close and it really hurts",
    "my eye won't close and it's red, should I tape it?",
    "my eye won't close at night. What do I do about taping?",  # news, then a question
    "the lid comes open at night under the tape",
    "how do I tape my eye, it's gritty and my vision is blurry",
    "should I tape it? my eye is really painful",
]


@pytest.mark.parametrize("text", QUESTIONS)
def test_a_care_question_is_not_a_red_flag(text: str) -> None:
    assert detect_red_flags(text) == []


@pytest.mark.parametrize("text", STILL_RED_FLAGS)
def test_the_eye_at_risk_is_still_flagged(text: str) -> None:
    assert "eye_at_risk" in [flag.kind for flag in detect_red_flags(text)]
