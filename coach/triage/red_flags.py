"""Red-flag rules on the raw message text, with scoped context (runs in both environments).

Rules (`red_flags.yml` in the configured content folder) find candidate findings; the context
layer (`coach.nlp.context`, negspacy) says whether each one is negated, hypothetical, historical
or someone else's, and a flag's `suppressed_by` decides which of those cancel it. Self-harm is
never cancelled. Other languages are a safety net matched without context.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from coach.config import get_settings
from coach.nlp.context import normalise
from coach.nlp.rules import Rule, apply_rules, compile_rules

RULES_FILE = "red_flags.yml"
# Order decides which flag leads when several match: the most urgent first.
FLAG_PRIORITY = ("self_harm", "stroke", "eye_at_risk", "other_cause")
_FOLD = str.maketrans({"ł": "l", "ß": "ss", "œ": "oe", "æ": "ae", "ø": "o", "đ": "d"})


@dataclass(frozen=True)
class RedFlag:
    """One red-flag finding: its kind, the words that triggered it, and their language."""

    kind: str
    evidence: str
    language: str = "en"


@dataclass(frozen=True)
class RuleSet:
    """The compiled rules: English rules per kind, and the other languages' safety net."""

    english: tuple[tuple[str, tuple[Rule, ...]], ...]
    other_languages: tuple[tuple[str, str, tuple[re.Pattern[str], ...]], ...]


def _priority(kind: str) -> int:
    return FLAG_PRIORITY.index(kind) if kind in FLAG_PRIORITY else len(FLAG_PRIORITY)


@lru_cache(maxsize=4)
def load_rules(content_dir: Path) -> RuleSet:
    """Compile `red_flags.yml` from `content_dir` (cached per folder)."""
    with open(content_dir / RULES_FILE, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    english = tuple(
        (kind, compile_rules(spec, raw))
        for kind, spec in sorted(raw["flags"].items(), key=lambda item: _priority(item[0]))
    )
    other = tuple(
        (language, kind, tuple(re.compile(p) for p in patterns))
        for language, kinds in (raw.get("other_languages") or {}).items()
        for kind, patterns in sorted(kinds.items(), key=lambda item: _priority(item[0]))
    )
    return RuleSet(english=english, other_languages=other)


def fold_accents(text: str) -> str:
    """Lower-case text without diacritics ("ojo no cierra", "gelahmt", "nie moge")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def detect_red_flags(text: str, content_dir: Path | None = None) -> list[RedFlag]:
    """All red flags in `text`, one per kind, most urgent first; empty when none."""
    if not text or not text.strip():
        return []
    rules = load_rules(content_dir or get_settings().content_dir)
    clean = normalise(text)
    found: dict[str, RedFlag] = {}
    labelled = [(kind, rule) for kind, kind_rules in rules.english for rule in kind_rules]
    for hit in apply_rules(clean, labelled, content_dir):
        if hit.label not in found and not hit.suppressed:
            found[hit.label] = RedFlag(kind=hit.label, evidence=clean[hit.start : hit.end][:200])
    folded = fold_accents(clean)
    for language, kind, patterns in rules.other_languages:
        if kind in found:
            continue
        hit = next((m for p in patterns for m in [p.search(folded)] if m), None)
        if hit:
            found[kind] = RedFlag(kind=kind, evidence=hit.group(0)[:200], language=language)
    return sorted(found.values(), key=lambda flag: _priority(flag.kind))
