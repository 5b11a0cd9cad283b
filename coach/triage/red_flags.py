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
from typing import Any

import yaml

from coach.config import get_settings
from coach.nlp.context import assign_contexts, make_doc, normalise

RULES_FILE = "red_flags.yml"
# Order decides which flag leads when several match: the most urgent first.
FLAG_PRIORITY = ("self_harm", "stroke", "eye_at_risk", "other_cause")
MAX_CANDIDATES_PER_RULE = 50  # bounds the work on a pathological message; any one hit suffices
_SENTENCE_END = re.compile(r"[.!?\n]")
_FOLD = str.maketrans({"ł": "l", "ß": "ss", "œ": "oe", "æ": "ae", "ø": "o", "đ": "d"})


@dataclass(frozen=True)
class RedFlag:
    """One red-flag finding: its kind, the words that triggered it, and their language."""

    kind: str
    evidence: str
    language: str = "en"


@dataclass(frozen=True)
class _Rule:
    """A single expression, or a site/finding pair (`near`)."""

    regex: re.Pattern[str]
    finding: re.Pattern[str] | None
    order: str  # either | site_first | finding_first
    window: int
    suppressed_by: frozenset[str]


@dataclass(frozen=True)
class RuleSet:
    """The compiled rules: English rules per kind, and the other languages' safety net."""

    english: tuple[tuple[str, tuple[_Rule, ...]], ...]
    other_languages: tuple[tuple[str, str, tuple[re.Pattern[str], ...]], ...]


def _expand(pattern: str, macros: dict[str, str]) -> str:
    for name, value in macros.items():
        pattern = pattern.replace(f"<{name}>", value)
    return pattern


def _compile(pattern: str, macros: dict[str, str]) -> re.Pattern[str]:
    return re.compile(_expand(pattern, macros))


def _priority(kind: str) -> int:
    return FLAG_PRIORITY.index(kind) if kind in FLAG_PRIORITY else len(FLAG_PRIORITY)


def _english_rules(kind: str, spec: dict[str, Any], raw: dict[str, Any]) -> tuple[_Rule, ...]:
    macros = raw.get("macros") or {}
    default = frozenset(spec.get("suppressed_by") or [])
    rules = [
        _Rule(
            regex=_compile(near["site"], macros),
            finding=_compile(near["finding"], macros),
            order=near.get("order", "either"),
            window=int(near.get("window", raw["window"])),
            suppressed_by=frozenset(near.get("suppressed_by", default)),
        )
        for near in spec.get("near") or []
    ]
    for entry in spec.get("patterns") or []:
        entry = entry if isinstance(entry, dict) else {"pattern": entry}
        rules.append(
            _Rule(
                regex=_compile(entry["pattern"], macros),
                finding=None,
                order="site_first",
                window=0,
                suppressed_by=frozenset(entry.get("suppressed_by", default)),
            )
        )
    return tuple(rules)


@lru_cache(maxsize=4)
def load_rules(content_dir: Path) -> RuleSet:
    """Compile `red_flags.yml` from `content_dir` (cached per folder)."""
    with open(content_dir / RULES_FILE, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    english = tuple(
        (kind, _english_rules(kind, spec, raw))
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


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    before = [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    after = _SENTENCE_END.search(text, end)
    return (before[-1] if before else 0), (after.start() if after else len(text))


def _candidates(text: str, rule: _Rule) -> list[tuple[int, int]]:
    """Character spans of the findings one rule proposes in `text`."""
    spans: list[tuple[int, int]] = []
    for match in rule.regex.finditer(text):
        if rule.finding is None:
            has_group = "finding" in rule.regex.groupindex and match.group("finding")
            spans.append(match.span("finding") if has_group else match.span())
        else:
            low, high = _sentence_bounds(text, match.start(), match.end())
            if rule.order != "finding_first":
                ahead = min(high, match.end() + rule.window)
                spans += [m.span() for m in rule.finding.finditer(text, match.end(), ahead)]
            if rule.order != "site_first":
                floor = max(low, match.start() - rule.window)
                spans += [m.span() for m in rule.finding.finditer(text, floor, match.start())]
        if len(spans) >= MAX_CANDIDATES_PER_RULE:
            break
    return [s for s in spans if s[1] > s[0]]


def detect_red_flags(text: str, content_dir: Path | None = None) -> list[RedFlag]:
    """All red flags in `text`, one per kind, most urgent first; empty when none."""
    if not text or not text.strip():
        return []
    rules = load_rules(content_dir or get_settings().content_dir)
    clean = normalise(text)
    proposals: list[tuple[str, _Rule, int, int]] = []
    for kind, kind_rules in rules.english:
        for rule in kind_rules:
            proposals += [(kind, rule, start, end) for start, end in _candidates(clean, rule)]
    found: dict[str, RedFlag] = {}
    needs_context = [p for p in proposals if p[1].suppressed_by]
    contexts: dict[int, frozenset[str]] = {}
    if needs_context:
        doc = make_doc(clean, content_dir)
        targets = [(kind, start, end) for kind, _, start, end in needs_context]
        findings = assign_contexts(doc, targets, content_dir)
        contexts = {id(p): f.contexts for p, f in zip(needs_context, findings)}
    for proposal in proposals:
        kind, rule, start, end = proposal
        if kind in found or contexts.get(id(proposal), frozenset()) & rule.suppressed_by:
            continue
        found[kind] = RedFlag(kind=kind, evidence=clean[start:end][:200])
    folded = fold_accents(clean)
    for language, kind, patterns in rules.other_languages:
        if kind in found:
            continue
        hit = next((m for p in patterns for m in [p.search(folded)] if m), None)
        if hit:
            found[kind] = RedFlag(kind=kind, evidence=hit.group(0)[:200], language=language)
    return sorted(found.values(), key=lambda flag: _priority(flag.kind))
