"""Shared by test_publish.py, test_predict.py and test_preannotate.py: tiny training runs, trained
once per test session (cached under the session's base temp folder, whichever module asks first), and
models with a biased head whose output is known in advance.

A random-init tiny model after a few steps predicts almost nothing, so tests that must see entities
use `biased_copy`: the same model with one label's bias raised so that every word gets that label —
then "every word of a 3000-word document is tagged" is checkable end to end (one entity per word).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from arastance.schema import load_schema

REPO_ROOT = Path(__file__).resolve().parents[2]
DOC_IDS = [
    "000_1de9847addf50ec0",
    "001_307b6d8156389d2c",
    "002_037562c013cbc5d0",
    "003_267b21d0fb597590",
    "004_d438872805faa861",
]
COMMON = ["model=tiny", "trainer=smoke", "trainer.max_steps=3", "trainer.precision=fp32", "seed=7"]
RUNS: dict[str, list[str]] = {
    # Two folds of leave-one-document-out CV are enough to exercise fold selection and pooling.
    "ner_cv": ["task=ner", "data=cv", "data.folds=[0,1]"],
    "stance_fixed": ["task=stance", "data=fixed"],
    # The "final model" recipe from the card: all documents, no dev, no test.
    "ner_all": [
        "task=ner",
        "data=fixed",
        f"data.train_docs=[{','.join(DOC_IDS)}]",
        "data.dev_docs_ids=[]",
        "data.test_docs=[]",
    ],
}


# Trains in a child process: training sets process-wide state (accelerate's AcceleratorState, seeds,
# library logging) that other test modules in this session must not inherit. One child for all runs
# pays the torch/transformers import once.
TRAIN_SCRIPT = """
import json, sys
from hydra import compose, initialize_config_dir
from arastance.train import train
spec = json.loads(sys.argv[1])
for run_dir, overrides in spec["runs"].items():
    with initialize_config_dir(config_dir=spec["configs"], version_base="1.3"):
        cfg = compose("train", overrides=overrides + ["run_dir=" + run_dir])
    train(cfg)
"""


def _train(runs: dict[Path, list[str]], cache_dir: Path) -> None:
    import os
    import subprocess
    import sys

    common = [*COMMON, f"paths.root={REPO_ROOT}", f"paths.cache_dir={cache_dir}"]
    spec = {
        "configs": str(REPO_ROOT / "configs"),
        "runs": {str(run): [*common, *overrides] for run, overrides in runs.items()},
    }
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ARASTANCE_ROOT": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", TRAIN_SCRIPT, json.dumps(spec)], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"training the test runs failed:\n{done.stderr[-4000:]}")


def trained_runs(factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{name: run_dir} of RUNS, trained on first use in this session."""
    root = factory.getbasetemp() / "publish-runs"
    runs = {name: root / name for name in RUNS}
    missing = {run_dir: RUNS[name] for name, run_dir in runs.items() if not (run_dir / "metrics.json").is_file()}
    if missing:
        _train(missing, root / "cache")
    return runs


def biased_copy(model_folder: Path, out: Path, label: str, margin: float = 100.0) -> Path:
    """A copy of a model folder (published or best/ with its ../config.yaml) whose head always prefers `label`."""
    import transformers

    out.mkdir(parents=True, exist_ok=True)
    for item in model_folder.iterdir():
        if item.is_file() and item.suffix != ".safetensors":
            shutil.copyfile(item, out / item.name)
    if not (out / "training_config.yaml").is_file() and (model_folder.parent / "config.yaml").is_file():
        shutil.copyfile(model_folder.parent / "config.yaml", out / "training_config.yaml")
    config = json.loads((model_folder / "config.json").read_text(encoding="utf-8"))
    auto = (
        "AutoModelForTokenClassification"
        if config["architectures"][0].endswith("TokenClassification")
        else "AutoModelForSequenceClassification"
    )
    model = getattr(transformers, auto).from_pretrained(model_folder)
    label_id = {v: int(k) for k, v in config["id2label"].items()}[label]
    model.classifier.bias.data[label_id] += margin
    model.save_pretrained(out)
    return out


def schema():
    return load_schema(REPO_ROOT / "annotations" / "schema.yaml")
