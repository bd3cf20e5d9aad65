"""One training run per split: encode, train (loop.py), reload best/, predict the held-out documents,
write metrics.json and predictions.jsonl. Cross-validation runs one of these per fold and pools.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from arastance.evaluation.metrics import score_predictions
from arastance.features.encode import Unit, encode_units, units_from_records
from arastance.gold.model import GoldDocument
from arastance.models.factory import LoadedModel, load_for_task, load_saved
from arastance.models.inference import prepare_for_inference
from arastance.models.predictor import (
    encoding_config,
    predict_units,
    prediction_records,
)
from arastance.schema import Schema
from arastance.training.data import Split, records_for
from arastance.training.loop import LoopInputs, mixed_precision, run_loop, seed_everything

log = logging.getLogger("arastance.train")


def class_weights(units: Sequence[Unit], classes: Sequence[str]) -> torch.Tensor:
    """Inverse-frequency weights normalised to mean 1; a class absent from training gets weight 1."""
    counts = np.array([sum(1 for u in units if u.stance == c) for c in classes], dtype=np.float64)
    weights = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / len(classes), 1.0)
    return torch.tensor(weights / weights.mean(), dtype=torch.float32)


def train_split(cfg: Any, split: Split, docs: Sequence[GoldDocument], schema: Schema, run_dir: Path, corpus_texts: Sequence[str], config_yaml: str) -> dict[str, Any]:
    """Train on split.train (early stopping on split.dev), score split.test; write the run folder."""
    from accelerate import Accelerator

    task = cfg.task.name
    run_dir.mkdir(parents=True, exist_ok=True)
    if int(cfg.trainer.torch_threads) > 0:
        torch.set_num_threads(int(cfg.trainer.torch_threads))
    device_type = "cuda" if torch.cuda.is_available() else "cpu"
    # The loop steps the scheduler once per optimizer step whatever the world size (Accelerate would
    # otherwise step it num_processes times, shrinking warm-up and decay on more GPUs).
    _reset_single_process_state()
    amp = mixed_precision(cfg.trainer, device_type)
    accelerator = Accelerator(mixed_precision=amp, cpu=device_type == "cpu", step_scheduler_with_optimizer=False)
    seed_everything(int(cfg.seed))

    with accelerator.main_process_first():
        loaded = load_for_task(cfg.model, task, schema.id2label(task), cfg.paths.cache_dir, corpus_texts)
    enc = encoding_config(cfg, task, schema.label2id(task), int(cfg.model.max_length))
    context = dict(cfg.task.context or {})
    train_units = units_from_records(records_for(docs, split.train), task, context)
    dev_units = units_from_records(records_for(docs, split.dev), task, context)
    test_units = units_from_records(records_for(docs, split.test), task, context)
    train_windows = encode_units(train_units, loaded.tokenizer, loaded.normalize, enc)
    precision = "bf16" if amp == "bf16" else "fp32"
    best_dir = run_dir / "best"
    dev_docs = [d for d in docs if d.doc_id in split.dev]
    metric_key = str(cfg.task.metric)

    def evaluate_dev(model: Any) -> float:
        view = LoadedModel(loaded.tokenizer, model, loaded.normalize, loaded.source)
        scores = score_predictions(predict_units(view, dev_units, cfg, schema, precision), cfg, schema, dev_docs)[task]
        return float(scores[metric_key])

    def save_best(model: Any) -> None:
        model.save_pretrained(best_dir)
        loaded.tokenizer.save_pretrained(best_dir)

    inputs = LoopInputs(
        task=task,
        model=loaded.model,
        pad_token_id=loaded.tokenizer.pad_token_id,
        train_windows=train_windows,
        evaluate_dev=evaluate_dev if dev_units else None,
        save_best=save_best,
        class_weights=class_weights(train_units, schema.stance_classes) if task == "stance" and cfg.task.class_weights else None,
        config_yaml=config_yaml,
    )
    result = run_loop(accelerator, inputs, cfg.trainer, int(cfg.seed), run_dir, bool(cfg.resume), log.info)

    metrics: dict[str, Any] = {}
    if accelerator.is_main_process:
        best = load_saved(best_dir, cfg.model.normalization, int(cfg.model.max_length))
        prepare_for_inference(best.model.to(accelerator.device), precision)
        test_docs = [d for d in docs if d.doc_id in split.test]
        predictions = predict_units(best, test_units, cfg, schema, precision)
        metrics = score_predictions(predictions, cfg, schema, test_docs)
        metrics["final"] = {
            "train_loss": result.train_loss,
            "step": result.step,
            "epoch": result.epoch,
            "best_step": result.best_step,
            "best_dev": result.best_dev,
            "dev_metric": metric_key if dev_units else None,
            "stopped_early": result.stopped_early,
            "padding_fraction": result.padding_fraction,
            "real_tokens_per_s": result.real_tokens_per_s,
            "world_size": accelerator.num_processes,
            "mixed_precision": accelerator.mixed_precision,
        }
        metrics["split"] = split.to_json()
        metrics["history"] = result.history
        write_json(run_dir / "metrics.json", metrics)
        write_jsonl(run_dir / "predictions.jsonl", prediction_records(predictions, cfg, schema, test_docs))
        (run_dir / "config.yaml").write_text(config_yaml, encoding="utf-8")
    accelerator.wait_for_everyone()
    return metrics


def _reset_single_process_state() -> None:
    """Accelerate keeps one global state per process and refuses a second precision in it; a single
    process that trains twice (the demo, a notebook, tests) starts each run from a clean state."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        return
    from accelerate.state import AcceleratorState, GradientState

    AcceleratorState._reset_state(reset_partial_state=True)
    GradientState._reset_state()


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    os.replace(tmp, path)
