"""Read one patient message against a form: the answers it gives, corrects, or leaves unclear.

One message can answer several questions ("2 sessions, 20 min, with a mirror"), correct an
earlier answer ("sorry, I meant 3 sessions"), or be ambiguous ("maybe 2 or 3"): ambiguous
values come back as `choices` to ask about, never as values to store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from coach.checkin.quantities import Found, durations, normalise, numbers
from coach.checkin.yes_no import but_not, clauses, emoji_names, leads_with_yes_no, read_yes_no
from coach.content import load_content

YES_NO_SLOTS = (
    "early_sign_present",
    "mirror_used",
    "forced_movements",
    "eye_care_done",
    "checkin_update_today",
)
ADHERENCE_SLOTS = ("mirror_used", "forced_movements", "eye_care_done")
CONFIRM_SLOTS = ("checkin_confirmed", "saq_confirmed")
_SCORE = re.compile(r"(\d{1,2}(?:\.\d+)?)\s*(?:/|out of|outta)\s*(?:10|ten)\b")
_ALTERNATIVES = re.compile(r"\bor\b|\d\s*-\s*\d|\d\s+to\s+\d|\bbetween\b")
_STRONG_CORRECTION = (
    "i meant",
    "meant to say",
    "make that",
    "should be",
    "should have said",
    "correction",
    "change that",
    "scratch that",
    "typo",
    "mistake",
    "change it to",
    "it was",
)
_CHANGE_WORDS = ("change", "wrong", "not right", "edit", "fix", "mistake", "incorrect")


@dataclass
class Reading:
    """What one message says for a form."""

    values: dict[str, Any] = field(default_factory=dict)
    choices: dict[str, list[Any]] = field(default_factory=dict)
    suggestion: tuple[str, int] | None = None  # (slot, value) said in words, to confirm
    corrected: bool = False  # the message is a correction of an earlier answer
    unclear: bool = False  # the question asked got no usable answer
    unsure: bool = False  # … because the patient is not sure
    out_of_range: bool = False  # … because the number is outside the scale
    change: bool = False  # the patient wants to change an answer (at the summary)
    change_slot: str | None = None  # … and named which one

    @property
    def found_anything(self) -> bool:
        return bool(self.values or self.choices or self.suggestion or self.change)


@cache
def _content() -> dict[str, Any]:
    return load_content("checkin")


@cache
def _limits() -> dict[str, tuple[int, int]]:
    clinical = load_content("clinical")
    return {
        "sessions_done": (0, clinical["adherence"]["sessions_max"]),
        "minutes_practised": (0, clinical["adherence"]["minutes_max"]),
        "mood": (clinical["mood"]["scale_min"], clinical["mood"]["scale_max"]),
    }


def _has(phrases: list[str] | tuple[str, ...], text: str) -> bool:
    return any(re.search(rf"(?<![\w']){re.escape(p)}(?![\w'])", text) for p in phrases)


def _first_phrase(phrases: dict[str, Any], text: str) -> Any:
    for phrase in sorted(phrases, key=len, reverse=True):
        if re.search(rf"(?<![\w']){re.escape(phrase)}(?![\w'])", text):
            return phrases[phrase]
    return None


def _inside(item: Found, spans: list[tuple[int, int]]) -> bool:
    return any(start <= item.start < end for start, end in spans)


def _negated(text: str, item: Found) -> bool:
    return bool(re.search(r"\bnot\s+(?:a\s+)?$", text[: item.start]))


def _whole(values: list[float]) -> list[int]:
    out: list[int] = []
    for value in values:
        if value != int(value):  # 6.5 → ask 6 or 7
            candidates = [int(value), int(value) + 1]
        else:
            candidates = [int(value)]
        out.extend(c for c in candidates if c not in out)
    return out


def _in_range(slot: str, values: list[int]) -> list[int]:
    low, high = _limits()[slot]
    return [v for v in values if low <= v <= high]


def _decide(slot: str, values: list[int], text: str, reading: Reading) -> None:
    """One value → store it; several → ask which (the retracted one last)."""
    if not values:
        return
    if len(values) == 1:
        reading.values[slot] = values[0]
        return
    if _has(_content()["retraction_markers"], text):
        values = [values[-1]] + [v for v in values[:-1] if v != values[-1]]
    reading.choices[slot] = values[:4]


def slot_named(text: str, slots: list[str] | tuple[str, ...] | None = None) -> str | None:
    """The check-in slot a message names ("the mood", "sessions"), or None."""
    keywords = _content()["slot_keywords"]
    for slot in slots or keywords:
        if slot in keywords and _has(keywords[slot], text):
            return slot
    return None


@dataclass
class _Parts:
    """Numbers and durations in a message, each used for at most one answer."""

    text: str
    durations: list[Found]
    scores: list[tuple[int, int, float]]
    free: list[Found]  # numbers not yet placed
    excluded: list[Found]  # "not 5"


def _parts(text: str) -> _Parts:
    found_durations = durations(text)
    scores = [(m.start(), m.end(), float(m.group(1))) for m in _SCORE.finditer(text)]
    spans = [(d.start, d.end) for d in found_durations] + [(s, e) for s, e, _ in scores]
    free, excluded = [], []
    for item in numbers(text):
        if _inside(item, spans):
            continue
        (excluded if _negated(text, item) else free).append(item)
    return _Parts(text, found_durations, scores, free, excluded)


def _take(parts: _Parts, item: Found) -> None:
    parts.free = [f for f in parts.free if f is not item]


def _session_counts(parts: _Parts, requested: str | None) -> list[int]:
    unit = re.compile(r"\s*(?:x\b|sessions?\b|times\b|rounds?\b|goes\b|lots\b|sets?\b)")
    counts = []
    for item in list(parts.free):
        if unit.match(parts.text, item.end):
            counts.append(item.value)
            _take(parts, item)
    if not counts and (requested == "sessions_done" or _has(["session", "sessions"], parts.text)):
        word = _first_phrase(_content()["count_words"], parts.text)
        if word is not None and not parts.free:
            counts.append(float(word))
    return _whole(counts)


def _minutes(parts: _Parts, sessions: int | None) -> list[int]:
    content = _content()
    per_session = _has(content["per_session_words"], parts.text) or _has(
        content["sessions_of_pattern_words"], parts.text
    )
    values = [d.value for d in parts.durations]
    if not values:
        return []
    if len(set(values)) > 1 and not _ALTERNATIVES.search(parts.text):
        values = [sum(values)]  # "20 in the morning and 10 min at night"
    if _ALTERNATIVES.search(parts.text) and parts.free:  # "15 or 20 minutes"
        values = [f.value for f in parts.free] + values
        parts.free = []
    whole = _whole(sorted(set(values), key=values.index))
    if per_session and sessions and sessions > 1:
        whole = [v * sessions for v in whole]
    return _in_range("minutes_practised", whole)


def _phrase_at(phrases: list[str], text: str) -> re.Match[str] | None:
    for phrase in sorted(phrases, key=len, reverse=True):
        match = re.search(rf"(?<![\w']){re.escape(phrase)}(?![\w'])", text)
        if match:
            return match
    return None


def _bool_phrases(text: str) -> dict[str, bool]:
    """ "with a mirror", "forgot my drops": answers said in passing ("not with the mirror")."""
    content, found = _content(), {}
    negations = load_content("checkin")["yes_no"]["negations"]
    for slot, key in (
        ("mirror_used", "mirror"),
        ("forced_movements", "forced_movements"),
        ("eye_care_done", "eye_care"),
    ):
        if _has(content[key].get("no", []), text):
            found[slot] = False
            continue
        match = _phrase_at(content[key].get("yes", []), text)
        if match:
            before = text[: match.start()].split()[-2:]
            found[slot] = not any(word in negations for word in before)
    return found


def _keyword_numbers(parts: _Parts, reading: Reading) -> None:
    """ "mood 6", "sessions: 2", "minutes were 30": a number next to the slot it names."""
    offset = 0
    for clause in clauses(parts.text):
        start = parts.text.find(clause, offset)
        offset = start + len(clause)
        slot = slot_named(clause, ("mood", "sessions_done", "minutes_practised"))
        inside = [f for f in parts.free if start <= f.start < offset]
        if slot and len(inside) == 1 and slot not in reading.values:
            values = _in_range(slot, _whole([inside[0].value]))
            if values:
                reading.values[slot] = values[0]
                _take(parts, inside[0])


def _keyword_yes_no(parts: _Parts, reading: Reading) -> None:
    """ "eye drops: no", "for the mirror one I meant yes" (its "one" is no number)."""
    offset = 0
    for clause in clauses(parts.text):
        start = parts.text.find(clause, offset)
        offset = start + len(clause)
        slot = slot_named(clause, ADHERENCE_SLOTS)
        if slot and slot not in reading.values:
            answer = read_yes_no(clause, adherence=True)
            taken_back = but_not(parts.text)
            if taken_back and not _names_other_answer(taken_back, slot):
                continue  # "did the drops but not the tape": partly, so ask
            if answer.value is not None:
                reading.values[slot] = answer.value
                parts.free = [f for f in parts.free if not start <= f.start < offset]


def _is_correction(text: str) -> bool:
    return _has(_content()["correction_markers"], text)


def _mood_from_words(text: str) -> int | None:
    content = _content()
    value = _first_phrase(content["mood_words"], text)
    if value is None:
        value = next(
            (content["mood_emoji"][n] for n in emoji_names(text) if n in content["mood_emoji"]),
            None,
        )
    return value


def _free_clauses(text: str, reading: Reading) -> list[str]:
    """Clauses that are not just another answer (for "how does your face feel")."""
    out = []
    for clause in clauses(text):
        if numbers(clause) or durations(clause) or _bool_phrases(clause):
            continue
        if re.search(r"[a-z]{2,}", clause):
            out.append(clause)
    return out


def read_checkin(
    text: str,
    requested: str | None,
    known: dict[str, Any],
    last_answered: str | None = None,
) -> Reading:
    """Everything one message says for the daily check-in."""
    clean = normalise(text)
    reading = Reading(corrected=_is_correction(clean))
    parts = _parts(clean)
    for _, _, value in parts.scores:
        reading.choices.setdefault("mood", []).append(value)
    sessions = _session_counts(parts, requested)
    _decide("sessions_done", _in_range("sessions_done", sessions), clean, reading)
    known_sessions = reading.values.get("sessions_done", known.get("sessions_done"))
    session_count = int(known_sessions) if isinstance(known_sessions, (int, float)) else None
    _decide("minutes_practised", _minutes(parts, session_count), clean, reading)
    taken_back = but_not(clean)
    for slot, value in _bool_phrases(clean).items():
        if value and taken_back and not _names_other_answer(taken_back, slot):
            continue  # "did the drops but not the tape": partly, so ask
        reading.values.setdefault(slot, value)
    _keyword_numbers(parts, reading)
    _keyword_yes_no(parts, reading)
    scores = _whole(reading.choices.pop("mood", []))
    if requested == "mood":
        scores += _whole([f.value for f in parts.free])
        parts.free = []
    if scores and "mood" not in reading.values:
        in_range = _in_range("mood", scores)
        reading.out_of_range = not in_range
        if len(set(scores)) > 1 and len(in_range) == 1:
            reading.suggestion = ("mood", in_range[0])  # "100% lol, no really about 4": check
        else:
            _decide("mood", in_range, clean, reading)

    if requested in CONFIRM_SLOTS:
        if not reading.values:
            _read_confirmation(requested, clean, reading)
    elif reading.corrected and last_answered and not reading.found_anything:
        _apply_to(last_answered, clean, parts, reading)
    elif requested and requested not in reading.values and requested not in reading.choices:
        _answer_requested(text, clean, requested, parts, reading, session_count)
    reading.unclear = (
        requested is not None
        and requested not in reading.values
        and requested not in reading.choices
        and not (reading.suggestion and reading.suggestion[0] == requested)
        and not reading.change
        and not (reading.found_anything and requested != "mood")
    )
    return reading


def _apply_to(slot: str, clean: str, parts: _Parts, reading: Reading) -> None:
    """A correction that does not name its slot: "sorry, I meant 3" → the last answer."""
    if not _has(_STRONG_CORRECTION, clean):
        return
    if slot in _limits():
        _decide(slot, _in_range(slot, _whole([f.value for f in parts.free])), clean, reading)
    elif slot in YES_NO_SLOTS:
        tail = re.split(r"|".join(map(re.escape, _STRONG_CORRECTION)), clean)[-1]
        answer = read_yes_no(tail or clean, adherence=slot in ADHERENCE_SLOTS)
        if answer.value is not None:
            reading.values[slot] = answer.value


def _answer_requested(
    text: str,
    clean: str,
    requested: str,
    parts: _Parts,
    reading: Reading,
    session_count: int | None,
) -> None:
    """The answer to the question just asked, when the message did not name its slot."""
    if requested == "face_feeling":
        if clean.strip(" ?!.") in _content()["non_answers"]:
            return
        if _free_clauses(clean, reading) or not reading.found_anything:
            if re.search(r"[^\W\d_]{2,}", clean) or emoji_names(text):
                reading.values["face_feeling"] = text.strip()
        return
    first = (clauses(clean) or [""])[0]
    first_clause_taken = bool(reading.values) and bool(
        numbers(first) or durations(first) or _bool_phrases(first)
    )
    if requested in YES_NO_SLOTS:
        if first_clause_taken and not leads_with_yes_no(clean):
            return  # "did 2 sessions…" is no answer to a symptom question
        answer = read_yes_no(clean, adherence=requested in ADHERENCE_SLOTS)
        taken_back = but_not(clean)
        if answer.value is True and taken_back and not _names_other_answer(taken_back, requested):
            reading.unsure = True  # "did the drops but not the tape": partly, so ask
            return
        if answer.value is not None:
            reading.values[requested] = answer.value
        reading.unsure = answer.unsure
        return
    values = _whole([f.value for f in parts.free])
    if requested == "minutes_practised" and values:
        if _has(_content()["per_session_words"], clean) and session_count and session_count > 1:
            values = [v * session_count for v in values]
    elif requested == "sessions_done" and not values:
        vague = _first_phrase(_content()["vague_counts"], clean)
        count = _first_phrase(_content()["count_words"], clean)
        if vague:
            reading.choices[requested] = list(vague)
            return
        if count is not None:
            values = [int(count)]
    elif requested == "mood" and not values:
        suggested = _mood_from_words(clean)
        if suggested is not None:
            reading.suggestion = ("mood", suggested)
            return
    if not values and requested in ("sessions_done", "minutes_practised"):
        if read_yes_no(clean).value is False:
            values = [0]
    in_range = _in_range(requested, values)
    reading.out_of_range = bool(values) and not in_range
    _decide(requested, in_range, clean, reading)


def _names_other_answer(clause: str, requested: str) -> bool:
    named = slot_named(clause)
    return bool(_bool_phrases(clause)) or (named is not None and named != requested)


def _read_confirmation(slot: str, clean: str, reading: Reading) -> None:
    """Yes to the summary, or which answer to change."""
    if slot == "saq_confirmed":
        item = _item_targets(clean)
        reading.change_slot = f"saq_{item[0][0]}" if item else None
    else:
        reading.change_slot = slot_named(clean)
    if clean == "/change_answer" or _has(_CHANGE_WORDS, clean) or reading.change_slot:
        reading.change = True
        return
    answer = read_yes_no(clean)
    if answer.value is True:
        reading.values[slot] = True
    elif answer.value is False:
        reading.change = True
    reading.unsure = answer.unsure


# ---------------------------------------------------------------- the weekly questionnaire


@cache
def _saq_content() -> dict[str, Any]:
    return load_content("saq")


@cache
def _scale_phrases() -> dict[str, int]:
    return {
        phrase: int(value)
        for value, phrases in _saq_content()["scale_words"].items()
        for phrase in phrases
    }


def _saq_limits() -> tuple[int, int]:
    rules = load_content("clinical")["saq"]
    return rules["item_min"], rules["item_max"]


def _item_targets(text: str) -> list[tuple[int, Found]]:
    """Items named in the text: "question 4", "q4", "item four", "#4"."""
    words = "|".join(re.escape(w) for w in _saq_content()["item_words"])
    targets = []
    for item in numbers(text):
        before = text[: item.start]
        if re.search(rf"(?:^|[\s(])(?:{words})\s*$", before) and 1 <= item.value <= 9:
            targets.append((int(item.value), item))
    pattern = r"\b(?:q|#)\s?([1-9])\b|\b([1-9])(?:st|nd|rd|th)\b(?:\s+(?:one|question|item))?"
    for match in re.finditer(pattern, text):
        if any(
            t[1].start <= match.start() < t[1].end or match.start() <= t[1].start < match.end()
            for t in targets
        ):
            continue
        value = int(match.group(1) or match.group(2))
        targets.append((value, Found(value, match.start(), match.end(), match.group(0))))
    return targets


def _scale_values_in(text: str) -> list[int]:
    """Scale words in order ("never, sometimes, almost always")."""
    whole = _scale_phrases().get(text.strip(" .!?"))
    if whole is not None:  # "now and then" is one answer, not two
        return [whole]
    values = []
    for clause in re.split(r"[,;/\n]+", text):
        value = _first_phrase(_scale_phrases(), clause.strip())
        if value is not None:
            values.append(value)
    return values


def read_saq(text: str, requested: str | None, known: dict[str, Any]) -> Reading:
    """Everything one message says for the weekly questionnaire."""
    low, high = _saq_limits()
    clean = normalise(text)
    reading = Reading(corrected=_is_correction(clean))
    if requested == "saq_confirmed" and not _item_targets(clean):
        _read_confirmation(requested, clean, reading)
        return reading
    targets = _item_targets(clean)
    target_spans = [(f.start, f.end) for _, f in targets]
    free = [
        f
        for f in numbers(clean)
        if not _inside(f, target_spans) and not _negated(clean, f) and f.value == int(f.value)
    ]
    if targets:
        item = targets[0][0]
        values = [int(f.value) for f in free] or _scale_values_in(clean[targets[0][1].end :])
        values = list(dict.fromkeys(values))
        if len(values) == 1 and low <= values[0] <= high:
            reading.values[f"saq_{item}"] = values[0]
            reading.corrected = reading.corrected or known.get(f"saq_{item}") is not None
        elif values:
            reading.out_of_range = True
        else:
            reading.change, reading.change_slot = True, f"saq_{item}"
        reading.unclear = not reading.values and not reading.change
        return reading
    if not requested or not requested.startswith("saq_"):
        return reading
    start = int(requested.split("_")[1])
    values = [int(f.value) for f in free] or _scale_values_in(clean)
    if len(values) > 1 and _ALTERNATIVES.search(clean) and len(values) <= 3:
        in_scale = [v for v in dict.fromkeys(values) if low <= v <= high]
        if len(in_scale) > 1:
            reading.choices[requested] = in_scale
            return reading
    if len(values) == 9:
        start = 1
    if values and all(low <= v <= high for v in values) and start + len(values) - 1 <= 9:
        for offset, value in enumerate(values):
            reading.values[f"saq_{start + offset}"] = value
        return reading
    if values:
        reading.out_of_range = True
        reading.unclear = True
        return reading
    answer = read_yes_no(clean)
    if answer.value is False:
        reading.values[requested] = low
    elif answer.value is True:
        reading.choices[requested] = list(_saq_content()["yes_choices"])
    reading.unsure = answer.unsure
    reading.unclear = requested not in reading.values and requested not in reading.choices
    return reading
