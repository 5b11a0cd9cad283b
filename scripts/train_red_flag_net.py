"""Train the red-flag net (coach/triage/red_flag_net.py) on the corpus its config names.

Writes the weights next to the config (coach/content/red_flag_net.npz) and the corpus digest into
the config, so a unit test notices a corpus changed without retraining. Deterministic: the same
corpus gives the same weights.

`--cross-validate` instead measures how to set the threshold: the unseen-phrasing set's blocks
(one author each) are split into eight folds; each fold is scored by a net trained without it,
and the table gives, per threshold, the false alarms the net adds to the rules on benign
messages of authors it never saw (results/red_flag_net_cv.txt).

Usage: .venv/bin/python scripts/train_red_flag_net.py [--cross-validate]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np
import yaml

from coach.config import REPO_DIR, get_settings
from coach.triage.red_flag_net import (
    CONFIG_FILE,
    Featuriser,
    RedFlagNet,
    corpus_digest,
    load_config,
    load_corpus,
    train,
)

UNSEEN = "tests/evaluation/patient_sentences_unseen.yml"
FOLDS = 8
THRESHOLDS = (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


def write_weights(content_dir: Path, config: dict) -> None:
    texts, labels = load_corpus(REPO_DIR, config)
    started = time.monotonic()
    trained = train(texts, labels, config)
    np.savez_compressed(
        content_dir / config["weights_file"],
        idf=trained["idf"].astype(np.float16),
        weights=trained["weights"].astype(np.float16),
        intercepts=trained["intercepts"],
    )
    config_path = content_dir / CONFIG_FILE
    digest = corpus_digest(REPO_DIR, config)
    text = re.sub(
        r"^corpus_sha256: .*$", f'corpus_sha256: "{digest}"', config_path.read_text(), flags=re.M
    )
    config_path.write_text(text, encoding="utf-8")
    print(
        f"trained on {len(texts)} sentences ({sum(1 for x in labels if x)} red flags) in "
        f"{time.monotonic() - started:.0f} s -> {config['weights_file']}, corpus {digest[:12]}"
    )


def unseen_blocks() -> list[tuple[str, dict]]:
    """(block name, sentence) for every sentence of the unseen set, from its block headers."""
    text = (REPO_DIR / UNSEEN).read_text(encoding="utf-8")
    sentences = yaml.safe_load(text)["sentences"]
    names, current = [], ""
    for line in text[text.index("\nsentences:") :].splitlines():
        header = re.match(r"\s*# -+ block (\w+)", line)
        if header:
            current = header.group(1)
        elif line.lstrip().startswith("- {text:"):
            names.append(current)
    if len(names) != len(sentences):
        raise SystemExit("could not assign every unseen sentence to its block")
    return list(zip(names, sentences, strict=True))


def cross_validate(content_dir: Path, config: dict) -> None:
    from coach.triage.red_flags import detect_red_flags

    rows = unseen_blocks()
    blocks = sorted({name for name, _ in rows})
    fold_of = {name: i % FOLDS for i, name in enumerate(blocks)}
    others = dict(config, corpus=[c for c in config["corpus"] if c != UNSEEN])
    extra_texts, extra_labels = load_corpus(REPO_DIR, others)
    probabilities: list[dict[str, float]] = [{} for _ in rows]
    for fold in range(FOLDS):
        kept = [s for name, s in rows if fold_of[name] != fold]
        trained = train(
            [s["text"] for s in kept] + extra_texts,
            [s.get("flag") for s in kept] + extra_labels,
            config,
        )
        net = RedFlagNet(
            kinds=tuple(config["kinds"]),
            featuriser=Featuriser(buckets=int(config["buckets"])),
            idf=trained["idf"].astype(np.float64),
            weights=trained["weights"],
            intercepts=trained["intercepts"],
            threshold=1.0,
            window_chars=int(config["window_chars"]),
        )
        for i, (name, sentence) in enumerate(rows):
            if fold_of[name] == fold:
                scores = net.probabilities(sentence["text"])
                probabilities[i] = {kind: p for kind, (p, _) in scores.items()}
        print(f"fold {fold + 1}/{FOLDS} done", file=sys.stderr)
    benign = [i for i, (_, s) in enumerate(rows) if not s.get("flag")]
    rules_alarm = {
        i for i in benign if detect_red_flags(rows[i][1]["text"], content_dir, with_net=False)
    }
    lines = [
        f"{FOLDS}-fold cross-validation by author over {len(blocks)} blocks of {UNSEEN}",
        f"benign messages: {len(benign)}; the rules alone alarm on {len(rules_alarm)} "
        f"({100 * len(rules_alarm) / len(benign):.2f} %)",
        "threshold  alarms the net adds  (points)  by kind",
    ]
    for threshold in THRESHOLDS:
        added = [
            i
            for i in benign
            if i not in rules_alarm and max(probabilities[i].values()) >= threshold
        ]
        by_kind = {
            kind: sum(1 for i in added if probabilities[i][kind] >= threshold)
            for kind in config["kinds"]
        }
        lines.append(
            f"{threshold:<10} {len(added):<20} +{100 * len(added) / len(benign):.2f}   {by_kind}"
        )
    report = "\n".join(lines)
    out = REPO_DIR / "results" / "red_flag_net_cv.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report + "\n", encoding="utf-8")
    print(report)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cross-validate", action="store_true")
    args = parser.parse_args()
    content_dir = get_settings().content_dir
    config = load_config(content_dir)
    if args.cross_validate:
        cross_validate(content_dir, config)
    else:
        write_weights(content_dir, config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
