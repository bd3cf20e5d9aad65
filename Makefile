# Every target runs inside .venv (created on first use), so `make demo` and `make test` work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TASK ?= ner
MODEL ?= arabert_v02
RUN ?=
OUT ?=
BENCH ?= full
ARGS ?=
TRAIN ?=
TEST ?=
EXPERIMENT ?= anercorp_arabert
ANERCORP_DIR ?= outputs/anercorp
export HF_HUB_DISABLE_TELEMETRY := 1

.DEFAULT_GOAL := help

# Colour only on a terminal: piped into a file or `less`, raw escape codes would be noise.
help: ## List every target
	@if [ -t 1 ]; then on=$$'\033[36m'; off=$$'\033[0m'; else on=; off=; fi; \
	grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -v on="$$on" -v off="$$off" 'BEGIN {FS = ":.*## "}; \
	{ name[NR] = $$1; text[NR] = $$2; if (length($$1) > width) width = length($$1) } \
	END { for (i = 1; i <= NR; i++) printf "  %s%-*s%s  %s\n", on, width, name[i], off, text[i] }'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the project with its dev extras

test: $(STAMP) ## Run the whole test suite (offline)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q $(ARGS)

test-fast: $(STAMP) ## The tests that do not train or run the pipeline end to end (skips @pytest.mark.slow)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -m "not slow" $(ARGS)

lint: $(STAMP) ## Lint, import order and formatting (ruff) of src, tests and scripts; types of src (mypy)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy

test-labelstudio: $(STAMP) ## Round trip of the gold through a real Label Studio (installs it in .venv-labelstudio, minutes)
	scripts/test_labelstudio.sh $(ARGS)

browser: ## Install Debian's chromium for the browser test of the HTML pages (apt, root; minutes the first time)
	@command -v chromium >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

test-browser: $(STAMP) browser ## report.html and the predictions page in headless Chromium (tests/test_pages_browser.py)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -m browser tests/test_pages_browser.py $(ARGS)

screenshots: $(STAMP) browser ## Regenerate docs/report.png and docs/predictions.png from the demo's tiny model (runs the demo)
	HF_HUB_OFFLINE=1 scripts/screenshots.sh

validate: $(STAMP) ## Validate the gold annotations (annotations/gold/)
	$(BIN)/arastance gold validate

stats: $(STAMP) ## Entity counts per label and document, stance distribution, sentence lengths
	$(BIN)/arastance gold stats

export: $(STAMP) ## Write the gold as interchange JSON lines to reports/gold.jsonl
	@mkdir -p reports
	$(BIN)/arastance gold export --out reports/gold.jsonl

demo: $(STAMP) ## Offline end to end: validate, NER + stance CV on the tiny model, report (about 30 s on 2 CPU cores)
	HF_HUB_OFFLINE=1 $(BIN)/arastance demo $(ARGS)

# The tiny model learns with its own recipe (configs/experiment/demo_*.yaml: trainer=smoke, a higher
# learning rate, more epochs); under the AraBERT trainer defaults it early-stops near micro-F1 0.
TRAIN_CONFIG = $(if $(filter tiny,$(MODEL)),experiment=demo_$(TASK),task=$(TASK) model=$(MODEL))

train: $(STAMP) ## Fine-tune (TASK=ner|stance MODEL=arabert_v02|camelbert_msa|tiny ARGS='hydra overrides'; tiny: the demo recipe)
	$(BIN)/arastance train $(TRAIN_CONFIG) $(ARGS)

evaluate: $(STAMP) ## Score a run's saved model on its held-out documents (RUN=outputs/...)
	@test -n "$(RUN)" || { echo "usage: make evaluate RUN=<run_dir>"; exit 2; }
	$(BIN)/arastance evaluate run_dir=$(RUN) $(ARGS)

publish: $(STAMP) ## Package a run for plain transformers + model card (RUN=... OUT=...)
	@test -n "$(RUN)" || { echo "usage: make publish RUN=<run_dir> [OUT=dir]"; exit 2; }
	$(BIN)/arastance publish $(RUN) --out $(if $(OUT),$(OUT),$(RUN)/published)

anercorp: $(STAMP) ## ANERcorp on its own labels, as published (TRAIN=… TEST=…: your CAMeL Lab split files; EXPERIMENT=anercorp_camelbert)
	@test -n "$(TRAIN)" -a -n "$(TEST)" || { echo "usage: make anercorp TRAIN=ANERCorp_CamelLab_train.txt TEST=ANERCorp_CamelLab_test.txt [EXPERIMENT=anercorp_camelbert]"; exit 2; }
	@mkdir -p $(ANERCORP_DIR)
	$(BIN)/arastance corpus convert --format conll --label-map configs/corpus/anercorp.yaml --native-labels $(TRAIN) --out $(ANERCORP_DIR)/train.jsonl
	$(BIN)/arastance corpus convert --format conll --label-map configs/corpus/anercorp.yaml --native-labels $(TEST) --out $(ANERCORP_DIR)/test.jsonl
	$(BIN)/arastance train experiment=$(EXPERIMENT) data.extra_records=[$(ANERCORP_DIR)/train.jsonl] data.eval_records=[$(ANERCORP_DIR)/test.jsonl] $(ARGS)

bench: $(STAMP) ## Benchmarks vs transformers.Trainer and pipeline, ONNX/OpenVINO backends, demo under load, time to result (BENCH=quick: ~15 min on 2 cores; BENCH=load: the last two only)
	HF_HUB_OFFLINE=1 $(BIN)/arastance bench --mode $(BENCH)

bench-gpu: $(STAMP) ## Training on one CUDA device: Trainer vs our loop (eager, compiled, 4k/16k/64k tokens), MFU, syncs (< 8 min)
	HF_HUB_OFFLINE=1 $(BIN)/arastance bench --mode gpu

clean: ## Remove outputs, reports and caches (keeps .venv)
	rm -rf outputs reports/demo reports/bench .pytest_cache .hypothesis .cache .mypy_cache .ruff_cache

.PHONY: help setup test test-fast lint test-labelstudio browser test-browser screenshots validate stats export demo train evaluate publish anercorp bench bench-gpu clean
