#!/usr/bin/env bash
# `make screenshots`: docs/report.png and docs/predictions.png, the README's pictures of the two pages,
# from the demo's tiny model: the demo (report.html), its two runs published, the gold documents predicted
# (predictions.html), each page shot in headless Chromium at its documents.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
OUT=reports/demo
RUNS=outputs/demo
export ARASTANCE_PUBLISH_ONNX=no  # the pictures need torch prediction only

"$BIN/arastance" demo --out "$OUT" --runs "$RUNS"
for task in ner stance; do
  "$BIN/arastance" publish "$RUNS/$task" --out "$RUNS/$task/published" >/dev/null
done
"$BIN/arastance" predict --ner "$RUNS/ner/published" --stance "$RUNS/stance/published" annotations/documents \
  --out "$OUT/predictions.jsonl" --html "$OUT/predictions.html"
"$BIN/python" scripts/screenshot.py "$OUT/report.html" docs/report.png --at "#documents"
"$BIN/python" scripts/screenshot.py "$OUT/predictions.html" docs/predictions.png --at "#documents"
