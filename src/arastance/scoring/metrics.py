"""Task metrics from word-level predictions: the one place training, `evaluate` and reports get scores.

NER: entity-level scores (seqeval strict IOB2 by default, conlleval semantics alongside), every schema
label listed even when absent (support 0) so tables have the same rows in every fold.
Stance: per-class P/R/F1, macro-F1, the StanceEval figure, accuracy, confusion matrix; plus the
document stance derived from sentence predictions (features/predictions.py) scored against the
annotated document stance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arastance.features.predictions import TaskPredictions, document_stances
from arastance.gold.model import GoldDocument
from arastance.schema import Schema
from arastance.scoring.scorer import classification_scores, score_sequences
from arastance.settings import TaskSettings


def ner_metrics(
    gold_tags: Sequence[Sequence[str]], pred_tags: Sequence[Sequence[str]], labels: Sequence[str]
) -> dict[str, Any]:
    strict = score_sequences(gold_tags, pred_tags, mode="strict")
    conlleval = score_sequences(gold_tags, pred_tags, mode="conlleval")
    zero = {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    per_label = {label: strict["labels"].get(label, dict(zero)) for label in labels}
    per_label.update({k: v for k, v in strict["labels"].items() if k not in per_label})
    return {
        "mode": "strict",
        "per_label": per_label,
        "micro": strict["micro"],
        "macro": strict["macro"],
        "weighted": strict["weighted"],
        "micro_f1": strict["micro"]["f1"],
        "conlleval": {"per_label": conlleval["labels"], "micro": conlleval["micro"]},
    }


def stance_metrics(
    gold: Sequence[str],
    pred: Sequence[str],
    classes: Sequence[str],
    gold_docs: Sequence[str] = (),
    pred_docs: Sequence[str] = (),
) -> dict[str, Any]:
    scores = classification_scores(gold, pred, classes)
    if gold_docs:
        doc_scores = classification_scores(gold_docs, pred_docs, classes)
        scores["document"] = {
            "accuracy": doc_scores["accuracy"],
            "n": len(gold_docs),
            "confusion_matrix": doc_scores["confusion_matrix"],
        }
    return scores


def score_predictions(
    predictions: TaskPredictions, task: TaskSettings, schema: Schema, docs: Sequence[GoldDocument]
) -> dict[str, Any]:
    """{task name: metrics}; `task` gives the document-stance rule (stance)."""
    name = predictions.spec.name
    if predictions.spec.per_word:
        gold = [list(u.ner_tags or ()) for u in predictions.units]
        return {name: ner_metrics(gold, predictions.labels, schema.entity_labels)}
    stances: list[Any] = [u.stance for u in predictions.units]  # a unit without one is refused by the scorer
    doc_gold, doc_pred = document_stances(predictions, task, schema.stance_classes, docs)
    return {name: stance_metrics(stances, predictions.labels, schema.stance_classes, doc_gold, doc_pred)}
