"""Every patient-facing text: the Rasa domain's responses and the content paths style.yml lists."""

from __future__ import annotations

import fnmatch
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from coach.config import REPO_DIR
from coach.content import load_content

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class PatientText:
    """One text a patient (or a consented caregiver) can read, and where it lives."""

    name: str  # response name (utter_…) or content path (file:dotted.path)
    source: str  # the file it comes from
    text: str  # as written, placeholders and all
    buttons: tuple[str, ...] = ()
    fragment: bool = False  # a piece of another message (measured inside that message)

    @property
    def placeholders(self) -> list[str]:
        """Names of the `{placeholders}` in the text."""
        return PLACEHOLDER.findall(self.text)


def _walk(data: Any, parts: list[str], trail: list[str]) -> list[tuple[str, Any]]:
    """Values under a dotted path whose segments may be fnmatch patterns (`*`, `caregiver_*`)."""
    if not parts:
        return [(".".join(trail), data)]
    if isinstance(data, list):
        data = {str(index): value for index, value in enumerate(data)}
    if not isinstance(data, dict):
        return []
    head, rest = parts[0], parts[1:]
    found: list[tuple[str, Any]] = []
    for key, value in data.items():
        if fnmatch.fnmatchcase(str(key), head):
            found += _walk(value, rest, trail + [str(key)])
    return found


def content_values(spec: str, content_dir: Path | None = None) -> list[tuple[str, str]]:
    """`file:dotted.path` → [(full name, text)] for every string value the path matches."""
    file_name, _, path = spec.partition(":")
    data = load_content(file_name, content_dir)
    return [
        (f"{file_name}:{name}", value.strip())
        for name, value in _walk(data, path.split("."), [])
        if isinstance(value, str)
    ]


def domain_texts(repo_dir: Path = REPO_DIR, pattern: str = "domain/*.yml") -> list[PatientText]:
    """Every text variant of every response in the Rasa domain files."""
    texts: list[PatientText] = []
    for path in sorted(repo_dir.glob(pattern)):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, variants in (data.get("responses") or {}).items():
            for variant in variants:
                if "text" not in variant:
                    continue
                buttons = tuple(b.get("title", "") for b in variant.get("buttons") or [])
                texts.append(
                    PatientText(name, str(path.relative_to(repo_dir)), variant["text"], buttons)
                )
    return texts


def patient_texts(repo_dir: Path = REPO_DIR, content_dir: Path | None = None) -> list[PatientText]:
    """All patient-facing texts that style.yml's `sources` name."""
    sources = load_content("style", content_dir)["sources"]
    texts = domain_texts(repo_dir, sources["domain"])
    for kind in ("content", "fragments"):
        for spec in sources.get(kind) or []:
            file_name = spec.partition(":")[0]
            texts += [
                PatientText(name, f"coach/content/{file_name}.yml", text, (), kind == "fragments")
                for name, text in content_values(spec, content_dir)
            ]
    return texts


def sample_values(content_dir: Path | None = None) -> dict[str, str]:
    """Placeholder → the sample value a text is measured with (the longest, where several)."""
    samples: dict[str, str] = {}
    for name, spec in load_content("style", content_dir)["placeholders"].items():
        if isinstance(spec, dict):
            paths = spec["longest_of"]
            paths = [paths] if isinstance(paths, str) else paths
            values = [text for path in paths for _, text in content_values(path, content_dir)]
            samples[name] = max(values, key=lambda v: len(v.split()))
        else:
            samples[name] = str(spec)
    return samples


def fill(template: str, samples: dict[str, str], depth: int = 3) -> str:
    """`template` with its placeholders filled by sample values, which may hold placeholders."""
    names = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    if not names or depth == 0:
        return template
    values = {name: samples.get(name, "{" + name + "}") for name in names}
    filled = template.format(**values)
    return filled if filled == template else fill(filled, samples, depth - 1)


def as_read(text: PatientText, samples: dict[str, str], content_dir: Path | None = None) -> str:
    """The text as a patient reads it: placeholders filled by samples (unknown ones kept)."""
    overrides = load_content("style", content_dir).get("sample_overrides") or {}
    return fill(text.text, {**samples, **overrides.get(text.name, {})})
