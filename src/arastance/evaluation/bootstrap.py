"""Bootstrap confidence intervals for NER and stance scores, vectorised over replicates.

With five documents a point estimate alone overstates what we know, so every per-label F1 and the
headline score carry a percentile interval. The resampling unit is the sentence, stratified by
document: each replicate draws, for every document, as many of its sentences as it has, with
replacement. Documents therefore never drop out of a replicate (there are too few of them for a
document-level bootstrap to mean anything), while the sentence-to-sentence variation inside each
document is propagated.

Everything reduces to per-sentence count matrices (tp/fp/fn per label), so a replicate is one row of
a (replicates × sentences) weight matrix and all replicates are a single matrix product:
n=1000 over a few hundred sentences is a few milliseconds.

F1 is computed from counts as 2tp / (2tp + fp + fn), which equals 2PR/(P+R) with the scorer's
0/0 := 0 convention (scorer._prf), so the point estimate here is the scorer's number.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arastance.scoring.scorer import STANCE_EVAL_CLASSES, entity_spans
from arastance.tasks import get_task


@dataclass(frozen=True)
class BootstrapSettings:
    n: int = 1000
    seed: int = 0
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"bootstrap n must be >= 1, got {self.n}")
        if not 0.0 < self.confidence < 1.0:
            raise ValueError(f"bootstrap confidence must be in (0, 1), got {self.confidence}")

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "seed": self.seed,
            "confidence": self.confidence,
            "unit": "sentence, stratified by document",
        }


@dataclass(frozen=True)
class Counts:
    """Per-sentence counts: row = sentence, column = label."""

    labels: tuple[str, ...]
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray

    def __post_init__(self) -> None:
        shapes = {self.tp.shape, self.fp.shape, self.fn.shape}
        if len(shapes) != 1 or self.tp.ndim != 2 or self.tp.shape[1] != len(self.labels):
            raise ValueError(f"count matrices must share a (sentences, {len(self.labels)}) shape, got {shapes}")


# ----------------------------------------------------------------------------------- count matrices


def ner_counts(gold_tags: Sequence[Sequence[str]], pred_tags: Sequence[Sequence[str]], labels: Sequence[str]) -> Counts:
    """Strict-IOB2 entity counts per sentence and label (the spans `score_sequences` counts).

    Labels seen in the data but not in `labels` get columns of their own (appended, sorted), so that
    summed counts always reproduce the scorer's micro scores.
    """
    if len(gold_tags) != len(pred_tags):
        raise ValueError(f"gold has {len(gold_tags)} sentences but predictions have {len(pred_tags)}")
    gold_sets = [{(e["label"], e["start"], e["end"]) for e in entity_spans(list(g), "strict")} for g in gold_tags]
    pred_sets = [{(e["label"], e["start"], e["end"]) for e in entity_spans(list(p), "strict")} for p in pred_tags]
    seen = {span[0] for spans in (*gold_sets, *pred_sets) for span in spans}
    all_labels = tuple(labels) + tuple(sorted(seen - set(labels)))
    column = {label: j for j, label in enumerate(all_labels)}
    shape = (len(gold_sets), len(all_labels))
    tp, fp, fn = (np.zeros(shape, dtype=np.int64) for _ in range(3))
    for i, (gold, pred) in enumerate(zip(gold_sets, pred_sets, strict=True)):
        for span in gold & pred:
            tp[i, column[span[0]]] += 1
        for span in pred - gold:
            fp[i, column[span[0]]] += 1
        for span in gold - pred:
            fn[i, column[span[0]]] += 1
    return Counts(all_labels, tp, fp, fn)


def stance_counts(gold: Sequence[str], pred: Sequence[str], classes: Sequence[str]) -> Counts:
    """One-hot per sentence: tp/fp/fn of each class (a wrong prediction is an fp of the predicted
    class and an fn of the gold class), as in a confusion matrix."""
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} items but predictions have {len(pred)}")
    index = {c: j for j, c in enumerate(classes)}
    unknown = sorted({*gold, *pred} - index.keys(), key=str)
    if unknown:
        raise ValueError(f"labels not among classes {list(classes)}: {unknown}")
    g = np.array([index[x] for x in gold], dtype=np.int64)
    p = np.array([index[x] for x in pred], dtype=np.int64)
    cls = np.arange(len(classes))
    gold_hot = g[:, None] == cls[None, :]
    pred_hot = p[:, None] == cls[None, :]
    tp = (gold_hot & pred_hot).astype(np.int64)
    return Counts(tuple(classes), tp, (pred_hot & ~gold_hot).astype(np.int64), (gold_hot & ~pred_hot).astype(np.int64))


# ----------------------------------------------------------------------------------- resampling


def resample_weights(groups: Sequence[Hashable], n: int, seed: int) -> np.ndarray:
    """(n, sentences) weights: how often each sentence is drawn in each replicate.

    For each document (group) with m sentences, a replicate draws m of them with replacement,
    i.e. a Multinomial(m, uniform) over its sentences. Groups are visited in order of first
    appearance, so the same input and seed give the same weights.
    """
    rng = np.random.default_rng(seed)
    members: dict[Hashable, list[int]] = {}
    for i, group in enumerate(groups):
        members.setdefault(group, []).append(i)
    weights = np.zeros((n, len(groups)), dtype=np.int64)
    for indices in members.values():
        m = len(indices)
        weights[:, indices] = rng.multinomial(m, np.full(m, 1.0 / m), size=n)
    return weights


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape, dtype=np.float64), where=den != 0)


def scores_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> dict[str, np.ndarray]:
    """Per-label P/R/F1 (last axis = labels), micro P/R/F1 and macro F1 from summed counts.

    Works on any leading shape: (labels,) for a point estimate, (replicates, labels) for a bootstrap.
    """
    tp, fp, fn = (np.asarray(x, dtype=np.float64) for x in (tp, fp, fn))
    micro_tp, micro_fp, micro_fn = tp.sum(axis=-1), fp.sum(axis=-1), fn.sum(axis=-1)
    return {
        "precision": _safe_div(tp, tp + fp),
        "recall": _safe_div(tp, tp + fn),
        "f1": _safe_div(2 * tp, 2 * tp + fp + fn),
        "micro_precision": _safe_div(micro_tp, micro_tp + micro_fp),
        "micro_recall": _safe_div(micro_tp, micro_tp + micro_fn),
        "micro_f1": _safe_div(2 * micro_tp, 2 * micro_tp + micro_fp + micro_fn),
        "macro_f1": _safe_div(2 * tp, 2 * tp + fp + fn).mean(axis=-1) if tp.shape[-1] else np.zeros(tp.shape[:-1]),
    }


def replicate_scores(counts: Counts, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Scores of every replicate: one matrix product per count type."""
    return scores_from_counts(weights @ counts.tp, weights @ counts.fp, weights @ counts.fn)


def percentile_interval(replicates: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over axis 0 (the replicates)."""
    alpha = (1.0 - confidence) / 2.0
    low, high = np.percentile(replicates, [100 * alpha, 100 * (1 - alpha)], axis=0)
    return low, high


def _interval(values: np.ndarray, confidence: float) -> dict[str, float]:
    low, high = percentile_interval(values, confidence)
    return {"low": float(low), "high": float(high)}


# ----------------------------------------------------------------------------------- task intervals


def _per_label_intervals(
    labels: Sequence[str], reps: dict[str, np.ndarray], confidence: float, keep: Sequence[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for j, label in enumerate(labels):
        if label not in keep:
            continue
        out[label] = {m: _interval(reps[m][:, j], confidence) for m in ("precision", "recall", "f1")}
    return out


def ner_intervals(counts: Counts, weights: np.ndarray, confidence: float, labels: Sequence[str]) -> dict[str, Any]:
    """Intervals for each of `labels` (P/R/F1) and for micro P/R/F1 (the headline) and macro F1."""
    reps = replicate_scores(counts, weights)
    return {
        "per_label": _per_label_intervals(counts.labels, reps, confidence, labels),
        "micro": {m: _interval(reps[f"micro_{m}"], confidence) for m in ("precision", "recall", "f1")},
        # The scorer's macro averages over the labels present in gold or predictions (seqeval's rule).
        "macro_f1": _interval(_macro_over(reps["f1"], counts.labels, _present(counts)), confidence),
        "headline": _interval(reps["micro_f1"], confidence),
    }


def _present(counts: Counts) -> list[str]:
    total = (counts.tp + counts.fp + counts.fn).sum(axis=0)
    return [label for label, n in zip(counts.labels, total, strict=True) if n > 0]


def _macro_over(f1: np.ndarray, all_labels: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    columns = [j for j, label in enumerate(all_labels) if label in labels]
    return f1[..., columns].mean(axis=-1) if columns else np.zeros(f1.shape[:-1])


def stance_eval_f1(f1: np.ndarray, classes: Sequence[str]) -> np.ndarray | None:
    """SemEval-style mean F1 of PRO_STAY and PRO_WITHDRAWAL (None when they are not both classes)."""
    if not all(c in classes for c in STANCE_EVAL_CLASSES):
        return None
    return f1[..., [list(classes).index(c) for c in STANCE_EVAL_CLASSES]].mean(axis=-1)


def stance_intervals(counts: Counts, weights: np.ndarray, confidence: float) -> dict[str, Any]:
    """Intervals for each class (P/R/F1), macro F1 (the headline), StanceEval F1 and accuracy.

    Accuracy is micro F1: in single-label classification every error is one fp and one fn.
    """
    reps = replicate_scores(counts, weights)
    out: dict[str, Any] = {
        "per_label": _per_label_intervals(counts.labels, reps, confidence, counts.labels),
        "macro_f1": _interval(reps["macro_f1"], confidence),
        "accuracy": _interval(reps["micro_f1"], confidence),
        "headline": _interval(reps["macro_f1"], confidence),
    }
    stance_eval = stance_eval_f1(reps["f1"], counts.labels)
    if stance_eval is not None:
        out["stance_eval_f1"] = _interval(stance_eval, confidence)
    return out


def headline_replicates(task: str, counts: Counts, weights: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Replicates of the task's headline: micro-F1 over entities (NER), macro-F1 over classes (stance)."""
    reps = replicate_scores(counts, weights)
    return reps["micro_f1"] if get_task(task).headline == "micro_f1" else _macro_over(reps["f1"], counts.labels, labels)


def paired_difference(
    task: str, model: Counts, baseline: Counts, weights: np.ndarray, labels: Sequence[str], confidence: float
) -> dict[str, float]:
    """Headline(model) − headline(baseline) on the same resampled sentences: a paired interval, much
    tighter than comparing two separate intervals, because both systems see the same hard sentences."""
    ones = np.ones((1, weights.shape[1]), dtype=np.int64)
    point = headline_replicates(task, model, ones, labels) - headline_replicates(task, baseline, ones, labels)
    diff = headline_replicates(task, model, weights, labels) - headline_replicates(task, baseline, weights, labels)
    return {
        "difference": float(point[0]),
        **_interval(diff, confidence),
        "share_replicates_model_better": float((diff > 0).mean()),
    }
