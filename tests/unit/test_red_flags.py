"""The raw-text rule layer: every CLINICAL.md red flag, phrased the way patients write."""

import pytest

from coach.triage.red_flags import detect_red_flags

FLAGGED = [
    ("my arm suddenly feels weak", "stroke"),
    ("I can't lift my left leg", "stroke"),
    ("my speech is slurred since this morning", "stroke"),
    ("my husband says I'm slurring", "stroke"),
    ("now the other side of my face is drooping too", "stroke"),
    ("my forehead is spared this time", "stroke"),
    ("my hand went numb", "stroke"),
    ("I think I'm having a stroke", "stroke"),
    ("I want to kill myself", "self_harm"),
    ("I've been thinking about suicide", "self_harm"),
    ("honestly I just want to end it all", "self_harm"),
    ("I don't want to live like this", "self_harm"),
    ("I've been cutting myself", "self_harm"),
    ("sometimes I think everyone would be better off dead without me", "self_harm"),
    ("I want to die", "self_harm"),
    ("my eye is really painful", "eye_at_risk"),
    ("my eye hurts a lot today", "eye_at_risk"),
    ("I have a red eye", "eye_at_risk"),
    ("my vision is blurry", "eye_at_risk"),
    ("blurred vision in my left eye", "eye_at_risk"),
    ("my eye can't close at all", "eye_at_risk"),
    ("there's something in my eye", "eye_at_risk"),
    ("my eye isn't red but it hurts", "eye_at_risk"),
    ("I have blisters in my ear", "other_cause"),
    ("there's a rash around my ear", "other_cause"),
    ("I've lost hearing on that side", "other_cause"),
    ("both sides of my face are weak now", "other_cause"),
    ("the palsy has come back", "other_cause"),
    ("My EYE Is Painful", "eye_at_risk"),
    ("I don\u2019t want to live anymore", "self_harm"),
    ("I can't raise my arm since lunch", "stroke"),
    ("painful eye since yesterday", "eye_at_risk"),
    ("there's grit in my eye that won't go", "eye_at_risk"),
    ("gritty eye all morning", "eye_at_risk"),
    ("I keep thinking about ending it all", "self_harm"),
    ("sometimes I think everyone would be better off without me", "self_harm"),
    ("honestly kms", "self_harm"),
]

NOT_FLAGGED = [
    "no eye pain today",
    "my eye doesn't close when I smile anymore",
    "my eye isn't red",
    "my face feels tight when I smile",
    "I did two sessions with the mirror",
    "no rash and no blisters",
    "feeling good today, 8 out of 10",
    "my left eye narrows when I eat",
    "",
]


@pytest.mark.parametrize(("text", "kind"), FLAGGED)
def test_red_flag_is_caught(text: str, kind: str) -> None:
    kinds = [flag.kind for flag in detect_red_flags(text)]
    assert kind in kinds, f"missed {kind} in {text!r}: {kinds}"


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_ordinary_message_is_not_a_red_flag(text: str) -> None:
    assert detect_red_flags(text) == []


def test_self_harm_is_never_negated() -> None:
    """We would rather offer help once too often than miss it."""
    assert [f.kind for f in detect_red_flags("I'm not going to kill myself, I think")] == [
        "self_harm"
    ]


def test_most_urgent_flag_comes_first() -> None:
    flags = detect_red_flags("my eye hurts and I want to end my life")
    assert [f.kind for f in flags][:2] == ["self_harm", "eye_at_risk"]


def test_red_flag_inside_a_long_message() -> None:
    text = ("my face is much the same today. " * 300) + "also my arm went numb an hour ago"
    assert "stroke" in [f.kind for f in detect_red_flags(text)]
