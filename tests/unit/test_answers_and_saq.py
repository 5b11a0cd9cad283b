"""SAQ scoring and the rotating early-sign question."""

import pytest

from coach.checkin.questions import early_sign_question_for
from coach.checkin.saq import saq_score, score_saq


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
