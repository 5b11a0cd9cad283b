"""The patient-voice evaluation sets stay out of training and are labelled consistently."""

import re
from pathlib import Path

import pytest
import yaml

from tests.evaluation.patient_eval import HERE, load_sentences

REPO = Path(__file__).resolve().parents[2]
SETS = [
    HERE / "patient_sentences.yml",
    HERE / "patient_sentences_unseen.yml",
    HERE / "patient_sentences_sealed.yml",
]
FLAGS = {"stroke", "eye_at_risk", "other_cause", "self_harm"}
STOCK_PHRASE_WORDS = 5  # "hi", "bye for now", "start my check-in" are the same everywhere


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _training_texts() -> set[str]:
    texts = set()
    for path in (REPO / "data" / "nlu").glob("*.yml"):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            for line in (item.get("examples") or "").splitlines():
                example = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.strip()[2:])
                texts.add(_key(example))
    return texts


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_set_is_never_trained_on(path: Path) -> None:
    training = _training_texts()
    leaked = [
        s["text"]
        for s in load_sentences(path)
        if len(_key(s["text"]).split()) > STOCK_PHRASE_WORDS and _key(s["text"]) in training
    ]
    assert leaked == []


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_labels_are_consistent(path: Path) -> None:
    sentences = load_sentences(path)
    assert len({_key(s["text"]) for s in sentences}) == len(sentences)  # no duplicates
    for s in sentences:
        assert (s["intent"] == "red_flag") == (s.get("flag") in FLAGS), s
        assert s.get("side") in (None, "left", "right"), s
