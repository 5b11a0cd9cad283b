"""Which coaching responses a check-in's answers call for (names of domain responses)."""

from __future__ import annotations

from dataclasses import dataclass

from coach.content import load_content


@dataclass(frozen=True)
class CheckInAnswers:
    """The answers of one daily check-in, already parsed."""

    face_feeling: str | None
    early_sign_key: str | None
    early_sign_present: bool | None
    sessions_done: int | None
    minutes_practised: int | None
    mirror_used: bool | None
    forced_movements: bool | None
    eye_care_done: bool | None
    mood: int | None


def coaching_responses(answers: CheckInAnswers, early_signs_found: bool) -> list[str]:
    """Response names, in the order the patient should read them (thanks last)."""
    mood_rules = load_content("clinical")["mood"]
    replies: list[str] = []
    if early_signs_found:
        replies.append("utter_coach_early_sign_noted")
    if answers.forced_movements:
        replies.append("utter_coach_gentle_movements")
    if answers.sessions_done == 0:
        replies.append("utter_coach_encourage_missed")
    elif answers.mirror_used is False:
        replies.append("utter_coach_use_mirror")
    if answers.eye_care_done is False:
        replies.append("utter_coach_eye_care")
    if answers.mood is not None and answers.mood <= mood_rules["low_threshold"]:
        replies.append("utter_mood_support_therapist")
    elif answers.mood is not None and answers.mood <= mood_rules["support_threshold"]:
        replies.append("utter_mood_support")
    replies.append("utter_checkin_thanks")
    return replies
