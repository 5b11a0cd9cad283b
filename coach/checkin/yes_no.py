"""Yes or no, as people say it: words, emoji, double negatives, sarcasm, "not sure"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import emoji

from coach.checkin.quantities import normalise
from coach.content import load_content

_CLAUSE_BREAK = re.compile(r"[,;.!?]+|\s+-\s+|\bbut\b|\bthough\b")


@dataclass(frozen=True)
class YesNo:
    """A yes/no reading: `value` is None when the message does not say yes or no."""

    value: bool | None
    unsure: bool = False


UNCLEAR = YesNo(None)
UNSURE = YesNo(None, unsure=True)


@cache
def _words() -> dict[str, list[str]]:
    words = load_content("checkin")["yes_no"]
    return {key: sorted(values, key=len, reverse=True) for key, values in words.items()}


def _phrase_in(phrases: list[str], text: str) -> bool:
    return any(re.search(rf"(?<![\w']){re.escape(p)}(?![\w'])", text) for p in phrases)


def _starts_with(phrases: list[str], text: str) -> bool:
    return any(re.match(rf"{re.escape(p)}(?![\w'])", text) for p in phrases)


_SKIN_TONE = re.compile(r"_?(?:light|medium-light|medium|medium-dark|dark)_skin_tone")
_TRAILING_NOT = re.compile(r"[,.\s]+not[.!\s]*$")  # "oh sure, every day… not!"


def emoji_names(text: str) -> list[str]:
    """The CLDR names of the emoji in `text` (":thumbs_up:"), skin tones ignored."""
    names = re.findall(r":[\w\-&'’.]+:", _SKIN_TONE.sub("", emoji.demojize(text)))
    return [n for n in names if n != "::"]


def clauses(text: str) -> list[str]:
    """`text` split at punctuation and "but", without empty parts."""
    return [part.strip() for part in _CLAUSE_BREAK.split(text) if part and part.strip()]


def read_yes_no(text: str, *, adherence: bool = False) -> YesNo:
    """Yes / no / unsure from the first clause of `text` (the patient's answer).

    `adherence` allows "did", "done" (answers to "did you…" questions about the plan), which
    are no answer to a symptom question.
    """
    words = _words()
    clean = normalise(text)
    if clean in ("/affirm", "/deny"):
        return YesNo(clean == "/affirm")
    names = emoji_names(text)
    plain = re.sub(r"[^\w\s']", " ", emoji.demojize(clean))
    plain = re.sub(r":?[\w\-]+:|\s+", " ", plain).strip()
    if not re.search(r"[a-z0-9]", re.sub(r":[\w\-&'.]+:", "", emoji.demojize(clean))):
        return _read_emoji(names)
    if _phrase_in(words["sarcasm"], clean) or _TRAILING_NOT.search(clean):
        return YesNo(False)
    parts = clauses(clean) or [clean]
    reading = _read_clause(parts[0], adherence, names, plain)
    if reading.value is None and not reading.unsure:
        for later in parts[1:]:  # "only when I chew, yes"
            if _starts_with(_CORE_YES + _CORE_NO, later) and len(later.split()) <= 2:
                return YesNo(_starts_with(_CORE_YES, later))
    return reading


_CORE_YES = ["yes", "yeah", "yep", "yup", "sure"]
_CORE_NO = ["no", "nope", "nah", "not really"]


def but_not(text: str) -> str | None:
    """What follows "but" when it takes something back ("…but not the tape"), else None."""
    after = re.split(r"\bbut\b", normalise(text), maxsplit=1)
    if len(after) < 2 or re.search(r"\d", after[1]):
        return None
    return after[1].strip() if _phrase_in(_words()["negations"], after[1]) else None


def _read_clause(first: str, adherence: bool, names: list[str], plain: str) -> YesNo:
    """Yes / no / unsure from one clause."""
    words = _words()
    if _phrase_in(words["double_negatives"], first):
        return YesNo(True)
    yes_words = words["yes"] + (words["adherence_yes"] if adherence else [])
    starts_yes, starts_no = _starts_with(yes_words, first), _starts_with(words["no"], first)
    if _starts_with(words["unsure"], first) and not (starts_no or starts_yes):
        return UNSURE
    if starts_no:
        return YesNo(False)
    negated = _phrase_in(words["negations"], first)
    if starts_yes:
        return YesNo(not negated or _starts_with(["yes", "yeah", "yep", "yup"], first))
    if _phrase_in(words["unsure"], first):
        return UNSURE
    if negated:
        return YesNo(False)
    if _phrase_in(yes_words, first):
        return YesNo(True)
    return _read_emoji(names) if plain == "" else UNCLEAR


def _read_emoji(names: list[str]) -> YesNo:
    words = _words()
    if any(n in words["unsure_emoji"] for n in names):
        return UNSURE
    yes = any(n in words["yes_emoji"] for n in names)
    no = any(n in words["no_emoji"] for n in names)
    if yes != no:
        return YesNo(yes)
    return UNCLEAR


def leads_with_yes_no(text: str) -> bool:
    """True when the first clause opens with an explicit yes or no word ("yes a little, …")."""
    first = (clauses(normalise(text)) or [""])[0]
    return _starts_with(_CORE_YES + _CORE_NO + _words()["double_negatives"], first)
