"""Symptom extraction with a blank English spaCy pipeline and the project's own patterns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span

from coach.content import load_content

CLAUSE_BREAKS = {".", ";", "!", "?", "but", "however", "although", "though", "while", ","}


@dataclass(frozen=True)
class Symptom:
    """One symptom mention: what, which side, what sets it off, and whether it was denied."""

    symptom: str
    side: str | None
    trigger: str | None
    negated: bool
    text: str

    @property
    def is_finding(self) -> bool:
        return not self.negated


def _token_patterns(phrase: list[str], max_gap: int) -> list[dict[str, Any]]:
    pattern: list[dict[str, Any]] = []
    for part in phrase:
        if part == "*":
            pattern.extend({"OP": "?"} for _ in range(max_gap))
        else:
            pattern.append({"LOWER": {"REGEX": f"^{part}$"}})
    return pattern


@lru_cache(maxsize=1)
def _pipeline() -> tuple[Language, Matcher, dict[str, Any]]:
    content = load_content("symptoms")
    nlp = spacy.blank("en")
    matcher = Matcher(nlp.vocab)
    for name, phrases in content["symptoms"].items():
        matcher.add(
            name, [_token_patterns(p, content["max_gap"]) for p in phrases], greedy="LONGEST"
        )
    return nlp, matcher, content


def _clause_bounds(doc: Doc, span: Span) -> tuple[int, int]:
    start = span.start
    while start > 0 and doc[start - 1].lower_ not in CLAUSE_BREAKS:
        start -= 1
    end = span.end
    while end < len(doc) and doc[end].lower_ not in CLAUSE_BREAKS:
        end += 1
    return start, end


def _find_vocab(words: str, vocab: dict[str, list[str]]) -> str | None:
    for key, phrases in vocab.items():
        for phrase in phrases:
            if re.search(rf"\b{re.escape(phrase)}\b", words):
                return key
    return None


def _is_negated(doc: Doc, span: Span, clause: tuple[int, int], content: dict[str, Any]) -> bool:
    before = {t.lower_ for t in doc[clause[0] : span.end]}
    if before & set(content["negation_before"]):
        return True
    after = doc[span.end : clause[1]].text.lower()
    return any(re.search(rf"\b{re.escape(cue)}\b", after) for cue in content["negation_after"])


def extract_symptoms(text: str, affected_side: str | None = None) -> list[Symptom]:
    """Every symptom mention in `text`, with side, trigger and negation."""
    nlp, matcher, content = _pipeline()
    doc = nlp(text or "")
    found: list[Symptom] = []
    seen: set[tuple[str, int]] = set()
    for match_id, start, end in sorted(matcher(doc), key=lambda m: m[1]):
        name = nlp.vocab.strings[match_id]
        span = doc[start:end]
        if (name, start) in seen:
            continue
        seen.add((name, start))
        clause = _clause_bounds(doc, span)
        clause_text = doc[clause[0] : clause[1]].text.lower()
        side = _find_vocab(clause_text, content["sides"])
        if (
            side is None
            and affected_side
            and re.search(r"\b(bad|weak|affected) side\b", clause_text)
        ):
            side = affected_side
        found.append(
            Symptom(
                symptom=name,
                side=side,
                trigger=_find_vocab(clause_text, content["triggers"]),
                negated=_is_negated(doc, span, clause, content),
                text=span.text[:200],
            )
        )
    return found


def early_sign_findings(symptoms: list[Symptom]) -> list[Symptom]:
    """The positive (not negated) findings that are early signs of synkinesis."""
    early = set(load_content("symptoms")["early_signs"])
    return [s for s in symptoms if s.is_finding and s.symptom in early]
