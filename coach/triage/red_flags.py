"""Rule layer for red flags on the raw message text (pure Python: also runs in the Rasa env)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

RULES_FILE = Path(__file__).resolve().parent.parent / "content" / "red_flags.yml"
# Order decides which flag leads when several match: the most urgent first.
FLAG_PRIORITY = ("self_harm", "stroke", "eye_at_risk", "other_cause")


@dataclass(frozen=True)
class RedFlag:
    """One red-flag finding: its kind and the words that triggered it."""

    kind: str
    evidence: str


@dataclass(frozen=True)
class _FlagRules:
    kind: str
    negatable: bool
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class _RuleSet:
    flags: tuple[_FlagRules, ...]
    negation: re.Pattern[str]
    clause_break: re.Pattern[str]


@lru_cache(maxsize=4)
def _load_rules(path: Path = RULES_FILE) -> _RuleSet:
    with open(path, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    flags = tuple(
        _FlagRules(
            kind=kind,
            negatable=bool(spec.get("negatable", False)),
            patterns=tuple(re.compile(p, re.IGNORECASE) for p in spec["patterns"]),
        )
        for kind, spec in sorted(
            raw["flags"].items(),
            key=lambda item: (
                FLAG_PRIORITY.index(item[0]) if item[0] in FLAG_PRIORITY else len(FLAG_PRIORITY)
            ),
        )
    )
    return _RuleSet(
        flags=flags,
        negation=re.compile(raw["negation_cues"], re.IGNORECASE),
        clause_break=re.compile(raw["clause_breaks"], re.IGNORECASE),
    )


def normalise(text: str) -> str:
    """Lower-case, straighten apostrophes, collapse white space."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return re.sub(r"\s+", " ", text.lower()).strip()


def _clause_around(text: str, position: int, rules: _RuleSet) -> str:
    """The clause of `text` that contains `position`."""
    start = 0
    end = len(text)
    for brk in rules.clause_break.finditer(text):
        if brk.end() <= position:
            start = brk.end()
        elif brk.start() >= position:
            end = brk.start()
            break
    return text[start:end]


def _is_negated(text: str, match: re.Match[str], rules: _RuleSet) -> bool:
    """A match is negated when the clause holding its last word carries a negation cue."""
    clause = _clause_around(text, max(match.end() - 1, match.start()), rules)
    return bool(rules.negation.search(clause))


def detect_red_flags(text: str, rules_file: Path = RULES_FILE) -> list[RedFlag]:
    """All red flags in `text`, most urgent first; empty when none."""
    if not text:
        return []
    rules = _load_rules(rules_file)
    clean = normalise(text)
    found: list[RedFlag] = []
    for flag in rules.flags:
        for pattern in flag.patterns:
            hit = next(
                (
                    m
                    for m in pattern.finditer(clean)
                    if not (flag.negatable and _is_negated(clean, m, rules))
                ),
                None,
            )
            if hit:
                found.append(RedFlag(kind=flag.kind, evidence=hit.group(0)))
                break
    return found
