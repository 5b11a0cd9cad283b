"""Which coaching responses a check-in's answers call for (names of domain responses)."""

from __future__ import annotations

from dataclasses import dataclass

from coach.content import load_content

THANKS = "utter_checkin_thanks"


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


def coaching_called_for(
    answers: CheckInAnswers, early_signs_found: bool, has_plan: bool = False
) -> set[str]:
    """Every coaching response whose condition the answers meet (before choosing)."""
    mood_rules = load_content("clinical")["mood"]
    mood = answers.mood
    called = {
        "utter_coach_early_sign_noted": early_signs_found,
        "utter_coach_gentle_movements": bool(answers.forced_movements),
        "utter_coach_encourage_missed": answers.sessions_done == 0,
        "utter_coach_use_mirror": answers.sessions_done != 0 and answers.mirror_used is False,
        "utter_coach_eye_care": answers.eye_care_done is False,
        "utter_mood_support_therapist": mood is not None and mood <= mood_rules["low_threshold"],
        "utter_mood_support": mood is not None
        and mood_rules["low_threshold"] < mood <= mood_rules["support_threshold"],
        "utter_coach_plan": has_plan,
    }
    return {name for name, condition in called.items() if condition}


def coaching_responses(
    answers: CheckInAnswers, early_signs_found: bool, has_plan: bool = False
) -> list[str]:
    """The most important coaching responses (at most `coaching.max_messages`), then thanks."""
    rules = load_content("clinical")["coaching"]
    called = coaching_called_for(answers, early_signs_found, has_plan)
    chosen = [name for name in rules["priority"] if name in called]
    return chosen[: int(rules["max_messages"])] + [THANKS]
