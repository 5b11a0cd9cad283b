"""Reading answers the way patients give them: several per message, corrections, ambiguity."""

from __future__ import annotations

from datetime import time

import pytest

from coach.checkin.progress import Progress, advance
from coach.checkin.quantities import durations, numbers, times_of_day
from coach.checkin.reminder_time import read_reminder_time, spoken
from coach.checkin.summary import checkin_summary, saq_summary
from coach.checkin.understand import read_checkin, read_saq
from coach.checkin.yes_no import read_yes_no


@pytest.mark.parametrize(
    ("text", "adherence", "expected"),
    [
        ("yes", False, True),
        ("Yeah!", False, True),
        ("/affirm", False, True),
        ("a little", False, True),
        ("sometimes, not always", False, True),
        ("no", False, False),
        ("nope", False, False),
        ("/deny", False, False),
        ("not really", False, False),
        ("I didn't", True, False),
        ("of course, I never skip it", True, True),
        ("didn't forget, no", True, True),
        ("yeah right, like that would ever happen lol", False, False),
        ("👍", True, True),
        ("👎", True, False),
        ("✅", True, True),
        ("did", True, True),
        ("did", False, None),  # "did" is no answer to a symptom question
        ("I don't think so", False, False),
        ("banana", False, None),
        ("", False, None),
    ],
)
def test_yes_no(text: str, adherence: bool, expected: bool | None) -> None:
    assert read_yes_no(text, adherence=adherence).value is expected


@pytest.mark.parametrize("text", ["🤷", "maybe", "not sure", "dunno", "hard to say"])
def test_not_sure_is_neither_yes_nor_no(text: str) -> None:
    reading = read_yes_no(text)
    assert reading.value is None and reading.unsure


def test_numbers_durations_and_times_come_from_the_recogniser() -> None:
    assert [n.value for n in numbers("two sessions of ten minutes")] == [2, 10]
    assert [d.value for d in durations("one and a half hours")] == [90]
    assert [d.value for d in durations("about half an hour")] == [30]
    assert times_of_day("half past seven in the evening") == [[time(19, 30)]]
    assert times_of_day("at 7") == [[time(7), time(19)]]


def _values(text: str, requested: str | None, known: dict | None = None, last=None) -> dict:
    return read_checkin(text, requested, known or {}, last).values


def test_one_message_fills_several_slots() -> None:
    values = _values(
        "yes a little, and i did 2 sessions today, 20 min with a mirror", "early_sign_present"
    )
    assert values == {
        "early_sign_present": True,
        "sessions_done": 2,
        "minutes_practised": 20,
        "mirror_used": True,
    }


def test_exercise_news_is_no_answer_to_a_symptom_question() -> None:
    reading = read_checkin("did 2 sessions, 20 min, with a mirror", "early_sign_present", {})
    assert "early_sign_present" not in reading.values
    assert reading.values == {"sessions_done": 2, "minutes_practised": 20, "mirror_used": True}
    assert not reading.unclear  # it answered other questions; the symptom one is asked again


@pytest.mark.parametrize(
    ("text", "requested", "known", "expected"),
    [
        (
            "sorry I meant 3 sessions",
            "minutes_practised",
            {"sessions_done": 2},
            {"sessions_done": 3},
        ),
        ("sorry, I meant 3", "minutes_practised", {"sessions_done": 2}, {"sessions_done": 3}),
        (
            "one and a half hours",
            "minutes_practised",
            {"sessions_done": 2},
            {"minutes_practised": 90},
        ),
        (
            "two sessions of 10 minutes each",
            "sessions_done",
            {},
            {"sessions_done": 2, "minutes_practised": 20},
        ),
        (
            "about 10 minutes each",
            "minutes_practised",
            {"sessions_done": 3},
            {"minutes_practised": 30},
        ),
        ("didnt manage any today 😞", "sessions_done", {}, {"sessions_done": 0}),
        ("twice", "sessions_done", {}, {"sessions_done": 2}),
        ("3️⃣", "sessions_done", {}, {"sessions_done": 3}),
        ("I told you already, with a mirror", "mirror_used", {}, {"mirror_used": True}),
        ("no mirror today", "mirror_used", {}, {"mirror_used": False}),
        ("mood is 6 actually", "checkin_confirmed", {"mood": 4}, {"mood": 6}),
        ("about 6 out of 10", "mood", {}, {"mood": 6}),
        ("my face feels tight", "face_feeling", {}, {"face_feeling": "my face feels tight"}),
    ],
)
def test_values(text: str, requested: str, known: dict, expected: dict) -> None:
    assert _values(text, requested, known, last="sessions_done") == expected


@pytest.mark.parametrize(
    ("text", "requested", "choices"),
    [
        ("maybe 2 or 3", "sessions_done", [2, 3]),
        ("10/10 lol. no seriously more like a 2", "mood", [2, 10]),
        ("6.5", "mood", [6, 7]),
        ("a few", "sessions_done", [2, 3, 4]),
    ],
)
def test_ambiguous_answers_are_asked_about_not_stored(text, requested, choices) -> None:
    reading = read_checkin(text, requested, {})
    assert reading.values == {} and reading.choices == {requested: choices}


@pytest.mark.parametrize(("text", "suggested"), [("good", 7), ("😊", 7), ("not great", 4)])
def test_mood_in_words_is_suggested_then_confirmed(text: str, suggested: int) -> None:
    reading = read_checkin(text, "mood", {})
    assert reading.values == {} and reading.suggestion == ("mood", suggested)


@pytest.mark.parametrize(("text", "requested"), [("hi", "face_feeling"), ("15", "mood")])
def test_non_answers_are_unclear(text: str, requested: str) -> None:
    reading = read_checkin(text, requested, {})
    assert reading.values == {} and reading.unclear


def test_summary_change_names_the_answer() -> None:
    reading = read_checkin("change the mood", "checkin_confirmed", {"mood": 4})
    assert reading.change and reading.change_slot == "mood"
    assert read_checkin("/change_answer", "checkin_confirmed", {}).change
    assert read_checkin("yes", "checkin_confirmed", {}).values == {"checkin_confirmed": True}


@pytest.mark.parametrize(
    ("text", "requested", "expected"),
    [
        (
            "1, 2, 2, 1, 3, 1, 1, 4, 1",
            "saq_1",
            dict(zip(range(1, 10), [1, 2, 2, 1, 3, 1, 1, 4, 1], strict=True)),
        ),
        ("never", "saq_5", {5: 1}),
        ("not at all", "saq_5", {5: 1}),
        ("almost always", "saq_5", {5: 5}),
        ("most of the time", "saq_2", {2: 4}),
        ("every now and then", "saq_2", {2: 2}),
        ("oops, for question 4 I meant 2 not 5", "saq_7", {4: 2}),
        ("4️⃣", "saq_3", {3: 4}),
        ("2 3 1", "saq_4", {4: 2, 5: 3, 6: 1}),
        ("never, sometimes, almost always", "saq_1", {1: 1, 2: 3, 3: 5}),
        ("no", "saq_2", {2: 1}),
        ("q3 is 4", "saq_confirmed", {3: 4}),
    ],
)
def test_saq_answers(text: str, requested: str, expected: dict) -> None:
    reading = read_saq(text, requested, {"saq_4": 5})
    assert reading.values == {f"saq_{k}": v for k, v in expected.items()}


def test_saq_ambiguous_and_out_of_scale() -> None:
    assert read_saq("2 or 3", "saq_2", {}).choices == {"saq_2": [2, 3]}
    assert read_saq("yes", "saq_2", {}).choices == {"saq_2": [2, 3, 4, 5]}
    out = read_saq("6", "saq_3", {})
    assert out.values == {} and out.unclear and out.out_of_range


def test_unclear_twice_is_skipped_never_asked_a_third_time() -> None:
    progress = Progress()
    first = advance(
        progress,
        read_checkin("banana", "mirror_used", {}),
        "mirror_used",
        {},
        "banana",
        "checkin_confirmed",
    )
    assert progress.unclear == {"mirror_used": 1} and first.say == []
    second = advance(
        progress,
        read_checkin("pear", "mirror_used", {}),
        "mirror_used",
        {},
        "pear",
        "checkin_confirmed",
    )
    assert progress.skipped == ["mirror_used"] and second.say == [("utter_question_skipped", {})]


def test_questionnaire_item_unclear_three_times_pauses() -> None:
    progress = Progress()
    for _ in range(3):
        advance(
            progress,
            read_saq("banana", "saq_2", {}),
            "saq_2",
            {},
            "banana",
            "saq_confirmed",
            skippable=False,
        )
    assert progress.gave_up and progress.skipped == []


def test_a_choice_is_resolved_by_the_next_answer() -> None:
    progress = Progress()
    advance(progress, read_checkin("good", "mood", {}), "mood", {}, "good", "checkin_confirmed")
    assert progress.pending == {"slot": "mood", "suggest": 7}
    step = advance(
        progress, read_checkin("yes", "mood", {}), "mood", {}, "yes", "checkin_confirmed"
    )
    assert step.values == {"mood": 7} and progress.pending is None


def test_a_correction_after_the_summary_shows_the_summary_again() -> None:
    progress = Progress()
    known = {"sessions_done": 2, "checkin_confirmed": None, "mood": 4}
    reading = read_checkin("sorry I meant 3 sessions", "checkin_confirmed", known)
    step = advance(progress, reading, "checkin_confirmed", known, "", "checkin_confirmed")
    assert step.values["sessions_done"] == 3
    assert ("utter_answer_changed", {}) in step.say


def test_no_sessions_clears_minutes_and_mirror() -> None:
    step = advance(
        Progress(), read_checkin("none", "sessions_done", {}), "sessions_done", {}, "none", "c"
    )
    assert step.values == {"sessions_done": 0, "minutes_practised": None, "mirror_used": None}


@pytest.mark.parametrize(
    ("text", "value", "choices"),
    [
        ("could you remind me at 7 pm?", time(19), []),
        ("19:30", time(19, 30), []),
        ("8am please", time(8), []),
        ("7", None, [time(7), time(19)]),
        ("half past six", None, [time(6, 30), time(18, 30)]),
    ],
)
def test_reminder_times(text: str, value, choices) -> None:
    reading = read_reminder_time(text)
    assert (reading.value, reading.choices) == (value, choices)


def test_reminder_time_vague_and_spoken() -> None:
    assert read_reminder_time("in the evening").vague
    assert spoken(time(19, 0)) == "7:00 pm" and spoken(time(0, 30)) == "12:30 am"


def test_summaries() -> None:
    answers = {
        "face_feeling": "a bit stiff",
        "sessions_done": 2,
        "minutes_practised": 20,
        "mirror_used": True,
        "eye_care_done": True,
        "mood": 4,
    }
    asked = [
        "face_feeling",
        "sessions_done",
        "minutes_practised",
        "mirror_used",
        "eye_care_done",
        "mood",
        "forced_movements",
    ]
    assert checkin_summary(answers, asked) == (
        'face: "a bit stiff", 2 sessions, 20 min, mirror yes, forced movements not answered, '
        "eye care yes, mood 4"
    )
    assert saq_summary([1, 2, None]) == "1, 2, –"


@pytest.mark.parametrize(
    ("text", "requested", "expected"),
    [
        (
            "honestly, I do that all day long... not",
            "early_sign_present",
            {"early_sign_present": False},
        ),
        ("only when I'm tired, yes", "early_sign_present", {"early_sign_present": True}),
        ("👍🏽", "mirror_used", {"mirror_used": True}),
        ("for the drops one I meant yes", "mood", {"eye_care_done": True}),
        (
            "yes, 2 sessions, but not with the mirror",
            "early_sign_present",
            {"early_sign_present": True, "sessions_done": 2, "mirror_used": False},
        ),
    ],
)
def test_trailing_not_late_yes_skin_tones_and_pronoun_one(text, requested, expected) -> None:
    assert _values(text, requested) == expected


def test_partly_done_is_asked_about() -> None:
    reading = read_checkin("used the ointment but not the drops", "eye_care_done", {})
    assert reading.values == {} and (reading.unsure or reading.unclear)  # asked, not stored


def test_alternatives_around_a_duration_are_asked_about() -> None:
    reading = read_checkin("25 or 30 minutes", "minutes_practised", {})
    assert reading.values == {} and reading.choices == {"minutes_practised": [25, 30]}
