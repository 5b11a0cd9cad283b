"""Checks a patient-facing text against the rules of style.yml (length, grade, words, lists)."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import textstat

from coach.content import load_content
from coach.content.catalogue import PatientText, as_read, patient_texts, sample_values

STEP = re.compile(r"^\s*\d+[.)]\s+(?P<step>.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Measured:
    """A text as the patient reads it, with its figures and the rules it breaks."""

    text: PatientText
    read: str
    words: int
    grade: float
    problems: tuple[str, ...]


def word_count(text: str) -> int:
    """Words as textstat counts them (punctuation and numbered-step markers are not words)."""
    return int(textstat.lexicon_count(STEP.sub(r"\g<step>", text)))


def grade(text: str) -> float:
    """Flesch-Kincaid grade of a text; each numbered step reads as its own sentence."""
    return float(textstat.flesch_kincaid_grade(STEP.sub(r"\g<step>", text)))


def _problems(text: PatientText, read: str, rules: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    words, level = word_count(read), grade(read)
    if words > rules["max_words"] and not text.fragment:
        problems.append(f"{words} words (most {rules['max_words']})")
    if level > rules["max_grade"] and not text.fragment:
        problems.append(f"grade {level:.1f} (most {rules['max_grade']})")
    for rule in rules["banned"]:
        if text.name in rule.get("allowed_in", []):
            continue
        for piece in (read, *text.buttons):
            found = re.search(rule["pattern"], piece, re.IGNORECASE)
            if found:
                problems.append(f"'{found.group(0)}': {rule['why']}")
    for step in STEP.findall(read):
        if word_count(step) > rules["step_max_words"]:
            problems.append(f"step of {word_count(step)} words: '{step}'")
    if read.count(";") > rules["max_list_separators"]:
        problems.append("a list in one sentence: write it as numbered steps")
    return problems


def measure_all(repo_dir: Path | None = None, content_dir: Path | None = None) -> list[Measured]:
    """Every patient-facing text, measured as read (placeholders filled with samples)."""
    rules = load_content("style", content_dir)
    samples = sample_values(content_dir)
    kwargs = {"repo_dir": repo_dir} if repo_dir else {}
    measured = []
    for text in patient_texts(content_dir=content_dir, **kwargs):
        read = as_read(text, samples, content_dir)
        measured.append(
            Measured(text, read, word_count(read), grade(read), tuple(_problems(text, read, rules)))
        )
    return measured


def hold_times(measured: list[Measured], content_dir: Path | None = None) -> dict[str, set[str]]:
    """Hold time → the texts that say it (CLINICAL.md: one hold time everywhere)."""
    pattern = re.compile(load_content("style", content_dir)["hold_time_pattern"], re.IGNORECASE)
    found: dict[str, set[str]] = {}
    for item in measured:
        for match in pattern.finditer(item.read):
            found.setdefault(match.group("time").lower(), set()).add(item.text.name)
    return found


def summary(measured: list[Measured]) -> dict[str, Any]:
    """The figures of a content review: median and max grade, the longest text."""
    over_rules = sorted({m.text.name for m in measured if m.problems})
    messages = [m for m in measured if not m.text.fragment]
    grades = [m.grade for m in messages]
    longest = max(messages, key=lambda m: m.words)
    hardest = max(messages, key=lambda m: m.grade)
    return {
        "texts": len(messages),
        "median_grade": round(statistics.median(grades), 1),
        "max_grade": round(hardest.grade, 1),
        "hardest": hardest.text.name,
        "max_words": longest.words,
        "longest": longest.text.name,
        "over_rules": over_rules,
    }
