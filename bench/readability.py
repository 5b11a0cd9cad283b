"""Readability of every patient-facing text (coach/content/style.yml), as a patient reads it.

    .venv/bin/python bench/readability.py                        # this checkout ("after")
    .venv/bin/python bench/readability.py --project DIR --label before   # another checkout

Flesch-Kincaid grade (textstat) and word count per text, placeholders filled with the samples
of style.yml. Results: bench/results/readability_<label>.json.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from _common import REPO, write_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=REPO, help="checkout to measure")
    parser.add_argument("--label", default="after")
    args = parser.parse_args()
    from coach.content.style import measure_all, summary

    # The texts are the measured checkout's; the rules and samples (style.yml) are this one's.
    with tempfile.TemporaryDirectory() as tmp:
        content_dir = Path(tmp) / "content"
        shutil.copytree(args.project / "coach" / "content", content_dir)
        shutil.copy(REPO / "coach" / "content" / "style.yml", content_dir / "style.yml")
        measured = measure_all(repo_dir=args.project, content_dir=content_dir)
    figures = summary(measured)
    figures["per_text"] = {
        m.text.name: {"words": m.words, "grade": round(m.grade, 1), "fragment": m.text.fragment}
        for m in sorted(measured, key=lambda m: -m.grade)
    }
    write_result(f"readability_{args.label}", figures)


if __name__ == "__main__":
    main()
