#!/usr/bin/env bash
# README "Public benchmarks", the extra-data table (issue 27 §3): the tiny model, the demo recipe
# (experiment=demo_ner: learning rate 3e-3, 25 epochs, 5-fold CV by document), NER micro-F1 pooled over
# the held-out gold documents, for four kinds of training data. Takes your copy of the CAMeL Lab train
# split; nothing of it is kept beyond OUT (default outputs/extra-data). No logic here: `arastance` runs.
#   scripts/extra_data_table.sh ANERCorp_CamelLab_train.txt [OUT]
set -euo pipefail
TRAIN="${1:?usage: scripts/extra_data_table.sh ANERCorp_CamelLab_train.txt [OUT]}"
cd "$(dirname "$0")/.."
OUT="${2:-outputs/extra-data}"
ARASTANCE="${ARASTANCE:-.venv/bin/arastance}"
[ -x "$ARASTANCE" ] || ARASTANCE=arastance
export HF_HUB_OFFLINE=1
mkdir -p "$OUT"
"$ARASTANCE" corpus convert --format conll --label-map configs/corpus/anercorp.yaml "$TRAIN" --out "$OUT/anercorp.jsonl"
run() { "$ARASTANCE" train experiment=demo_ner trainer.progress_bar=false "run_dir=$OUT/$1" "${@:2}" >"$OUT/$1.log" 2>&1; }
run gold
run anercorp data=external data.extra_records="[$OUT/anercorp.jsonl]" trainer.num_epochs=5
run two-stage model.pretrained="$OUT/anercorp"
run mixed data.extra_records="[$OUT/anercorp.jsonl]" data.extra_ratio=5
score() { python3 -c "import json,sys; print(f\"{json.load(open(sys.argv[1]))['ner']['micro_f1']:.3f}\")" "$OUT/$1/metrics.json"; }
echo "| training data | micro-F1 |"
echo "|---|---:|"
echo "| gold only (the demo) | $(score gold) |"
echo "| ANERcorp train alone (5 epochs), gold all held out | $(score anercorp) |"
echo "| stage 1 ANERcorp, stage 2 gold | $(score two-stage) |"
echo "| gold + ANERcorp sentences, \`extra_ratio=5\` | $(score mixed) |"
