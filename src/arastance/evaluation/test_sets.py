"""A corpus's own test split (`data.eval_records`, records `arastance corpus convert` wrote), scored with a
run's saved models beside the gold and never mixed into the gold figures.

One mechanism for training (train.py, after every split is trained) and `arastance evaluate` (the run's
data.eval_records or the evaluate config's `eval_records`): each split's best/ model predicts every test
sentence through the prediction path the gold goes through (`Predictor.predict`), the scorer gives per-label
seqeval strict and conlleval figures and micro/macro F1 (`ner_metrics`), and the bootstrap gives
intervals over sentences, stratified by the corpus's documents (evaluation/bootstrap.py). Records are
grouped by their `source`: one block per corpus.

metrics.json `test_sets` (docs/metrics_schema.md): {source: {"files", "sentences", "documents", and per
split name the split's block: `ner` (the scorer's figures), `ci` (intervals) and, when the test set has
no mention of some labels, `absent_labels` (their predicted counts; left out of `per_label`)}}, plus, for
cross-validation, `folds_micro_f1` (each fold's model's micro-F1 and their mean and spread).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from arastance.corpus.records import read_extra_records, with_word_offsets
from arastance.errors import UserError
from arastance.evaluation.bootstrap import BootstrapSettings, Counts, ner_counts, ner_intervals, resample_weights
from arastance.features.encode import units_from_records
from arastance.models.device import Runtime
from arastance.models.predictor import Predictor, load_saved_predictor
from arastance.runs.layout import SINGLE_SPLIT, RunDir
from arastance.schema import Schema
from arastance.scoring.metrics import ner_metrics
from arastance.settings import RunSettings
from arastance.tasks import get_task


@dataclass(frozen=True)
class CorpusTestSet:
    """The test sentences of one corpus (`source`), from one or more converted files."""

    source: str
    files: tuple[str, ...]
    records: tuple[dict[str, Any], ...]


def load_corpus_test_sets(
    files: Sequence[str | Path], task: str, schema: Schema, gold_doc_ids: Sequence[str] = ()
) -> list[CorpusTestSet]:
    """The test sets of these files, checked like extra training records (every problem listed, before any
    work); a gold document's id is refused (the gold has its own figures)."""
    if not files:
        return []
    if not get_task(task).per_word:
        raise UserError(f"data.eval_records holds NER sentences and task={task}: use them with task=ner")
    by_source: dict[str, list[dict[str, Any]]] = {}
    files_of: dict[str, list[str]] = {}
    for file in files:
        for record in read_extra_records([file], schema, frozenset(gold_doc_ids)):
            by_source.setdefault(record["source"], []).append(record)
            if str(file) not in files_of.setdefault(record["source"], []):
                files_of[record["source"]].append(str(file))
    return [CorpusTestSet(s, tuple(files_of[s]), tuple(rs)) for s, rs in by_source.items()]


def score_test_set(
    predictor: Predictor, test_set: CorpusTestSet, schema: Schema, bootstrap: BootstrapSettings
) -> dict[str, Any]:
    """One model on one test set: the scorer's NER figures and bootstrap intervals over sentences."""
    records = [with_word_offsets(r) for r in test_set.records]
    units = units_from_records(records, predictor.spec)
    predictions = predictor.predict(units)
    gold = [list(u.ner_tags or ()) for u in units]
    metrics = ner_metrics(gold, predictions.labels, schema.entity_labels)
    weights = resample_weights([u.doc_id for u in units], bootstrap.n, bootstrap.seed)
    counts = ner_counts(gold, predictions.labels, schema.entity_labels)
    intervals = ner_intervals(counts, weights, bootstrap.confidence, schema.entity_labels)
    return without_absent_labels({"ner": metrics, "ci": intervals}, counts)


def without_absent_labels(block: dict[str, Any], counts: Counts) -> dict[str, Any]:
    """The block without per-label rows for labels the test set has no mention of (a mapped ANERcorp has
    no DATE): their P/R/F1 of 0 would read as a failure. `absent_labels` keeps each one's predicted
    mentions, which are false positives and stay in the micro figures."""
    absent = [label for label, row in block["ner"]["per_label"].items() if row["support"] == 0]
    if not absent:
        return block
    predicted = dict(zip(counts.labels, (counts.tp + counts.fp).sum(axis=0).tolist(), strict=True))
    ner = block["ner"] | {"per_label": {k: v for k, v in block["ner"]["per_label"].items() if k not in absent}}
    ci_rows = {k: v for k, v in block["ci"].get("per_label", {}).items() if k not in absent}
    return {
        "ner": ner,
        "ci": block["ci"] | {"per_label": ci_rows},
        "absent_labels": {label: int(predicted.get(label, 0)) for label in absent},
    }


def absent_labels_line(split: Mapping[str, Any]) -> str:
    """One sentence for reports and the card: which labels the test set has none of, and how often the
    model predicted them anyway; "" when it has every label."""
    absent = split.get("absent_labels") or {}
    if not absent:
        return ""
    named = ", ".join(f"{label} ({n} predicted)" for label, n in absent.items())
    return (
        f"Not in this test set (no gold mention: the corpus does not annotate them, or this split has none), so "
        f"left out of the table: {named}. Their predictions are false positives in the micro figures, and a "
        "predicted one counts 0 in the macro-F1 (seqeval's convention)."
    )


def score_run_test_sets(
    run: RunDir,
    settings: RunSettings,
    schema: Schema,
    test_sets: Sequence[CorpusTestSet],
    runtime: Runtime,
    bootstrap: BootstrapSettings,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """metrics.json `test_sets`: every split's kept model (best/) on every test set."""
    blocks: dict[str, Any] = {
        t.source: {
            "files": list(t.files),
            "sentences": len(t.records),
            "documents": len({r["doc_id"] for r in t.records}),
            "bootstrap": bootstrap.to_json() | {"unit": "sentence, stratified by the corpus's documents"},
            "splits": {},
        }
        for t in test_sets
    }
    for split_dir in run.splits():
        name = split_dir.name if run.is_cv() else SINGLE_SPLIT
        if not split_dir.has_model():
            raise UserError(f"{split_dir.path}: no saved model in best/, so the test sets cannot be scored")
        predictor = load_saved_predictor(
            split_dir.best,
            get_task("ner"),
            settings.model.normalization,
            settings.model.max_length,
            settings.inference,
            schema,
            runtime,
        )
        for test_set in test_sets:
            block = score_test_set(predictor, test_set, schema, bootstrap)
            blocks[test_set.source]["splits"][name] = block
            log(f"test set {test_set.source} ({name}): micro-F1 {block['ner']['micro_f1']:.4f}")
    for block in blocks.values():
        block.update(fold_summary(block["splits"]))
    return blocks


def fold_summary(splits: Mapping[str, Any]) -> dict[str, Any]:
    """With several models (cross-validation), each fold's micro-F1 on the test set and their mean ± std."""
    if len(splits) < 2:
        return {}
    values = {name: float(b["ner"]["micro_f1"]) for name, b in splits.items()}
    return {
        "folds_micro_f1": {
            "per_fold": values,
            "mean": float(np.mean(list(values.values()))),
            "std": float(np.std(list(values.values()))),
        }
    }


def corpus_test_lines(test_sets: Mapping[str, Any]) -> list[str]:
    """One line per test set and model for summaries: micro-F1 with its interval, never beside the gold's."""
    lines = []
    for source, block in test_sets.items():
        for name, split in block["splits"].items():
            ci = split["ci"]["micro"]["f1"]
            where = "" if name == SINGLE_SPLIT else f", {name}'s model"
            lines.append(
                f"test set {source} ({block['sentences']:,} sentences{where}): micro-F1 {split['ner']['micro_f1']:.4f} "
                f"[{ci['low']:.4f}, {ci['high']:.4f}], macro-F1 {split['ner']['macro']['f1']:.4f}"
            )
        if "folds_micro_f1" in block:
            f = block["folds_micro_f1"]
            lines.append(f"test set {source}: micro-F1 over the fold models {f['mean']:.4f} ± {f['std']:.4f}")
    return lines
