"""Warning signs that are weak alone and a red flag together (the `warning_signs` of the rules).

Suicide prevention's warning signs are mostly ordinary on their own: a will sorted, a dog taken
to a daughter's, "had enough", a question about how high a bridge is. Together they are the
way people most often say it. Each kind lists families of cues (arrangements, means, ending,
despair); a message raises the flag when it holds cues of at least `min_families` different
families, or `min_cues` different cues of any (each different phrase a cue matches counts, but
the same words twice, or two cues on the same words, count once). Every protective cue (plans
ahead, someone else's death, "as one does at my age") raises both bars by one. Context is not
applied: the combination is the evidence, and self-harm is never cancelled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from coach.nlp.rules import expand


@dataclass(frozen=True)
class WarningSigns:
    """The cue families of one red-flag kind and the bars a message must reach."""

    kind: str
    families: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]
    protective: tuple[re.Pattern[str], ...]
    min_families: int
    min_cues: int

    def evidence(self, text: str) -> str | None:
        """The cues found when `text` (normalised) reaches the bars, else None."""
        cues: list[tuple[int, int]] = []  # spans of different cues, none overlapping another
        families: set[str] = set()
        for family, patterns in self.families:
            for pattern in patterns:
                for match in pattern.finditer(text):
                    words = match.group(0)
                    if any(text[start:end] == words for start, end in cues) or any(
                        match.start() < end and start < match.end() for start, end in cues
                    ):
                        continue
                    cues.append(match.span())
                    families.add(family)
        if not cues:
            return None
        raise_by = sum(1 for pattern in self.protective if pattern.search(text))
        if len(families) >= self.min_families + raise_by or len(cues) >= self.min_cues + raise_by:
            return " / ".join(text[start:end] for start, end in cues)[:200]
        return None


def compile_warning_signs(
    raw: dict[str, Any] | None, macros: dict[str, str]
) -> tuple[WarningSigns, ...]:
    """Compile the `warning_signs` section of the rules file, its `<NAME>` macros expanded."""
    compiled = []
    for kind, spec in (raw or {}).items():
        families = tuple(
            (name, tuple(expand(p, macros) for p in patterns))
            for name, patterns in spec["families"].items()
        )
        compiled.append(
            WarningSigns(
                kind=kind,
                families=families,
                protective=tuple(expand(p, macros) for p in spec.get("protective") or ()),
                min_families=int(spec["min_families"]),
                min_cues=int(spec["min_cues"]),
            )
        )
    return tuple(compiled)
