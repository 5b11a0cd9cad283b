#!/usr/bin/env bash
# Patient-voice evaluation: the trained model (whole NLU pipeline, red-flag rule layer included)
# on tests/evaluation/patient_sentences.yml, then the thresholds (tests/evaluation/thresholds.yml)
# on rules, symptoms and NLU. The set is never trained on. Report: results/patient_eval/.
# Usage: scripts/patient_eval.sh [SENTENCES.yml OUT_DIR]  (default: the set in tests/evaluation)
set -euo pipefail
cd "$(dirname "$0")/.."
sentences=${1:-tests/evaluation/patient_sentences.yml}
out=${2:-results/patient_eval}
rm -rf "$out" && mkdir -p "$out"
.venv/bin/python -c "
from pathlib import Path
from tests.evaluation.patient_eval import load_sentences, nlu_training_file
nlu_training_file(load_sentences(Path('$sentences')), Path('$out/nlu.yml'))"
.venv-rasa/bin/rasa test nlu --nlu "$out/nlu.yml" --model models/coach.tar.gz --out "$out/nlu" \
  --successes --no-plot >"$out/run.log" 2>&1 || { tail -40 "$out/run.log"; echo "patient evaluation FAILED"; exit 1; }
.venv/bin/python -m tests.evaluation.patient_eval --predictions "$out/nlu" --rasa-python .venv-rasa/bin/python \
  --sentences "$sentences" --out "$out"
