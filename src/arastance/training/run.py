"""One training run per split: set up (model, encoded data), train (loop.py), predict the held-out
documents with the kept model, write the split's folder. Cross-validation runs one of these per fold.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from arastance.errors import UserError
from arastance.features.encode import Unit, Window, encode_units, units_from_records
from arastance.features.partial import allowed_tags, partial_records, training_label2id, unannotated_by_source
from arastance.gold.model import GoldDocument
from arastance.gold.splits import Split, extra_for_split, records_for
from arastance.models.device import Runtime, choose_runtime
from arastance.models.factory import LoadedModel, load_for_task
from arastance.models.predictor import Predictor, encoding_config, load_saved_predictor
from arastance.models.threads import hold_threads, threads_record
from arastance.phases import CLOCK, time_block, timed_phase, times_since
from arastance.runs.layout import SplitDir, split_name
from arastance.schema import Schema
from arastance.scoring.metrics import score_predictions
from arastance.settings import RunSettings, TrainerSettings
from arastance.tasks import TaskSpec, get_task
from arastance.training.budget import device_budget_probe, resolve_budget
from arastance.training.loop import LoopInputs, LoopResult, run_loop, seed_everything

log = logging.getLogger("arastance.train")


@dataclass
class SplitData:
    """The split's units (training: gold then extra records; dev and test: gold only), encoded
    training windows, dev/test documents, and what the training side was made of."""

    train_units: list[Unit]
    dev_units: list[Unit]
    test_units: list[Unit]
    train_windows: list[Window]
    dev_docs: list[GoldDocument]
    test_docs: list[GoldDocument]
    data: dict[str, Any] = field(default_factory=dict)
    # data.partial_labels: per partial tag of the training windows, the tags it allows ([]: none).
    allowed_tags: list[list[bool]] = field(default_factory=list)


def split_record(split: Split) -> dict[str, Any]:
    """metrics.json `split`: the split's name and its documents (what `evaluate` re-predicts)."""
    return {
        "name": split_name(split.fold),
        "train": list(split.train),
        "dev": list(split.dev),
        "test": list(split.test),
    }


def data_block(
    split: Split, gold_train_sentences: int, extra: Sequence[Mapping[str, Any]], partial_labels: bool = False
) -> dict[str, Any]:
    """metrics.json `data`: what one split trained on (docs/metrics_schema.md)."""
    block: dict[str, Any] = {
        "train_docs": len(split.train),
        "gold_train_sentences": gold_train_sentences,
        "extra_train_sentences": len(extra),
        "extra_sources": dict(sorted(Counter(str(r["source"]) for r in extra).items())),
    }
    if partial_labels:
        block["partial_labels"] = unannotated_by_source(extra)
    return block


def pooled_data_block(blocks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The run-level `data` of a cross-validation run: the per-fold mean of every count (folds train
    on different documents), plus the number of folds averaged."""
    blocks = [b for b in blocks if b]
    if not blocks:
        return {}
    sources = sorted({s for b in blocks for s in b["extra_sources"]})

    def mean(values: Sequence[float]) -> float:
        return round(float(np.mean(values)), 2)

    return {
        "train_docs": mean([b["train_docs"] for b in blocks]),
        "gold_train_sentences": mean([b["gold_train_sentences"] for b in blocks]),
        "extra_train_sentences": mean([b["extra_train_sentences"] for b in blocks]),
        "extra_sources": {s: mean([b["extra_sources"].get(s, 0) for b in blocks]) for s in sources},
        "folds": len(blocks),
    } | partial_labels_of(blocks)


def partial_labels_of(blocks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """`partial_labels` (source → its unannotated labels) over the folds, when the run used them."""
    if not any("partial_labels" in b for b in blocks):
        return {}
    merged: dict[str, set[str]] = {}
    for block in blocks:
        for source, labels in block.get("partial_labels", {}).items():
            merged.setdefault(source, set()).update(labels)
    return {"partial_labels": {s: sorted(labels) for s, labels in sorted(merged.items())}}


def class_weights(units: Sequence[Unit], classes: Sequence[str]) -> torch.Tensor:
    """Inverse-frequency weights normalised to mean 1; a class absent from training gets weight 1."""
    counts = np.array([sum(1 for u in units if u.stance == c) for c in classes], dtype=np.float64)
    weights = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / len(classes), 1.0)
    return torch.tensor(weights / weights.mean(), dtype=torch.float32)


def make_accelerator(runtime: Runtime) -> Any:
    from accelerate import Accelerator

    # The loop steps the scheduler once per optimizer step whatever the world size (Accelerate would
    # otherwise step it num_processes times, shrinking warm-up and decay on more GPUs).
    _reset_single_process_state()
    return Accelerator(
        mixed_precision=runtime.accelerate_mixed_precision,
        cpu=runtime.device.type == "cpu",
        step_scheduler_with_optimizer=False,
    )


@timed_phase("tokenise")
def split_data(
    settings: RunSettings,
    spec: TaskSpec,
    split: Split,
    docs: Sequence[GoldDocument],
    loaded: LoadedModel,
    schema: Schema,
    extra_records: Sequence[dict[str, Any]] = (),
) -> SplitData:
    context = dict(settings.task.context or {})
    gold_train = records_for(docs, split.train)
    name = split_name(split.fold)
    extra = extra_for_split(extra_records, len(gold_train), settings.data.extra_ratio, settings.seed, name)
    extra_units = units_from_records(partial_records(extra) if settings.data.partial_labels else extra, spec, context)
    train_units = units_from_records(gold_train, spec, context) + extra_units
    if not train_units:
        raise UserError(f"{name}: nothing to train on (no gold training documents and no data.extra_records)")
    dev_units, test_units = (
        units_from_records(records_for(docs, ids), spec, context) for ids in (split.dev, split.test)
    )
    label2id = schema.label2id(spec.name)
    train_label2id = training_label2id(label2id, (t for u in extra_units for t in u.ner_tags or ()))
    enc = encoding_config(spec, settings.data.stride, train_label2id, settings.model.max_length)
    return SplitData(
        train_units=train_units,
        dev_units=dev_units,
        test_units=test_units,
        train_windows=encode_units(train_units, loaded.tokenizer, loaded.normalize, enc),
        dev_docs=[d for d in docs if d.doc_id in split.dev],
        test_docs=[d for d in docs if d.doc_id in split.test],
        data=data_block(split, len(gold_train), extra, settings.data.partial_labels),
        allowed_tags=allowed_tags(train_label2id, len(label2id)),
    )


def loop_inputs(
    settings: RunSettings,
    spec: TaskSpec,
    data: SplitData,
    loaded: LoadedModel,
    schema: Schema,
    split_dir: SplitDir,
    precision: str,
) -> LoopInputs:
    task = settings.task
    predictor = Predictor(loaded, spec, settings.inference, schema, precision)

    def evaluate_dev(model: Any) -> float:
        predictions = predictor.with_model(model).predict(data.dev_units)
        return float(score_predictions(predictions, task, schema, data.dev_docs)[task.name][task.metric])

    @timed_phase("save_best")
    def save_best(model: Any) -> None:
        def write(folder: Any) -> None:
            model.save_pretrained(folder)
            loaded.tokenizer.save_pretrained(folder)

        split_dir.write_best(write)  # a new folder renamed into place: never half a best/

    weighted = not spec.per_word and task.class_weights
    return LoopInputs(
        task=task.name,
        model=loaded.model,
        pad_token_id=loaded.tokenizer.pad_token_id,
        train_windows=data.train_windows,
        evaluate_dev=evaluate_dev if data.dev_units else None,
        save_best=save_best,
        class_weights=class_weights(data.train_units, schema.stance_classes) if weighted else None,
        config_yaml=settings.config_yaml,
        allowed_tags=torch.tensor(data.allowed_tags, dtype=torch.bool) if data.allowed_tags else None,
    )


@timed_phase("held_out_predict")
def predict_held_out(
    settings: RunSettings, spec: TaskSpec, data: SplitData, split_dir: SplitDir, schema: Schema, runtime: Runtime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Scores and prediction records of the kept model (reloaded from best/, as users will load it)."""
    model = settings.model
    best = load_saved_predictor(
        split_dir.best, spec, model.normalization, model.max_length, settings.inference, schema, runtime
    )
    predictions = best.predict(data.test_units)
    metrics = score_predictions(predictions, settings.task, schema, data.test_docs)
    return metrics, best.records(predictions, data.test_docs)


def final_block(result: LoopResult, settings: RunSettings, has_dev: bool, accelerator: Any) -> dict[str, Any]:
    return {
        "train_loss": result.train_loss,
        "step": result.step,
        "epoch": result.epoch,
        "best_step": result.best_step,
        "best_dev": result.best_dev,
        "dev_metric": settings.task.metric if has_dev else None,
        "stopped_early": result.stopped_early,
        "padding_fraction": result.padding_fraction,
        "real_tokens_per_s": result.real_tokens_per_s,
        "world_size": accelerator.num_processes,
        "mixed_precision": accelerator.mixed_precision,
    }


def token_budget(settings: RunSettings, loaded: LoadedModel, runtime: Runtime, accelerator: Any) -> TrainerSettings:
    """The trainer settings with the micro-batch budget decided for this device (training/budget.py)."""
    device_type = runtime.device.type
    probe = device_budget_probe(
        loaded.model.to(accelerator.device) if device_type == "cuda" else loaded.model,
        settings.trainer,
        settings.model.max_length,
        runtime.precision,
        Path(settings.paths.cache_dir),
    )
    trainer = resolve_budget(settings.trainer, device_type, accelerator.num_processes, probe)
    if trainer.max_tokens != settings.trainer.max_tokens or trainer.step_tokens:
        log.info(
            "tokens per micro-batch %s, %d micro-batch(es) per process and optimizer step",
            trainer.max_tokens,
            trainer.gradient_accumulation_steps,
        )
    return trainer


def train_split(
    settings: RunSettings,
    split: Split,
    docs: Sequence[GoldDocument],
    schema: Schema,
    split_dir: SplitDir,
    corpus_texts: Sequence[str],
    extra_records: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Train on split.train plus the extra records (early stopping on split.dev), score split.test
    (gold only); write the split's folder."""
    spec = get_task(settings.task.name)  # looked up once here; the spec travels from now on
    split_dir.path.mkdir(parents=True, exist_ok=True)
    fold_start = CLOCK.snapshot()
    threads_from = time.monotonic()  # the thread governor's clock: changes during this split only
    if settings.trainer.torch_threads > 0:
        hold_threads()
        torch.set_num_threads(settings.trainer.torch_threads)
    runtime = choose_runtime(settings.trainer.precision)
    accelerator = make_accelerator(runtime)
    seed_everything(settings.seed)
    with accelerator.main_process_first():
        loaded = load_for_task(
            settings.model,
            settings.task.name,
            schema.id2label(settings.task.name),
            settings.paths.cache_dir,
            corpus_texts,
        )
    data = split_data(settings, spec, split, docs, loaded, schema, extra_records)
    inputs = loop_inputs(settings, spec, data, loaded, schema, split_dir, runtime.precision)
    trainer = token_budget(settings, loaded, runtime, accelerator)
    result = run_loop(accelerator, inputs, trainer, settings.seed, split_dir, settings.resume, log.info)

    metrics: dict[str, Any] = {}
    if accelerator.is_main_process:
        metrics, records = predict_held_out(
            settings, spec, data, split_dir, schema, Runtime(accelerator.device, runtime.precision)
        )
        metrics["final"] = final_block(result, settings, bool(data.dev_units), accelerator)
        metrics["final"]["micro_batch_tokens"] = int(trainer.max_tokens)
        metrics["final"]["accumulation"] = trainer.gradient_accumulation_steps
        metrics["split"] = split_record(split)
        metrics["data"] = data.data
        metrics["history"] = result.history
        metrics["time"] = time_block(times_since(fold_start))
        metrics["threads"] = threads_record(since=threads_from)
        split_dir.write_results(metrics, records, settings.config_yaml)
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
