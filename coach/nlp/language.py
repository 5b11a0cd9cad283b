"""Is a message in another language than English? (common-word profiles in languages.yml)

A library language identifier was considered: on one- to five-word chat turns ("ok", "si",
"no pain") they guess wrongly often enough to derail English conversations, and the answer here
only needs "which of the clinic's languages, if clearly not English". Deterministic and offline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from coach.config import get_settings
from coach.triage.red_flags import fold_accents

_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class _Profiles:
    min_score: int
    english: frozenset[str]
    languages: tuple[tuple[str, frozenset[str], frozenset[str]], ...]
    raw: dict[str, Any]


@lru_cache(maxsize=4)
def _profiles(content_dir: Path) -> _Profiles:
    with open(content_dir / "languages.yml", encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return _Profiles(
        min_score=int(raw["min_score"]),
        english=frozenset(raw["english_words"]),
        languages=tuple(
            (code, frozenset(spec["words"]), frozenset(spec.get("greetings") or []))
            for code, spec in raw["languages"].items()
        ),
        raw=raw,
    )


def detect_language(text: str, content_dir: Path | None = None) -> str | None:
    """The clinic language `text` is clearly written in, when it is not English; else None."""
    profiles = _profiles(content_dir or get_settings().content_dir)
    words = _WORD.findall(fold_accents((text or "").lower()))
    if not words:
        return None
    english = sum(word in profiles.english for word in words)
    best: tuple[str | None, int] = (None, 0)
    for code, vocabulary, greetings in profiles.languages:
        score = sum(2 if w in greetings else 1 for w in words if w in vocabulary or w in greetings)
        if score > best[1]:
            best = (code, score)
    code, score = best
    return code if code and score >= profiles.min_score and score > english else None


def english_only_reply(language: str | None, content_dir: Path | None = None) -> str:
    """'English only for now' in `language` (with an {emergency_number} slot), else English."""
    raw = _profiles(content_dir or get_settings().content_dir).raw
    spec = raw["languages"].get(language or "")
    return spec["reply"] if spec else raw["english_only_reply"]
