"""Numbers, durations and times of day in a patient's words.

A thin layer over Microsoft Recognizers-Text (the recogniser behind Bot Framework prompts):
"two", "one and a half hours", "20 min", "half past seven in the evening" come back as values
with their position in the text. Only emoji keycap digits (3️⃣) are normalised here first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from functools import cache
from typing import Any

from recognizers_date_time import DateTimeRecognizer
from recognizers_number import Culture, NumberRecognizer

SECONDS_PER_MINUTE = 60
_KEYCAP = re.compile(r"([0-9])\ufe0f?\u20e3")


@dataclass(frozen=True)
class Found:
    """A value found in the text, with its character span [start, end)."""

    value: float
    start: int
    end: int
    text: str


@cache
def _number_model() -> Any:
    return NumberRecognizer(Culture.English).get_number_model()


@cache
def _datetime_model() -> Any:
    return DateTimeRecognizer(Culture.English).get_datetime_model()


def warm_up() -> None:
    """Build the recognizers now (about a second) instead of on a patient's first answer."""
    _number_model()
    _datetime_model()


def normalise(text: str) -> str:
    """Lower case, plain apostrophes, keycap emoji as digits, single spaces."""
    text = _KEYCAP.sub(r"\1", text or "").replace("\U0001f51f", "10")
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    return re.sub(r"\s+", " ", text).strip()


def numbers(text: str) -> list[Found]:
    """Every number in `text` (digits or words), in order."""
    found = []
    for result in _number_model().parse(text):
        try:
            value = float(result.resolution["value"])
        except (KeyError, TypeError, ValueError):
            continue
        found.append(Found(value, result.start, result.end + 1, result.text))
    return found


def _datetime_results(text: str, kind: str) -> list[Any]:
    return [r for r in _datetime_model().parse(text) if r.type_name == f"datetimeV2.{kind}"]


# Every duration names a unit of time; the date-time recognizer (about 15 ms a message) only
# runs on text that has one ("20 min", "1.5h", "half an hour", "all day").
_TIME_UNIT = re.compile(
    r"\d\s*(?:h|hr|hrs|m|min|mins)\b"
    r"|\b(?:hours?|hrs?|minutes?|mins?|seconds?|secs?|days?|weeks?|months?|years?|fortnight)\b"
)


def durations(text: str) -> list[Found]:
    """Every duration in `text`, in minutes ("half an hour" → 30)."""
    if not _TIME_UNIT.search(text.lower()):
        return []
    found = []
    for result in _datetime_results(text, "duration"):
        values = (result.resolution or {}).get("values") or []
        if values and values[0].get("value"):
            minutes = float(values[0]["value"]) / SECONDS_PER_MINUTE
            found.append(Found(minutes, result.start, result.end + 1, result.text))
    return found


def times_of_day(text: str) -> list[list[time]]:
    """Each time of day mentioned, as its candidate readings ("7" → [07:00, 19:00])."""
    mentions = []
    for result in _datetime_results(text, "time"):
        values = (result.resolution or {}).get("values") or []
        candidates = [time.fromisoformat(v["value"]) for v in values if v.get("value")]
        if candidates:
            mentions.append(sorted(set(candidates)))
    return mentions


def mentions_time_range(text: str) -> bool:
    """True when `text` names a part of the day ("in the evening") but no clock time."""
    return bool(_datetime_results(text, "timerange")) and not times_of_day(text)
