"""Symptoms in a patient's own words: which sign, which side, what sets it off, and whether denied.

Rules from `symptoms.yml` (the configured content folder) propose findings; the context layer
(negspacy, `coach.nlp.context`) decides whether each is negated, hypothetical, historical or
someone else's. Side and trigger are the nearest side / trigger words in the same clause (the
side, else the only side the message names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from coach.config import get_settings
from coach.nlp.context import filler_words, normalise
from coach.nlp.rules import Hit, Rule, apply_rules, clause_bounds, compile_rules, expand

VOCABULARY_FILE = "symptoms.yml"


@dataclass(frozen=True)
class Symptom:
    """One symptom: what, which side, what sets it off, and whether it was denied."""

    symptom: str
    side: str | None
    trigger: str | None
    negated: bool
    text: str

    @property
    def is_finding(self) -> bool:
        return not self.negated


@dataclass(frozen=True)
class _Vocabulary:
    rules: tuple[tuple[str, Rule], ...]
    sides: tuple[tuple[str, re.Pattern[str]], ...]
    affected: re.Pattern[str]
    triggers: tuple[tuple[str, re.Pattern[str]], ...]
    early_signs: frozenset[str]
    coaching: dict[str, str]


@lru_cache(maxsize=4)
def _vocabulary(content_dir: Path) -> _Vocabulary:
    with open(content_dir / VOCABULARY_FILE, encoding="utf-8") as handle:
        raw: dict[str, Any] = yaml.safe_load(handle)
    macros = raw.get("macros") or {}
    rules = tuple(
        (name, rule)
        for name, spec in raw["symptoms"].items()
        for rule in compile_rules(
            {"suppressed_by": raw.get("suppressed_by"), **spec}, raw, filler_words(content_dir)
        )
    )
    return _Vocabulary(
        rules=rules,
        sides=tuple(
            (side, expand(pattern, macros))
            for side, patterns in raw["sides"].items()
            for pattern in patterns
        ),
        affected=expand(raw["affected_side"], macros),
        triggers=tuple((name, expand(p, macros)) for name, p in raw["triggers"].items()),
        early_signs=frozenset(raw["early_signs"]),
        coaching=dict(raw.get("coaching") or {}),
    )


def _nearest(
    text: str, hit: Hit, vocab: tuple[tuple[str, re.Pattern[str]], ...]
) -> tuple[str | None, int]:
    """The vocabulary entry closest to `hit` in its clause, and its distance in characters."""
    low, high = clause_bounds(text, hit.start, hit.end)
    best: tuple[str | None, int] = (None, len(text) + 1)
    for name, pattern in vocab:
        for match in pattern.finditer(text, low, high):
            distance = max(hit.start - match.end(), match.start() - hit.end, 0)
            if distance < best[1]:
                best = (name, distance)
    return best


def _only_side_named(text: str, vocabulary: _Vocabulary) -> str | None:
    """The side a message names, when it names exactly one ("... every time. left side")."""
    named = {side for side, pattern in vocabulary.sides if pattern.search(text)}
    return named.pop() if len(named) == 1 else None


def _side(text: str, hit: Hit, vocabulary: _Vocabulary, affected_side: str | None) -> str | None:
    """The side nearest the finding in its clause, else the one side the message names."""
    side, distance = _nearest(text, hit, vocabulary.sides)
    if affected_side:
        relative, relative_distance = _nearest(text, hit, (("affected", vocabulary.affected),))
        if relative and relative_distance < distance:
            return affected_side
    return side or _only_side_named(text, vocabulary)


def extract_symptoms(
    text: str, affected_side: str | None = None, content_dir: Path | None = None
) -> list[Symptom]:
    """Every symptom `text` mentions (one per kind), with side, trigger and negation."""
    folder = content_dir or get_settings().content_dir
    vocabulary = _vocabulary(folder)
    clean = normalise(text)
    if not clean:
        return []
    by_kind: dict[str, list[Hit]] = {}
    for hit in apply_rules(clean, list(vocabulary.rules), folder):
        by_kind.setdefault(hit.label, []).append(hit)
    found: list[Symptom] = []
    for name, hits in by_kind.items():
        affirmed = [h for h in hits if not h.suppressed]
        hit = (affirmed or hits)[0]
        found.append(
            Symptom(
                symptom=name,
                side=_side(clean, hit, vocabulary, affected_side),
                trigger=_nearest(clean, hit, vocabulary.triggers)[0],
                negated=not affirmed,
                text=clean[hit.start : hit.end][:200],
            )
        )
    return sorted(found, key=lambda s: clean.find(s.text))


def early_sign_findings(symptoms: list[Symptom], content_dir: Path | None = None) -> list[Symptom]:
    """The positive (not negated) findings that are early signs of synkinesis."""
    early = _vocabulary(content_dir or get_settings().content_dir).early_signs
    return [s for s in symptoms if s.is_finding and s.symptom in early]


def coaching_response(symptom: str, content_dir: Path | None = None) -> str | None:
    """Name of the domain response that coaches on `symptom` (None when there is none)."""
    return _vocabulary(content_dir or get_settings().content_dir).coaching.get(symptom)
