"""Red-flag advice from the Rasa side when the action server cannot answer, spooled durably."""

from coach.escalation.spool import pending_records, spooled_records
from coach.triage.offline_advice import offline_red_flag_replies


def test_red_flag_gets_advice_and_a_spooled_escalation(app_db) -> None:
    replies = offline_red_flag_replies("my speech is slurred", "rest", "p-9", "msg-1")
    assert len(replies) == 1
    assert "stroke" in replies[0] and "999" in replies[0]
    assert "saved this for the care team" in replies[0]
    assert "therapist" not in replies[0]  # nobody was alerted yet: promise only what happened
    [record] = spooled_records()
    assert record["kinds"] == ["stroke"] and record["message_id"] == "msg-1"
    assert record["sender_id"] == "p-9" and record["channel"] == "rest"


def test_other_language_red_flag_also_says_english_only(app_db) -> None:
    replies = offline_red_flag_replies("quiero morirme", "rest", "p-9", "msg-2")
    assert "116 123" in replies[0]
    assert "inglés" in replies[1]


def test_ordinary_message_is_not_spooled(app_db) -> None:
    assert offline_red_flag_replies("hello there", "rest", "p-9", "msg-3") == []
    assert pending_records() == []
