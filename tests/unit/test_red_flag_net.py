"""The trained second net for red flags: its features, its training, its place beside the rules."""

from pathlib import Path

import numpy as np
import pytest

from coach.config import REPO_DIR, get_settings
from coach.triage import red_flags
from coach.triage.red_flag_net import (
    Featuriser,
    RedFlagNet,
    corpus_digest,
    load_config,
    load_net,
    train,
)
from coach.triage.red_flags import assess_red_flags, detect_red_flags

# Phrasings of my own that no rule reads (checked below with the net off) and the net does.
NET_ONLY = [
    (
        "I've written letters to each of the kids and put them in the drawer with the will",
        "self_harm",
    ),
    ("made sure the cat has somewhere to go, after this week it won't matter", "self_harm"),
    ("honestly the world keeps turning without me, I'd like to step off it", "self_harm"),
    ("I read the same line of the paper five times and the words meant nothing", "stroke"),
    ("my wife says my sentences trailed off halfway and I didn't notice", "stroke"),
]
TOY = {
    "stroke": ["arm went weak suddenly", "my hand dropped the cup, arm is weak", "leg gave way"],
    "self_harm": ["i want to end it", "no point going on", "i want to end my life"],
    None: ["exercises done today", "my smile is better", "thanks, see you tomorrow", "arm is fine"],
}


def test_the_committed_weights_were_trained_on_the_corpus_as_it_is() -> None:
    config = load_config(get_settings().content_dir)
    assert config["corpus_sha256"] == corpus_digest(REPO_DIR, config), (
        "the net's corpus or training settings changed: run scripts/train_red_flag_net.py"
    )


def test_the_sealed_and_patient_voice_sets_are_never_trained_on() -> None:
    corpus = load_config(get_settings().content_dir)["corpus"]
    named = {path.name for pattern in corpus for path in REPO_DIR.glob(pattern)}
    assert "patient_sentences_unseen.yml" in named
    assert not named & {"patient_sentences.yml", "patient_sentences_sealed.yml"}


def test_each_half_of_the_features_has_unit_length_and_ignores_case_and_accents() -> None:
    featuriser = Featuriser(buckets=4096)
    idf = np.ones(2 * featuriser.buckets)
    indices, values = featuriser.vector("Mi OJO no cierra, my eye won't close", idf)
    words = indices < featuriser.buckets
    assert np.isclose(np.sum(values[words] ** 2), 1.0)
    assert np.isclose(np.sum(values[~words] ** 2), 1.0)
    again = featuriser.vector("mi ojo no cierra, MY EYE WON'T CLOSE", idf)
    assert sorted(zip(indices, values, strict=True)) == sorted(zip(*again, strict=True))
    assert featuriser.counts("ojo") == featuriser.counts("ójo")


def test_training_is_deterministic_and_learns() -> None:
    texts = [t for kind in TOY for t in TOY[kind]]
    labels = [kind for kind in TOY for _ in TOY[kind]]
    config = {
        "kinds": ["stroke", "self_harm"],
        "buckets": 2048,
        "regularisation_c": 4.0,
        "max_iterations": 200,
        "min_document_frequency": 1,
    }
    first, second = train(texts, labels, config), train(texts, labels, config)
    assert np.array_equal(first["weights"], second["weights"])
    net = RedFlagNet(
        kinds=("stroke", "self_harm"),
        featuriser=Featuriser(buckets=2048),
        idf=first["idf"].astype(float),
        weights=first["weights"],
        intercepts=first["intercepts"],
        threshold=0.5,
        window_chars=400,
    )
    assert net.probabilities("my arm went weak")["stroke"][0] > 0.5
    assert net.probabilities("my arm went weak")["self_harm"][0] < 0.5
    assert net.probabilities("i want to end it all")["self_harm"][0] > 0.5
    assert not net.findings("exercises done, smile better")


@pytest.mark.parametrize(("text", "kind"), NET_ONLY)
def test_the_net_adds_a_red_flag_no_rule_reads(
    text: str, kind: str, rules_only_content: Path
) -> None:
    assert detect_red_flags(text, rules_only_content) == []
    found = detect_red_flags(text)
    assert found and found[0].kind == kind
    assert "(net 0." in found[0].evidence or "(net 1." in found[0].evidence


def test_a_long_message_is_read_in_windows_of_sentences() -> None:
    net = load_net(get_settings().content_dir)
    filler = "The exercises went fine today and I used the mirror for both sessions. " * 60
    text = filler + NET_ONLY[0][0] + ". " + filler
    assert len(net.windows(text)) > 10
    assert max(len(w) for w in net.windows(text)) <= 2 * net.window_chars + 1
    assert [f.kind for f in detect_red_flags(text)] == ["self_harm"]
    assert not net.findings(filler)


class _CertainNet:
    """A stand-in net that is sure of every kind, to test how its findings are combined."""

    def findings(self, text: str) -> list[tuple[str, float, str]]:
        return [
            (kind, 0.99, text) for kind in ("self_harm", "stroke", "eye_at_risk", "other_cause")
        ]


def test_the_net_never_overrides_a_context_the_rules_cancelled(monkeypatch) -> None:
    monkeypatch.setattr(red_flags, "load_net", lambda content_dir: _CertainNet())
    assessment = assess_red_flags("no blisters in my ear and my eye isn't red or sore")
    kinds = [f.kind for f in assessment.flags]
    assert "other_cause" not in kinds and "eye_at_risk" not in kinds
    assert {"other_cause", "eye_at_risk"} <= assessment.cancelled
    # what no context cancelled is added; self-harm is never cancelled
    assert kinds[:2] == ["self_harm", "stroke"]


def test_the_net_never_replaces_a_rule_finding(monkeypatch) -> None:
    monkeypatch.setattr(red_flags, "load_net", lambda content_dir: _CertainNet())
    stroke = next(f for f in detect_red_flags("my arm suddenly feels weak") if f.kind == "stroke")
    assert "(net" not in stroke.evidence


def test_switched_off_the_rules_work_alone(rules_only_content: Path) -> None:
    assert load_net(rules_only_content) is None
    kinds = [f.kind for f in detect_red_flags("my arm suddenly feels weak", rules_only_content)]
    assert kinds == ["stroke"]


def test_a_finding_in_another_language_carries_that_language(monkeypatch) -> None:
    monkeypatch.setattr(red_flags, "load_net", lambda content_dir: _CertainNet())
    flags = detect_red_flags("hola, hoy hice los ejercicios con el espejo y todo bien, gracias")
    assert flags and all(f.language == "es" for f in flags if "(net" in f.evidence)


def test_the_corpus_digest_reads_the_sentences_not_the_comments(tmp_path: Path) -> None:
    config = {
        "kinds": ["stroke"],
        "buckets": 1024,
        "regularisation_c": 1.0,
        "max_iterations": 10,
        "min_document_frequency": 1,
        "negatives_except": ["red_flag"],
        "corpus": ["corpus.yml"],
        "negatives": "nlu/*.yml",
    }
    corpus = tmp_path / "corpus.yml"

    def digest_of(text: str) -> str:
        corpus.write_text(text)
        return corpus_digest(tmp_path, config)

    base = "sentences:\n  - {text: 'my arm went weak', intent: red_flag, flag: stroke}\n"
    assert digest_of("# a header\n" + base) == digest_of("# another header\n" + base)
    assert digest_of(base) != digest_of(base.replace("flag: stroke", "flag: self_harm"))
    assert digest_of(base) != digest_of(base.replace("weak", "numb"))


def test_a_long_sentence_without_full_stops_is_read_to_its_end() -> None:
    net = load_net(get_settings().content_dir)
    rambling = "and then we went to the shops and had a coffee and a chat " * 20
    text = rambling + "and " + NET_ONLY[3][0].lower()
    assert all(len(window) <= 2 * net.window_chars + 1 for window in net.windows(text))
    assert "stroke" in [kind for kind, _, _ in net.findings(text)]
