"""A check-in ends with at most two coaching messages, the most important first (CLINICAL.md
"One message, not six"); the order is the clinic's (coach/content/clinical.yml `coaching`)."""

from __future__ import annotations

import pytest

from coach.checkin.coaching import THANKS, CheckInAnswers, coaching_called_for, coaching_responses
from coach.content import load_content
from coach.content.catalogue import patient_texts
from coach.content.style import word_count

QUIET = dict(
    face_feeling="much the same",
    early_sign_key="eye_smile",
    early_sign_present=False,
    sessions_done=2,
    minutes_practised=20,
    mirror_used=True,
    forced_movements=False,
    eye_care_done=True,
    mood=7,
)


def answers(**overrides) -> CheckInAnswers:
    return CheckInAnswers(**{**QUIET, **overrides})


# Every condition a check-in can meet at once (no sessions rules out "use a mirror", a low mood
# rules out the milder mood message).
EVERYTHING = answers(
    early_sign_present=True, sessions_done=0, forced_movements=True, eye_care_done=False, mood=2
)


def test_every_condition_true_gives_two_messages_most_important_first() -> None:
    called = coaching_called_for(EVERYTHING, early_signs_found=True)
    assert len(called) == 5
    assert coaching_responses(EVERYTHING, early_signs_found=True) == [
        "utter_mood_support_therapist",
        "utter_coach_early_sign_noted",
        THANKS,
    ]


def test_the_other_exclusive_conditions_also_stop_at_two() -> None:
    other = answers(
        early_sign_present=True, sessions_done=2, mirror_used=False, forced_movements=True, mood=5
    )
    assert coaching_called_for(other, True) == {
        "utter_coach_early_sign_noted",
        "utter_coach_gentle_movements",
        "utter_coach_use_mirror",
        "utter_mood_support",
    }
    assert coaching_responses(other, True) == [
        "utter_coach_early_sign_noted",
        "utter_coach_gentle_movements",
        THANKS,
    ]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, []),
        ({"sessions_done": 0}, ["utter_coach_encourage_missed"]),
        ({"mirror_used": False}, ["utter_coach_use_mirror"]),
        ({"mirror_used": False, "sessions_done": None}, ["utter_coach_use_mirror"]),
        ({"eye_care_done": False, "mood": 4}, ["utter_coach_eye_care", "utter_mood_support"]),
        (
            {"mood": 3, "sessions_done": 0},
            ["utter_mood_support_therapist", "utter_coach_encourage_missed"],
        ),
        ({"eye_care_done": None, "mood": None}, []),
    ],
)
def test_one_or_two_conditions_are_all_shown_in_priority_order(overrides, expected) -> None:
    assert coaching_responses(answers(**overrides), early_signs_found=False) == expected + [THANKS]


def test_every_coaching_message_is_ranked_and_exists() -> None:
    rules = load_content("clinical")["coaching"]
    names = {t.name for t in patient_texts()}
    assert set(rules["priority"]) <= names
    assert len(rules["priority"]) == len(set(rules["priority"]))
    conditions = coaching_called_for(EVERYTHING, True) | coaching_called_for(
        answers(mirror_used=False, mood=5), False
    )
    assert conditions <= set(rules["priority"]), "a coaching message missing from the priority"


def test_the_end_of_a_checkin_stays_short() -> None:
    texts = {t.name: t.text for t in patient_texts()}
    longest_two = sorted(
        (word_count(texts[name]) for name in load_content("clinical")["coaching"]["priority"]),
        reverse=True,
    )[:2]
    limit = 2 * load_content("style")["max_words"]
    assert sum(longest_two) <= limit  # the end used to stack six messages, about 220 words
