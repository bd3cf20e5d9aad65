"""Run every split of a config (one, or one per CV fold) and pool the held-out predictions."""

from __future__ import annotations

import logging
import os
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np

from arastance.errors import UserError
from arastance.gold.model import GoldDocument
from arastance.gold.splits import Split, load_extra_records, load_gold, run_schema, splits_from_config
from arastance.models.threads import threads_record
from arastance.phases import CLOCK, time_block
from arastance.runs.layout import RunDir, SplitDir, remove_if_empty
from arastance.runs.lock import RunLock
from arastance.schema import Schema
from arastance.scoring.pooled import FoldPredictions, pooled_scores
from arastance.settings import RunSettings
from arastance.training.objective import without_outer_fold
from arastance.training.resume import check_resume_config
from arastance.training.run import pooled_data_block, train_split

log = logging.getLogger("arastance.train")


def run_all(settings: RunSettings, gold_schema: Schema) -> dict[str, Any]:
    """`gold_schema` validates the gold; the run trains and scores on `run_schema` (a corpus's own labels
    with data.labels)."""
    docs = load_gold(settings.paths.gold_dir, settings.paths.documents_dir, gold_schema)
    schema = run_schema(gold_schema, settings.data)
    gold_texts = [d.text for d in docs]
    docs = without_outer_fold(docs, settings.data.outer_fold)
    splits = splits_from_config(settings.data, [d.doc_id for d in docs])
    extra = load_extra_records(settings.data, schema, [d.doc_id for d in docs])
    corpus_texts = vocabulary_texts(gold_texts, extra)
    run = RunDir(settings.run_dir)
    with _run_lock(run):
        refuse_to_overwrite(run, settings.resume)
        if settings.resume:
            check_resume_config(run, settings.config_yaml, settings.resume_allow_changes, log.warning)
        run.path.mkdir(parents=True, exist_ok=True)
        if len(splits) == 1 and splits[0].fold is None:
            return train_split(settings, splits[0], docs, schema, run.split_dir(None), corpus_texts, extra)
        for split in splits:
            split_dir = run.split_dir(split.fold)
            if settings.resume and split_dir.is_finished():
                log.info("%s already finished: skipped on resume", split_dir.name)
                continue
            _train_fold(settings, split, docs, schema, split_dir, corpus_texts, extra)
        if not is_main_process():
            return {}
        return _pool(run, docs, schema, settings)


def vocabulary_texts(gold_texts: list[str], extra: list[dict[str, Any]]) -> list[str]:
    """All text the run trains on, which a model built from the corpus (the tiny model) learns its
    vocabulary from: the gold documents, then every extra record's sentence. Built from the gold
    alone, the tiny tokenizer spelled most public-corpus words letter by letter or as [UNK]."""
    return gold_texts + [" ".join(record["tokens"]) for record in extra]


def _run_lock(run: RunDir) -> AbstractContextManager[Any]:
    """The main process holds the run folder's lock (the other ranks of a DDP run work under it)."""
    return RunLock(run.path, log.warning) if is_main_process() else nullcontext()


def _train_fold(
    settings: RunSettings,
    split: Split,
    docs: list[GoldDocument],
    schema: Schema,
    split_dir: SplitDir,
    corpus_texts: list[str],
    extra: list[Any],
) -> None:
    """Train one fold; a fold that failed before writing anything leaves no empty fold-K/ behind."""
    try:
        train_split(settings, split, docs, schema, split_dir, corpus_texts, extra)
    except BaseException:
        remove_if_empty(split_dir.path)
        raise


def _pool(run: RunDir, docs: list, schema: Schema, settings: RunSettings) -> dict[str, Any]:
    metrics = pooled_metrics(run, docs, schema, settings.task.name)
    metrics["config"] = {"task": settings.task.name, "model": settings.model.name, "seed": settings.seed}
    metrics["time"] = time_block(CLOCK.snapshot())  # the whole run, start-up included (docs/metrics_schema.md)
    metrics["threads"] = threads_record()  # every change of the run's process (docs/metrics_schema.md)
    run.write_pooled(metrics, settings.config_yaml)
    return metrics


def refuse_to_overwrite(run: RunDir, resume: bool) -> None:
    """A finished or interrupted run is never silently mixed with a new one."""
    leftovers = [] if resume else run.leftovers()
    if leftovers:
        raise UserError(
            f"run_dir {run.path} already holds a run ({', '.join(leftovers)}); "
            "pass resume=true to continue it, or choose another run_dir"
        )


def pooled_metrics(run: RunDir, docs: list, schema: Schema, task: str) -> dict[str, Any]:
    """Micro scores over all folds' held-out predictions, plus each label's mean ± std across folds."""
    splits = run.splits()
    per_fold = [s.read_metrics() for s in splits]
    block = pooled_scores([FoldPredictions(s.name, s.read_predictions()) for s in splits], docs, task, schema)
    final = {
        "folds": len(splits),
        "train_loss": float(np.mean([m["final"]["train_loss"] for m in per_fold])),
        "step": int(sum(m["final"]["step"] for m in per_fold)),
    }
    return {task: block, "final": final, "data": pooled_data_block([m.get("data", {}) for m in per_fold])}


def is_main_process() -> bool:
    """Rank 0 of a distributed launch (torchrun sets RANK), or a plain single-process run."""
    return int(os.environ.get("RANK", "0")) == 0
