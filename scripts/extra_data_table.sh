#!/usr/bin/env bash
# README "Public benchmarks", the extra-data table (issue 27 §3): the tiny model, the demo recipe
# (experiment=demo_ner: learning rate 3e-3, 25 epochs, 5-fold CV by document), NER micro-F1 pooled over
# the held-out gold documents, for five kinds of training data, once per seed (SEEDS="42 1 2 3": one
# column each, then their mean and spread). Takes your copy of the CAMeL Lab train split; nothing of it
# is kept beyond OUT (default outputs/extra-data). No logic here: `arastance` runs, python3 reads metrics.json.
#   [SEEDS="42 1 2 3"] [ARGS="more overrides for every run"] scripts/extra_data_table.sh ANERCorp_CamelLab_train.txt [OUT]
set -euo pipefail
TRAIN="${1:?usage: [SEEDS=\"42 1 2 3\"] scripts/extra_data_table.sh ANERCorp_CamelLab_train.txt [OUT]}"
cd "$(dirname "$0")/.."
OUT="${2:-outputs/extra-data}"
SEEDS="${SEEDS:-42}"
read -r -a MORE <<<"${ARGS:-}"
ARASTANCE="${ARASTANCE:-.venv/bin/arastance}"
[ -x "$ARASTANCE" ] || ARASTANCE=arastance
export HF_HUB_OFFLINE=1
mkdir -p "$OUT"
# The shipped map lists ANERcorp's unannotated labels; they are used only by the partial-labels row.
"$ARASTANCE" corpus convert --format conll --label-map configs/corpus/anercorp.yaml "$TRAIN" --out "$OUT/anercorp.jsonl"
run() {
  "$ARASTANCE" train experiment=demo_ner trainer.progress_bar=false "run_dir=$OUT/$1" "${@:2}" "${MORE[@]}" \
    >"$OUT/$1.log" 2>&1 || { echo "failed: $1 (see $OUT/$1.log)" >&2; tail -n 5 "$OUT/$1.log" >&2; exit 1; }
}
extra="data.extra_records=[$OUT/anercorp.jsonl]"
for seed in $SEEDS; do
  run "gold-$seed" "seed=$seed"
  run "anercorp-$seed" "seed=$seed" data=external "$extra" trainer.num_epochs=5
  run "two-stage-$seed" "seed=$seed" model.pretrained="$OUT/anercorp-$seed"
  run "mixed-$seed" "seed=$seed" "$extra" data.extra_ratio=5
  run "partial-$seed" "seed=$seed" "$extra" data.extra_ratio=5 data.partial_labels=true
done
python3 - "$OUT" $SEEDS <<'EOF'
import json, statistics, sys
out, seeds = sys.argv[1], sys.argv[2:]
rows = [
    ("gold", "gold only (the demo)"),
    ("anercorp", "ANERcorp train alone (5 epochs), gold all held out"),
    ("two-stage", "stage 1 ANERcorp, stage 2 gold"),
    ("mixed", "gold + ANERcorp sentences, `extra_ratio=5`"),
    ("partial", "the same, `data.partial_labels=true`"),
]
def f1(run): return json.load(open(f"{out}/{run}/metrics.json"))["ner"]["micro_f1"]
spread = len(seeds) > 1
print("| training data | " + " | ".join(f"seed {s}" for s in seeds) + (" | mean | sd |" if spread else " |"))
print("|---|" + "---:|" * (len(seeds) + (2 if spread else 0)))
for name, text in rows:
    values = [f1(f"{name}-{s}") for s in seeds]
    cells = [f"{v:.3f}" for v in values]
    if spread:
        cells += [f"{statistics.mean(values):.3f}", f"{statistics.stdev(values):.3f}"]
    print(f"| {text} | " + " | ".join(cells) + " |")
EOF
