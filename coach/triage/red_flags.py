"""Red-flag rules on the raw message text, with scoped context (runs in both environments).

Rules (`red_flags.yml` in the configured content folder) find candidate findings; the context
layer (`coach.nlp.context`, negspacy) says whether each one is negated, hypothetical, historical
or someone else's, and a flag's `suppressed_by` decides which of those cancel it. Self-harm is
never cancelled, and its rules also read a carer's report in the first person ("she says she
wants it all to be over"). Warning signs weak alone count together (`warning_signs.py`), and
typing that falls apart is a possible stroke (`garbled_typing.py`).
Other languages are a safety net matched without context. Last, a trained second net
(`red_flag_net.py`) adds a kind the rules missed; it never overrides a context that cancelled.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from coach.config import get_settings
from coach.nlp.context import filler_words, normalise
from coach.nlp.rules import Rule, Sentences, apply_rules, compile_rules
from coach.triage.garbled_typing import GarbledTyping, compile_garbled_typing
from coach.triage.red_flag_net import load_net
from coach.triage.warning_signs import WarningSigns, compile_warning_signs

RULES_FILE = "red_flags.yml"
# Order decides which flag leads when several match: the most urgent first.
FLAG_PRIORITY = ("self_harm", "stroke", "eye_at_risk", "other_cause")
_FOLD = str.maketrans({"ł": "l", "ß": "ss", "œ": "oe", "æ": "ae", "ø": "o", "đ": "d"})


@dataclass(frozen=True)
class RedFlag:
    """One red-flag finding: its kind, the words that triggered it, their language, and what
    found it (`rules`, or `net`: the trained second net)."""

    kind: str
    evidence: str
    language: str = "en"
    source: str = "rules"


@dataclass(frozen=True)
class LanguageNet:
    """One other language's safety net: one named group per kind, and what cancels a finding."""

    language: str
    pattern: re.Pattern[str]
    # someone else's illness, a past one, "no blisters": checked on the finding's sentence
    unless: re.Pattern[str] | None = None

    def cancels(self, sentences: Sentences, start: int, end: int) -> bool:
        """Whether the sentence around text[start:end] says it is not the writer's now."""
        if self.unless is None:
            return False
        return bool(self.unless.search(sentences.text, *sentences.bounds(start, end)))


@dataclass(frozen=True)
class RuleSet:
    """The compiled rules: English rules per kind, and the other languages' safety net."""

    english: tuple[tuple[str, tuple[Rule, ...]], ...]
    other_languages: tuple[LanguageNet, ...]
    # kinds no context cancels in any language (`suppressed_by: []`: self-harm)
    never_cancelled: frozenset[str] = frozenset()
    first_person_kinds: frozenset[str] = frozenset()
    first_person_view: tuple[tuple[re.Pattern[str], str], ...] = ()
    warning_signs: tuple[WarningSigns, ...] = ()
    garbled_typing: GarbledTyping | None = None

    def in_first_person(self, clean: str) -> str:
        """`clean` with someone else's words turned into the writer's ("he wants" -> "i want")."""
        for pattern, replacement in self.first_person_view:
            clean = pattern.sub(replacement, clean)
        return clean


def priority(kind: str) -> int:
    """Sort key: the most urgent kind first."""
    return FLAG_PRIORITY.index(kind) if kind in FLAG_PRIORITY else len(FLAG_PRIORITY)


@lru_cache(maxsize=4)
def load_rules(content_dir: Path) -> RuleSet:
    """Compile `red_flags.yml` from `content_dir` (cached per folder)."""
    with open(content_dir / RULES_FILE, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    english = tuple(
        (kind, compile_rules(spec, raw, filler_words(content_dir)))
        for kind, spec in sorted(raw["flags"].items(), key=lambda item: priority(item[0]))
    )
    # One expression per language, one named group per kind: a single scan per language. Every
    # net scans every message, so what cancels a finding is every language's `unless` together.
    languages = raw.get("other_languages") or {}
    unless = "|".join(
        f"(?:{kinds['unless']})" for kinds in languages.values() if kinds.get("unless")
    )
    other = tuple(
        LanguageNet(
            language=language,
            pattern=re.compile(
                "|".join(
                    f"(?P<{kind}>{'|'.join(f'(?:{p})' for p in patterns)})"
                    for kind, patterns in kinds.items()
                    if kind != "unless"
                )
            ),
            unless=re.compile(unless) if unless else None,
        )
        for language, kinds in languages.items()
    )
    view = raw.get("first_person_view") or {}
    return RuleSet(
        english=english,
        other_languages=other,
        never_cancelled=frozenset(
            kind for kind, spec in raw["flags"].items() if not spec.get("suppressed_by")
        ),
        first_person_kinds=frozenset(view.get("kinds") or ()),
        first_person_view=tuple((re.compile(p), r) for p, r in view.get("replace") or ()),
        warning_signs=compile_warning_signs(raw.get("warning_signs"), raw.get("macros") or {}),
        garbled_typing=compile_garbled_typing(raw.get("garbled_typing")),
    )


def fold_accents(text: str) -> str:
    """Lower-case text without diacritics ("ojo no cierra", "gelahmt", "nie moge")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Assessment:
    """Red flags in a message, and the kinds that were mentioned but cancelled by context."""

    flags: list[RedFlag]
    cancelled: frozenset[str]


def assess_red_flags(
    text: str, content_dir: Path | None = None, *, with_net: bool = True
) -> Assessment:
    """Red flags in `text` (one per kind, most urgent first) and the kinds context cancelled
    ("no pain", "if it gets red", "my gran had a stroke"); `with_net=False`: the rules alone."""
    if not text or not text.strip():
        return Assessment(flags=[], cancelled=frozenset())
    rules = load_rules(content_dir or get_settings().content_dir)
    clean = normalise(text)
    found: dict[str, RedFlag] = {}
    cancelled: set[str] = set()
    labelled = [(kind, rule) for kind, kind_rules in rules.english for rule in kind_rules]
    for hit in apply_rules(clean, labelled, content_dir):
        if hit.suppressed:
            cancelled.add(hit.label)
        elif hit.label not in found:
            found[hit.label] = RedFlag(kind=hit.label, evidence=clean[hit.start : hit.end][:200])
    missing = rules.first_person_kinds - set(found)
    view = rules.in_first_person(clean) if missing else clean
    if view != clean:
        kinds = [(kind, rule) for kind, rule in labelled if kind in missing]
        for hit in apply_rules(view, kinds, content_dir):
            if not hit.suppressed and hit.label not in found:
                evidence = view[hit.start : hit.end][:200]
                found[hit.label] = RedFlag(kind=hit.label, evidence=evidence)
    for signs in rules.warning_signs:
        if signs.kind not in found:
            evidence = signs.evidence(clean) or (signs.evidence(view) if view != clean else None)
            if evidence:
                found[signs.kind] = RedFlag(kind=signs.kind, evidence=evidence)
    garbled = rules.garbled_typing
    if garbled and garbled.kind not in found:
        evidence = garbled.evidence(text.lower())
        if evidence:
            found[garbled.kind] = RedFlag(kind=garbled.kind, evidence=evidence)
    folded = clean if clean.isascii() else fold_accents(clean)
    sentences = Sentences(folded)
    for net in rules.other_languages:
        for match in net.pattern.finditer(folded):
            kind = match.lastgroup or ""
            if kind in found:
                continue
            if kind not in rules.never_cancelled and net.cancels(sentences, *match.span()):
                cancelled.add(kind)
                continue
            found[kind] = RedFlag(kind=kind, evidence=match.group(0)[:200], language=net.language)
    if with_net:
        _add_net_findings(text, content_dir or get_settings().content_dir, rules, found, cancelled)
    flags = sorted(found.values(), key=lambda flag: priority(flag.kind))
    return Assessment(flags=flags, cancelled=frozenset(cancelled - set(found)))


def _add_net_findings(
    text: str, content_dir: Path, rules: RuleSet, found: dict[str, RedFlag], cancelled: set[str]
) -> None:
    """The trained net's kinds the rules missed; a kind context cancelled stays cancelled."""
    net = load_net(content_dir)
    if net is None:
        return
    for kind, probability, window in net.findings(text):
        if kind in found or (kind in cancelled and kind not in rules.never_cancelled):
            continue
        from coach.nlp.language import detect_language  # imports this module

        language = detect_language(window) or "en"
        evidence = f"{window[:160]} (net {probability:.2f})"
        found[kind] = RedFlag(kind=kind, evidence=evidence, language=language, source="net")


def detect_red_flags(
    text: str, content_dir: Path | None = None, *, with_net: bool = True
) -> list[RedFlag]:
    """All red flags in `text`, one per kind, most urgent first; empty when none."""
    return assess_red_flags(text, content_dir, with_net=with_net).flags
