"""Typing that falls apart: a message typed while a hand or the words are failing.

A stroke can strike while someone is typing to the coach, and the message then shows it: words
with their vowels lost ("my wrds wnt cme out", "rght hnd") or their letters swapped ("rihgt",
"waht"). The `garbled_typing` section of the rules file lists the everyday words whose broken
forms count, and the texting shorthand that does not ("pls", "ngl"). A message with at least
`min_words` broken words, one of them a word for a limb, speech or typing (or such a word
written whole), is a red flag of `kind`. Linear in the message length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_WORD = re.compile(r"[a-z]+")
_VOWELS = frozenset("aeiouy")


def _without_vowels(word: str) -> str:
    return "".join(c for c in word if c not in _VOWELS)


@dataclass(frozen=True)
class GarbledTyping:
    """The words whose broken forms count, and how many broken words make a red flag."""

    kind: str
    min_words: int
    words: frozenset[str]  # everyday words: their vowel-less and letter-swapped forms count
    topic_words: frozenset[str]  # a limb, speech, typing: one must be in the message
    shorthand: frozenset[str]  # texting shorthand and real words that look broken ("pls", "three")
    _stripped: dict[str, str]  # "wrds" -> "words"
    _swapped: dict[str, str]  # "rihgt" -> "right"

    def broken(self, token: str) -> str | None:
        """The word `token` is a broken form of, else None ("wrds" -> "words")."""
        if token in self.words or token in self.shorthand or len(token) < 2:
            return None
        if not _VOWELS.intersection(token):
            return self._stripped.get(token)
        return self._swapped.get(token)

    def evidence(self, text: str) -> str | None:
        """The broken words when `text` (lower case) reaches the bar, else None."""
        tokens = _WORD.findall(text)
        broken = [(token, self.broken(token)) for token in tokens]
        broken = [(token, word) for token, word in broken if word]
        if len(broken) < self.min_words:
            return None
        on_topic = any(word in self.topic_words for _, word in broken) or any(
            token in self.topic_words for token in tokens
        )
        return " ".join(token for token, _ in broken)[:200] if on_topic else None


def compile_garbled_typing(raw: dict[str, Any] | None) -> GarbledTyping | None:
    """The `garbled_typing` section of the rules file, compiled (None when absent)."""
    if not raw:
        return None
    topic = frozenset(raw["topic_words"])
    words = frozenset(raw["words"]) | topic
    return GarbledTyping(
        kind=raw["kind"],
        min_words=int(raw["min_words"]),
        words=words,
        topic_words=topic,
        shorthand=frozenset(raw.get("shorthand") or ()),
        _stripped={_without_vowels(w): w for w in words if len(_without_vowels(w)) >= 2},
        _swapped={swap: w for w in words if len(w) >= 4 for swap in _adjacent_swaps(w)},
    )


def _adjacent_swaps(word: str) -> set[str]:
    """`word` with two neighbouring letters swapped, each way it can be ("waht" for "what")."""
    swaps = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    return swaps - {word}
