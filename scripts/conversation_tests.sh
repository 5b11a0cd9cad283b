#!/usr/bin/env bash
# Conversation tests: `rasa test` on the test stories in tests/conversations (NLU + dialogue).
set -euo pipefail
cd "$(dirname "$0")/.."
out=results/conversations
rm -rf "$out"; mkdir -p results
.venv-rasa/bin/rasa test core --model models/coach.tar.gz --stories tests/conversations \
  --out "$out" --fail-on-prediction-errors --no-plot >"$out.log" 2>&1 || {
  grep -v "^WARNING: Location" "$out.log" | tail -40
  [ -f "$out/failed_test_stories.yml" ] && cat "$out/failed_test_stories.yml"
  echo "conversation tests FAILED"; exit 1; }
stories=$(grep -c "^- story:" tests/conversations/*.yml | awk -F: '{s+=$2} END {print s}')
failed=$(grep -c "^- story:" "$out/failed_test_stories.yml" 2>/dev/null || true)
echo "conversations: $((stories - ${failed:-0})) passed, ${failed:-0} failed"
[ "${failed:-0}" = "0" ]
