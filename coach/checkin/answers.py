"""Read patients' free-text or button answers: yes/no, counts, minutes, a 0–10 mood."""

from __future__ import annotations

import re

from coach.content import load_content

MINUTES_PER_HOUR = 60
_NUMBER = re.compile(r"(?<![\d.])(\d{1,4})(?:\s*(?:/|out of)\s*10)?(?![\d.])")


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").strip().lower().replace("\u2019", "'"))


def parse_yes_no(text: str) -> bool | None:
    """True / False for a yes or no answer in the patient's words, None when unclear."""
    content = load_content("checkin")
    clean = _clean(text).strip(".!")
    if clean in content["no_words"]:
        return False
    if clean in content["yes_words"]:
        return True
    words = re.findall(r"[a-z/']+", clean)
    if not words:
        return None
    if words[0] in content["no_words"] or any(
        w in ("not", "never", "didn't", "don't") for w in words
    ):
        return False
    if words[0] in content["yes_words"] or any(
        p in clean for p in content["yes_words"] if " " in p
    ):
        return True
    return None


def parse_number(text: str, low: int, high: int) -> int | None:
    """A whole number in [low, high] from digits or words ("7", "7/10", "seven"), else None."""
    clean = _clean(text)
    match = _NUMBER.search(clean)
    if match:
        value = int(match.group(1))
    else:
        words = load_content("checkin")["number_words"]
        value = next(
            (
                v
                for phrase, v in sorted(words.items(), key=lambda kv: -len(kv[0]))
                if re.search(rf"\b{re.escape(phrase)}\b", clean)
            ),
            None,
        )
        if value is None and parse_yes_no(clean) is False:
            value = 0
    if value is None or not low <= value <= high:
        return None
    return value


def parse_minutes(text: str, sessions: int | None, low: int, high: int) -> int | None:
    """Total minutes practised: hours converted, "each"/"per session" times `sessions`."""
    content = load_content("checkin")
    clean = _clean(text)
    units = "|".join(re.escape(u) for u in content["hour_units"])
    hours = re.search(rf"(?<![\d.])(\d{{1,2}}(?:\.\d+)?)\s*(?:{units})\b", clean)
    if hours:
        minutes: int | None = round(float(hours.group(1)) * MINUTES_PER_HOUR)
    else:
        minutes = parse_number(clean, low, high)
    if minutes is not None and (sessions or 0) > 1:
        if any(re.search(rf"\b{re.escape(w)}\b", clean) for w in content["per_session_words"]):
            minutes *= sessions
    if minutes is None or not low <= minutes <= high:
        return None
    return minutes


def coerce_minutes(value: object, sessions: object, low: int, high: int) -> int | None:
    """`parse_minutes` for the patient's words; a number already stored (a resumed form) is only
    re-checked, never multiplied again."""
    if not isinstance(value, str):
        return coerce_number(value, low, high)
    count = int(sessions) if isinstance(sessions, (int, float)) else None  # a float slot
    return parse_minutes(value, count, low, high)


def coerce_yes_no(value: object) -> bool | None:
    """Like `parse_yes_no`, but keeps a value that is already a bool (a resumed form)."""
    return value if isinstance(value, bool) else parse_yes_no(str(value or ""))


def coerce_number(value: object, low: int, high: int) -> int | None:
    """Like `parse_number`, but re-checks a value that is already a number (a resumed form)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value) if low <= value <= high else None
    return parse_number(str(value or ""), low, high)
