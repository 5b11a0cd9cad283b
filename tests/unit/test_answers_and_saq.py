"""Reading answers in the patient's words, and SAQ scoring."""

import pytest

from coach.checkin.answers import coerce_minutes, parse_minutes, parse_number, parse_yes_no
from coach.checkin.questions import early_sign_question_for
from coach.checkin.saq import saq_score, score_saq


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True),
        ("Yeah!", True),
        ("/affirm", True),
        ("a little", True),
        ("sometimes", True),
        ("no", False),
        ("nope", False),
        ("/deny", False),
        ("not really", False),
        ("I didn't", False),
        ("banana", None),
        ("", None),
    ],
)
def test_yes_no(text: str, expected: bool | None) -> None:
    assert parse_yes_no(text) is expected


@pytest.mark.parametrize(
    ("text", "low", "high", "expected"),
    [
        ("7", 0, 10, 7),
        ("7/10", 0, 10, 7),
        ("about 6 out of 10", 0, 10, 6),
        ("seven", 0, 10, 7),
        ("11", 0, 10, None),
        ("-", 0, 10, None),
        ("two sessions", 0, 20, 2),
        ("none", 0, 20, 0),
        ("no", 0, 20, 0),
        ("half an hour", 0, 240, 30),
        ("about 15 minutes", 0, 240, 15),
        ("9999", 0, 240, None),
    ],
)
def test_numbers(text: str, low: int, high: int, expected: int | None) -> None:
    assert parse_number(text, low, high) == expected


@pytest.mark.parametrize(
    ("text", "sessions", "expected"),
    [
        ("about 20 minutes", 2, 20),
        ("10 minutes each", 2, 20),
        ("10 min per session", 3, 30),
        ("10 minutes each", 1, 10),
        ("1 hour", 1, 60),
        ("1.5 hours", 2, 90),
        ("an hour and a half", 2, 90),
        ("half an hour each time", 2, 60),
        ("2h", 0, 120),
        ("5 hours", 1, None),  # beyond the day's maximum: asked again, not stored
        ("lots", 2, None),
    ],
)
def test_minutes(text: str, sessions: int, expected: int | None) -> None:
    assert parse_minutes(text, sessions, 0, 240) == expected


def test_minutes_of_a_resumed_form_are_kept_not_multiplied_again() -> None:
    assert coerce_minutes(20, 2, 0, 240) == 20
    assert coerce_minutes("10 each", 2, 0, 240) == 20
    assert coerce_minutes("10 each", 2.0, 0, 240) == 20  # sessions_done is a float slot
    assert coerce_minutes("10 each", None, 0, 240) == 10


def test_saq_score_range() -> None:
    assert saq_score([1] * 9) == 20.0
    assert saq_score([5] * 9) == 100.0
    assert saq_score([3, 2, 4, 1, 1, 2, 1, 5, 1]) == round(20 / 45 * 100, 1)


def test_saq_rejects_bad_items() -> None:
    with pytest.raises(ValueError):
        saq_score([1] * 8)
    with pytest.raises(ValueError):
        saq_score([0] + [1] * 8)


def test_saq_real_change_is_13_points() -> None:
    base = saq_score([2] * 9)  # 40.0
    up_12 = score_saq([2] * 6 + [4, 4, 4], base)  # +13.3
    assert up_12.change == pytest.approx(13.3) and up_12.real_change
    small = score_saq([2] * 7 + [4, 4], base)  # +8.9
    assert not small.real_change
    assert score_saq([2] * 9, None).change is None


def test_early_sign_question_rotates_daily() -> None:
    from datetime import date, timedelta

    today = date(2026, 11, 26)
    keys = {early_sign_question_for(1, today + timedelta(days=d)) for d in range(4)}
    assert len(keys) == 4
    assert early_sign_question_for(1, today) == early_sign_question_for(1, today)


def test_already_parsed_values_survive_revalidation() -> None:
    from coach.checkin.answers import coerce_number, coerce_yes_no

    assert coerce_yes_no(False) is False and coerce_yes_no("yes") is True
    assert coerce_number(0.0, 0, 20) == 0 and coerce_number(7.0, 0, 10) == 7
    assert coerce_number(12.0, 0, 10) is None and coerce_number("3", 1, 5) == 3
