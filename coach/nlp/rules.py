"""Reviewed text rules (regular expressions on normalised text) shared by red flags and symptoms.

A rule is one expression whose `(?P<finding>...)` group (else the whole match) is the finding,
or a `near` pair: a `finding` within `window` characters of a `site`, in the same sentence, in
either order (or only `site_first` / `finding_first`). Every finding near a site is a candidate,
so a negated mention cannot hide an affirmed one next to it. `requires`: an expression that must
also occur in the same sentence; `unless`: one that must not; `requires_in_message`: one that
must occur somewhere in the message, `unless_in_message`: one that must not. `<NAME>` expands a
macro of the rules file (macros may use macros).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.config import get_settings
from coach.nlp.context import (
    about_the_writer,
    asking_for_myself,
    assign_contexts,
    happening_now,
    make_doc,
    personal_report,
)

MAX_CANDIDATES_PER_RULE = 50  # bounds the work on a pathological message; any one hit suffices
_SENTENCE_END = re.compile(r"[.!?\n]")
_CLAUSE_BREAK = re.compile(r"[.!?\n;]|\b(?:but|however|although|though|whereas)\b")
# Someone else's finding counts when its sentence says it is happening now (a carer writing),
# unless another context that cancels this rule's findings (negated, historical ...) is there too.
_SOMEONE_ELSE_ONLY = frozenset({"other_experiencer"})
# A finding that is itself a negation ("can't hear", "won't close", "no feeling") is not undone
# by a negation trigger around it: "I can't hear anymore" is worse, not better.
_SELF_NEGATED = re.compile(
    r"(?:can't|cannot|can not|couldn't|won't|will not|wouldn't|doesn't|does not|didn't|"
    r"did not|isn't|aren't|wasn't|weren't|don't|do not|not|never|unable to|no)\b"
)


@dataclass(frozen=True)
class Rule:
    """A single expression, or a site/finding pair, and the contexts that cancel its findings."""

    regex: re.Pattern[str]
    finding: re.Pattern[str] | None
    order: str  # either | site_first | finding_first
    window: int
    suppressed_by: frozenset[str]
    requires: re.Pattern[str] | None = None  # a finding counts only if this is in its sentence
    unless: re.Pattern[str] | None = None  # ... and only if this is not
    in_message: re.Pattern[str] | None = None  # ... and only if this is anywhere in the message
    not_in_message: re.Pattern[str] | None = None  # ... and only if this is nowhere in it


def allow_fillers(pattern: str, fillers: tuple[str, ...]) -> str:
    """`pattern` with filler words ("just", "really" ...) allowed at each of its literal spaces.

    "better off if i wasn't here" then also matches "better off if i just wasn't here". Spaces
    inside a character class, a lookbehind (fixed width) or before a quantifier are left alone.
    """
    if not fillers:
        return pattern
    gap = "(?: (?:" + "|".join(re.escape(word) for word in fillers) + r")\b)* "
    out: list[str] = []
    in_class, depth, lookbehinds, i = False, 0, [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
            if pattern.startswith(("(?<=", "(?<!"), i):
                lookbehinds.append(depth)
        elif char == ")":
            if lookbehinds and lookbehinds[-1] == depth:
                lookbehinds.pop()
            depth -= 1
        elif char == " " and not lookbehinds and pattern[i + 1 : i + 2] not in ("?", "*", "+", "{"):
            out.append(gap)
            i += 1
            continue
        out.append(char)
        i += 1
    return "".join(out)


def expand(pattern: str, macros: dict[str, str], fillers: tuple[str, ...] = ()) -> re.Pattern[str]:
    """Compile `pattern` with its `<NAME>` macros expanded (and `fillers` allowed at spaces).

    A macro may use another macro, so expansion repeats until nothing is left to expand. Each
    macro goes in as one group, so an alternation inside it cannot swallow what follows it.
    """
    for _ in range(len(macros) + 1):
        expanded = pattern
        for name, value in macros.items():
            expanded = expanded.replace(f"<{name}>", f"(?:{value})")
        if expanded == pattern:
            break
        pattern = expanded
    return re.compile(allow_fillers(pattern, fillers))


def compile_rules(
    spec: dict[str, Any], raw: dict[str, Any], fillers: tuple[str, ...] = ()
) -> tuple[Rule, ...]:
    """The `near` and `patterns` rules of one entry of a rules file (`fillers`: see expand)."""
    macros = raw.get("macros") or {}
    default = frozenset(spec.get("suppressed_by") or [])

    def conditions(entry: dict[str, Any]) -> dict[str, re.Pattern[str] | None]:
        """The entry's `requires` (inherited from the flag), `unless`, `requires_in_message`,
        `unless_in_message`."""
        sources = {
            "requires": entry.get("requires", spec.get("requires")),
            "unless": entry.get("unless"),
            "in_message": entry.get("requires_in_message"),
            "not_in_message": entry.get("unless_in_message"),
        }
        return {key: expand(need, macros) if need else None for key, need in sources.items()}

    rules = [
        Rule(
            regex=expand(near["site"], macros, fillers),
            finding=expand(near["finding"], macros, fillers),
            order=near.get("order", "either"),
            window=int(near.get("window", raw["window"])),
            suppressed_by=frozenset(near.get("suppressed_by", default)),
            **conditions(near),
        )
        for near in spec.get("near") or []
    ]
    for entry in spec.get("patterns") or []:
        entry = entry if isinstance(entry, dict) else {"pattern": entry}
        rules.append(
            Rule(
                regex=expand(entry["pattern"], macros, fillers),
                finding=None,
                order="site_first",
                window=0,
                suppressed_by=frozenset(entry.get("suppressed_by", default)),
                **conditions(entry),
            )
        )
    return tuple(rules)


class Sentences:
    """Sentence boundaries of a text, found once (a sentence ends at . ! ? or a new line)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.ends = [m.start() for m in _SENTENCE_END.finditer(text)]

    def bounds(self, start: int, end: int | None = None) -> tuple[int, int]:
        """Start and end of the sentence holding text[start:end]."""
        i = bisect_left(self.ends, start)
        low = self.ends[i - 1] + 1 if i else 0
        j = bisect_left(self.ends, start if end is None else end)
        high = self.ends[j] if j < len(self.ends) else len(self.text)
        return low, high


def clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Start and end of the clause holding text[start:end] (sentence, split at "but" etc.)."""
    before = [m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)]
    after = _CLAUSE_BREAK.search(text, end)
    return (before[-1] if before else 0), (after.start() if after else len(text))


def _word_end(text: str, index: int, limit: int) -> int:
    """`index` moved forward to the end of the word it falls in (not past `limit`)."""
    while index < limit and (text[index].isalnum() or text[index] == "_"):
        index += 1
    return index


def candidates(sentences: Sentences, rule: Rule) -> list[tuple[int, int]]:
    """Character spans of the findings one rule proposes in the text."""
    text = sentences.text
    if rule.in_message is not None and not rule.in_message.search(text):
        return []
    if rule.not_in_message is not None and rule.not_in_message.search(text):
        return []
    spans: list[tuple[int, int]] = []
    for match in rule.regex.finditer(text):
        if rule.finding is None:
            has_group = "finding" in rule.regex.groupindex and match.group("finding")
            spans.append(match.span("finding") if has_group else match.span())
        else:
            low, high = sentences.bounds(match.start(), match.end())
            if rule.order != "finding_first":
                # the window ends at a word's end: "eye ... sand|wiches" must not read as "sand"
                ahead = _word_end(text, min(high, match.end() + rule.window), high)
                spans += [m.span() for m in rule.finding.finditer(text, match.end(), ahead)]
            if rule.order != "site_first":
                floor = max(low, match.start() - rule.window)
                spans += [m.span() for m in rule.finding.finditer(text, floor, match.start())]
        if len(spans) >= MAX_CANDIDATES_PER_RULE:
            break
    spans = [s for s in spans if s[1] > s[0]]
    if rule.requires is not None:
        spans = [s for s in spans if rule.requires.search(text, *sentences.bounds(*s))]
    if rule.unless is not None:
        spans = [s for s in spans if not rule.unless.search(text, *sentences.bounds(*s))]
    return spans


@dataclass(frozen=True)
class Hit:
    """One finding a rule proposed, with its contexts and whether they cancel it."""

    label: str
    start: int
    end: int
    contexts: frozenset[str]
    suppressed: bool


# What "asking for a friend" takes away: the supposition, the question, and the "someone".
_DISGUISED = frozenset({"hypothetical", "question", "other_experiencer"})
# What "... said my speech is slurred" takes away from a finding after it: the someone else.
_SOMEONE_ELSE = frozenset({"other_experiencer", "unrelated_person"})


def apply_rules(
    clean: str, labelled: list[tuple[str, Rule]], content_dir: Path | None = None
) -> list[Hit]:
    """Findings of `labelled` rules in normalised `clean` text, with their context.

    Context is computed sentence by sentence (NegEx scope never crosses a sentence), in text
    order, and a label stops being examined once one of its findings is affirmed: one affirmed
    finding per label is all callers need, and it keeps long messages cheap.
    """
    sentences = Sentences(clean)
    folder = content_dir or get_settings().content_dir
    now = happening_now(folder)
    # a question about one's own body or about now is a report ("is it normal that my arm ...")
    own = personal_report(folder)
    reported = own is not None and own.search(clean) is not None
    # "asking for me: what if someone's words come out jumbled since lunch" is the writer's own
    disguise = asking_for_myself(folder)
    disguised = disguise is not None and disguise.search(clean) is not None
    told = about_the_writer(folder)
    proposals: dict[tuple[int, int], list[tuple[str, Rule, int, int]]] = {}
    for label, rule in labelled:
        for start, end in candidates(sentences, rule):
            proposals.setdefault(sentences.bounds(start, end), []).append((label, rule, start, end))
    hits: list[Hit] = []
    affirmed: set[str] = set()
    for (low, high), found in sorted(proposals.items()):
        pending = [p for p in found if p[0] not in affirmed]
        scoped = list(dict.fromkeys((p[0], p[2], p[3]) for p in pending if p[1].suppressed_by))
        contexts: dict[tuple[str, int, int], frozenset[str]] = {}
        if scoped:
            doc = make_doc(clean[low:high], content_dir)
            targets = [(label, start - low, end - low) for label, start, end in scoped]
            results = assign_contexts(doc, targets, content_dir)
            contexts = {key: f.contexts for key, f in zip(scoped, results, strict=True)}
        for label, rule, start, end in pending:
            context = contexts.get((label, start, end), frozenset())
            if "negated" in context and _SELF_NEGATED.match(clean, start):
                context = context - {"negated"}
            if "question" in context and reported:
                context = context - {"question"}
            if disguised:
                context = context - _DISGUISED
            if context & _SOMEONE_ELSE and told is not None and told.search(clean, low, start):
                context = context - _SOMEONE_ELSE
            cancelling = context & rule.suppressed_by
            if (
                cancelling == _SOMEONE_ELSE_ONLY
                and now is not None
                and now.search(clean, low, high)
            ):
                context = context - _SOMEONE_ELSE_ONLY  # a carer writing about the patient
                cancelling = frozenset()
            suppressed = bool(cancelling)
            hits.append(Hit(label, start, end, context, suppressed))
            if not suppressed:
                affirmed.add(label)
    return hits
