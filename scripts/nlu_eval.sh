#!/usr/bin/env bash
# NLU evaluation on a held-out split (80/20, fixed seed): per-intent F1 written to
# results/nlu_eval/intent_f1.txt and printed; fails below the weighted-F1 floor in
# tests/evaluation/thresholds.yml.
set -euo pipefail
cd "$(dirname "$0")/.."
out=results/nlu_eval
rm -rf "$out" results/nlu_split && mkdir -p "$out"
rasa=.venv-rasa/bin/rasa
{
  $rasa data split nlu --nlu data/nlu --training-fraction 0.8 --random-seed 42 --out results/nlu_split
  $rasa train nlu --nlu results/nlu_split/training_data.yml --config config.yml \
    --out "$out/model" --fixed-model-name nlu
  $rasa test nlu --nlu results/nlu_split/test_data.yml --model "$out/model/nlu.tar.gz" \
    --out "$out" --no-plot
} >"$out/run.log" 2>&1 || { tail -40 "$out/run.log"; echo "NLU evaluation FAILED"; exit 1; }
.venv/bin/python - "$out" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
report = json.loads((out / "intent_report.json").read_text())
lines = [f"{'intent':28} {'f1':>6} {'support':>8}"]
for name, row in sorted(report.items()):
    if isinstance(row, dict) and "f1-score" in row and name not in ("macro avg", "weighted avg", "micro avg"):
        lines.append(f"{name:28} {row['f1-score']:6.2f} {row['support']:8d}")
for name in ("weighted avg", "macro avg"):
    if name in report:
        lines.append(f"{name:28} {report[name]['f1-score']:6.2f} {report[name]['support']:8d}")
if "accuracy" in report:
    lines.append(f"{'accuracy':28} {report['accuracy']:6.2f}")
text = "\n".join(lines)
(out / "intent_f1.txt").write_text(text + "\n")
print("NLU held-out evaluation (results/nlu_eval/intent_f1.txt):")
print(text)
import yaml
floor = yaml.safe_load(Path("tests/evaluation/thresholds.yml").read_text())["nlu_split_weighted_f1_min"]
weighted = report["weighted avg"]["f1-score"]
if weighted < floor:
    sys.exit(f"NLU evaluation FAILED: weighted F1 {weighted:.2f} < {floor} (tests/evaluation/thresholds.yml)")
PY
