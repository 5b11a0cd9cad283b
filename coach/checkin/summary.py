"""The one-line summary of a form's answers, shown before saving."""

from __future__ import annotations

from typing import Any

from coach.content import load_content

SUMMARY_ORDER = (
    "face_feeling",
    "early_sign_present",
    "sessions_done",
    "minutes_practised",
    "mirror_used",
    "forced_movements",
    "eye_care_done",
    "mood",
)


def _yes_no(value: bool, words: dict[str, Any]) -> str:
    return words["yes"] if value else words["no"]


def _part(slot: str, value: Any, answers: dict[str, Any], words: dict[str, Any]) -> str:
    if slot == "face_feeling":
        text = str(value)
        limit = words["face_feeling_max_chars"]
        text = text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
        return words["face_feeling"].format(value=text)
    if slot == "early_sign_present":
        label = words["early_sign_labels"].get(answers.get("early_sign_key") or "", "early sign")
        return words["early_sign"].format(label=label, answer=_yes_no(value, words))
    if slot == "sessions_done":
        form = words["sessions_done"]["one" if int(value) == 1 else "other"]
        return form.format(value=int(value))
    if isinstance(value, bool):
        return words[slot].format(answer=_yes_no(value, words))
    return words[slot].format(value=int(value))


def checkin_summary(answers: dict[str, Any], asked: list[str]) -> str:
    """ "face: "ok", 2 sessions, 20 min, mirror yes, eye care yes, mood 4" for the slots asked."""
    words = load_content("checkin")["summary"]
    parts = []
    for slot in SUMMARY_ORDER:
        if slot not in asked:
            continue
        value = answers.get(slot)
        if value is None:
            parts.append(words["not_answered"].format(label=words["labels"][slot]))
        else:
            parts.append(_part(slot, value, answers, words))
    return ", ".join(parts)


def saq_summary(items: list[Any]) -> str:
    """ "1, 2, 2, 1, 3, 1, 1, 4, 1" (a dash for an item not answered)."""
    return ", ".join("–" if item is None else str(int(item)) for item in items)
