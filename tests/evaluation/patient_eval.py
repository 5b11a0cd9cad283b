"""Evaluation on the patient-voice set (tests/evaluation/patient_sentences.yml).

Measures the rule layer (red-flag recall, stroke -> emergency, false alarms), the symptom
extractor (early-sign recall with side) and, from `rasa test nlu` predictions of the trained
model on the same sentences, the whole NLU pipeline (per-intent F1, low mood answered with
support, model-only confirming questions). Writes results/patient_eval/report.{json,txt}; exits
non-zero when a threshold in thresholds.yml is missed. Usage:

    python -m tests.evaluation.patient_eval [--predictions DIR] [--rasa-python PATH]
        [--sentences FILE --out DIR]   (another labelled set, e.g. a fresh one written unseen)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from coach.config import REPO_DIR
from coach.nlp.language import detect_language
from coach.nlp.symptoms import early_sign_findings, extract_symptoms
from coach.triage.red_flags import detect_red_flags

HERE = Path(__file__).resolve().parent
SENTENCES = HERE / "patient_sentences.yml"
THRESHOLDS = HERE / "thresholds.yml"
OUT = REPO_DIR / "results" / "patient_eval"
# Evaluation labels the model names differently: a report of how the face is (symptoms or
# progress) is the model's `inform`; the coach then extracts what it says.
INTENT_MAP = {"report_symptom": "inform", "share_progress": "inform"}
RED_FLAG_PATH = {"red_flag", "possible_red_flag"}
RULES_ALONE_KEYS = ("red_flag_recall", "stroke_emergency", "false_alarm_rate")


def load_sentences(path: Path = SENTENCES) -> list[dict[str, Any]]:
    """The labelled sentences."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["sentences"]


def nlu_training_file(sentences: list[dict[str, Any]], path: Path) -> Path:
    """The sentences as a Rasa NLU file (model intent names), for `rasa test nlu`."""
    by_intent: dict[str, list[str]] = {}
    for s in sentences:
        by_intent.setdefault(INTENT_MAP.get(s["intent"], s["intent"]), []).append(s["text"])
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in sorted(by_intent.items()):
        lines += [f"  - intent: {intent}", "    examples: |"]
        lines += [f"      - {' '.join(t.split())}" for t in texts]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rule_kinds(sentences: list[dict[str, Any]]) -> list[list[str]]:
    """Red-flag kinds the rule layer (its trained net included) finds in each sentence."""
    return [[f.kind for f in detect_red_flags(s["text"])] for s in sentences]


def rule_kinds_with_sources(
    sentences: list[dict[str, Any]],
) -> tuple[list[list[str]], list[list[str]]]:
    """Kinds found by the rule layer, and by its hand-written rules alone (the net left out)."""
    found = [detect_red_flags(s["text"]) for s in sentences]
    return (
        [[f.kind for f in flags] for flags in found],
        [[f.kind for f in flags if f.source == "rules"] for flags in found],
    )


def rasa_env_rule_kinds(rasa_python: Path, sentences_path: Path = SENTENCES) -> list[list[str]]:
    """The same, computed by the Rasa environment (spaCy 3.4) in a subprocess."""
    code = (
        "import json\n"
        "from pathlib import Path\n"
        "from tests.evaluation.patient_eval import load_sentences, rule_kinds\n"
        f"print(json.dumps(rule_kinds(load_sentences(Path({str(sentences_path)!r})))))\n"
    )
    result = subprocess.run(
        [str(rasa_python), "-c", code],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(REPO_DIR), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _ratio(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def rule_metrics(sentences: list[dict[str, Any]], kinds: list[list[str]]) -> dict[str, Any]:
    """Red-flag recall, stroke leading with emergency advice, false alarms; misses listed."""
    flagged = [(s, k) for s, k in zip(sentences, kinds, strict=True) if s.get("flag")]
    benign = [(s, k) for s, k in zip(sentences, kinds, strict=True) if not s.get("flag")]
    caught = [(s, k) for s, k in flagged if s["flag"] in k]
    strokes = [(s, k) for s, k in flagged if s["flag"] == "stroke"]
    stroke_first = [(s, k) for s, k in strokes if k and k[0] == "stroke"]
    alarms = [(s, k) for s, k in benign if k]
    return {
        "red_flag_sentences": len(flagged),
        "red_flag_recall": _ratio(len(caught), len(flagged)),
        "stroke_sentences": len(strokes),
        "stroke_emergency": _ratio(len(stroke_first), len(strokes)),
        "benign_sentences": len(benign),
        "false_alarm_rate": _ratio(len(alarms), len(benign)),
        "missed": [s["text"] for s, k in flagged if s["flag"] not in k],
        "false_alarms": [{"text": s["text"], "kinds": k} for s, k in alarms],
    }


def symptom_metrics(sentences: list[dict[str, Any]]) -> dict[str, Any]:
    """Early-sign recall (with the side when the patient names one) and look-alike findings."""
    with_signs = [s for s in sentences if s.get("signs")]
    found, missed = 0, []
    for s in with_signs:
        findings = early_sign_findings(extract_symptoms(s["text"]))
        side_ok = s.get("side") is None or any(f.side == s["side"] for f in findings)
        if findings and side_ok:
            found += 1
        else:
            missed.append(s["text"])
    lookalikes = [s for s in sentences if not s.get("signs") and s.get("tag") == "lookalike"]
    spurious = [s["text"] for s in lookalikes if early_sign_findings(extract_symptoms(s["text"]))]
    return {
        "early_sign_sentences": len(with_signs),
        "early_sign_recall": _ratio(found, len(with_signs)),
        "early_sign_missed": missed,
        "lookalike_sentences": len(lookalikes),
        "lookalike_early_sign_rate": _ratio(len(spurious), len(lookalikes)),
        "lookalike_early_signs": spurious,
    }


def language_metrics(sentences: list[dict[str, Any]]) -> dict[str, Any]:
    """Other-language messages recognised, and English ones left alone."""
    wrong = [s["text"] for s in sentences if detect_language(s["text"]) != s.get("lang")]
    return {
        "language_accuracy": _ratio(len(sentences) - len(wrong), len(sentences)),
        "language_wrong": wrong,
    }


def load_predictions(folder: Path) -> dict[str, dict[str, Any]]:
    """text -> predicted intent, from `rasa test nlu --successes` output in `folder`."""
    predicted: dict[str, dict[str, Any]] = {}
    for name in ("intent_successes.json", "intent_errors.json"):
        path = folder / name
        if path.exists():
            for row in json.loads(path.read_text()):
                predicted[" ".join(row["text"].split())] = row["intent_prediction"]
    return predicted


def _f1_table(pairs: list[tuple[str, str]]) -> dict[str, dict[str, float]]:
    labels = sorted({t for t, _ in pairs} | {p for _, p in pairs})
    table = {}
    for label in labels:
        tp = sum(1 for t, p in pairs if t == label and p == label)
        fp = sum(1 for t, p in pairs if t != label and p == label)
        fn = sum(1 for t, p in pairs if t == label and p != label)
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[label] = {"f1": round(f1, 3), "support": tp + fn}
    return table


def nlu_metrics(
    sentences: list[dict[str, Any]], kinds: list[list[str]], predicted: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Whole-pipeline figures from the trained model's predictions on the set."""
    pairs, mood_ok, moods, confirm_on_benign, benign = [], 0, 0, [], 0
    flagged, unanswered = 0, []
    for s, k in zip(sentences, kinds, strict=True):
        guess = predicted.get(" ".join(s["text"].split()), {}).get("name", "missing")
        truth = INTENT_MAP.get(s["intent"], s["intent"])
        pairs.append((truth, "red_flag" if guess in RED_FLAG_PATH else guess))
        if s.get("flag"):
            # a rule's advice (any kind), or the model's confirming question without a rule
            flagged += 1
            if not k and guess not in RED_FLAG_PATH:
                unanswered.append(s["text"])
        if s["intent"] == "mood_low":
            moods += 1
            mood_ok += guess == "mood_low" or (guess == "red_flag" and "self_harm" in k)
        if not s.get("flag"):
            benign += 1
            if guess == "possible_red_flag":
                confirm_on_benign.append(s["text"])
    return {
        "intent_f1": _f1_table(pairs),
        "intent_accuracy": _ratio(sum(t == p for t, p in pairs), len(pairs)),
        "mood_sentences": moods,
        "mood_supportive": _ratio(mood_ok, moods),
        "confirming_question_on_benign": _ratio(len(confirm_on_benign), benign),
        "confirming_question_benign_texts": confirm_on_benign,
        "red_flag_answered": _ratio(flagged - len(unanswered), flagged),
        "red_flag_unanswered": unanswered,
    }


def check(report: dict[str, Any], limits: dict[str, float]) -> list[str]:
    """Threshold failures, as readable lines (empty when all pass)."""
    failures = []
    for key in ("red_flag_recall", "stroke_emergency", "early_sign_recall", "mood_supportive"):
        if key in report and report[key] < limits[key]:
            failures.append(f"{key} {report[key]:.3f} < {limits[key]:.2f}")
    if report["false_alarm_rate"] > limits["false_alarm_rate_max"]:
        failures.append(
            f"false_alarm_rate {report['false_alarm_rate']:.3f} > {limits['false_alarm_rate_max']}"
        )
    if report.get("rasa_env_differs"):
        failures.append(f"Rasa env rule layer differs on {len(report['rasa_env_differs'])} lines")
    return failures


def summary(report: dict[str, Any]) -> str:
    """The report as text: headline figures, per-intent F1, misses."""
    lines = [
        f"sentences: {report['sentences']}",
        f"red-flag recall (rules and their net): {report['red_flag_recall']:.1%} of "
        f"{report['red_flag_sentences']}",
        f"stroke -> emergency now: {report['stroke_emergency']:.1%} of "
        f"{report['stroke_sentences']}",
        f"false alarms: {report['false_alarm_rate']:.1%} of {report['benign_sentences']} benign",
        f"early-sign recall (with side): {report['early_sign_recall']:.1%} of "
        f"{report['early_sign_sentences']}",
        f"early signs on look-alikes: {report['lookalike_early_sign_rate']:.1%}",
        f"language recognised: {report['language_accuracy']:.1%}",
    ]
    if "rules_alone" in report:
        alone = report["rules_alone"]
        lines.append(
            f"hand-written rules alone (net left out): recall {alone['red_flag_recall']:.1%}, "
            f"stroke -> emergency {alone['stroke_emergency']:.1%}, "
            f"false alarms {alone['false_alarm_rate']:.1%}"
        )
    if "mood_supportive" in report:
        lines += [
            f"low mood answered with support: {report['mood_supportive']:.1%} of "
            f"{report['mood_sentences']}",
            f"confirming question on benign: {report['confirming_question_on_benign']:.1%}",
            f"red flags answered (rule advice or confirming question): "
            f"{report['red_flag_answered']:.1%}",
            f"intent accuracy: {report['intent_accuracy']:.1%}",
            f"{'intent':24} {'f1':>6} {'support':>8}",
        ]
        lines += [
            f"{name:24} {row['f1']:6.2f} {row['support']:8d}"
            for name, row in report["intent_f1"].items()
        ]
    for key in (
        "missed",
        "red_flag_unanswered",
        "false_alarms",
        "early_sign_missed",
        "rasa_env_differs",
    ):
        for item in report.get(key) or []:
            lines.append(f"  {key}: {item}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--predictions", type=Path, help="rasa test nlu output folder")
    parser.add_argument("--rasa-python", type=Path, help="also run the rules in the Rasa env")
    parser.add_argument("--sentences", type=Path, default=SENTENCES, help="the labelled set")
    parser.add_argument("--out", type=Path, default=OUT, help="report folder")
    args = parser.parse_args(argv)
    sentences = load_sentences(args.sentences)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the Rasa environment's run (a subprocess) overlaps this one: the set is large
        other = (
            pool.submit(rasa_env_rule_kinds, args.rasa_python, args.sentences.resolve())
            if args.rasa_python
            else None
        )
        kinds, rules_alone = rule_kinds_with_sources(sentences)
        other_kinds = other.result() if other else None
    report: dict[str, Any] = {"sentences": len(sentences)}
    report.update(rule_metrics(sentences, kinds))
    alone = rule_metrics(sentences, rules_alone)
    report["rules_alone"] = {key: alone[key] for key in RULES_ALONE_KEYS}
    report.update(symptom_metrics(sentences))
    report.update(language_metrics(sentences))
    if other_kinds is not None:
        report["rasa_env_differs"] = [
            s["text"] for s, a, b in zip(sentences, kinds, other_kinds, strict=True) if a != b
        ]
    if args.predictions:
        report.update(nlu_metrics(sentences, kinds, load_predictions(args.predictions)))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    text = summary(report)
    (args.out / "report.txt").write_text(text + "\n")
    print(f"Patient-voice evaluation ({args.out / 'report.txt'}):")
    print(text)
    failures = check(report, yaml.safe_load(THRESHOLDS.read_text()))
    for failure in failures:
        print(f"FAILED: {failure}")
    print(f"intent distribution: {dict(Counter(s['intent'] for s in sentences))}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
