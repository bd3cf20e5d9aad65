"""Scores of a whole run from its folds' prediction records: pooled over folds, with the fold spread.

Training writes these into the run's metrics.json and the evaluation report recomputes them from the
same files with the same function, which is why the two must agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from arastance.gold.model import GoldDocument
from arastance.schema import Schema
from arastance.scoring.align import ScoredSentence, align
from arastance.scoring.metrics import ner_metrics, stance_metrics
from arastance.scoring.spread import fold_spread
from arastance.tasks import get_task


@dataclass(frozen=True)
class FoldPredictions:
    name: str
    records: list[dict[str, Any]]  # predictions.jsonl of the fold


def document_stance_pairs(
    records: Sequence[dict[str, Any]], docs: Sequence[GoldDocument]
) -> tuple[list[str], list[str]]:
    """(gold, predicted) document stances of the predicted documents (records with doc_stance)."""
    gold = {d.doc_id: d.doc_stance for d in docs}
    pairs = [(gold[r["doc_id"]], r["doc_stance"]) for r in records if "doc_stance" in r]
    return [g for g, _ in pairs], [p for _, p in pairs]


def sentence_scores(
    sentences: Sequence[ScoredSentence],
    records: Sequence[dict[str, Any]],
    docs: Sequence[GoldDocument],
    task: str,
    schema: Schema,
) -> dict[str, Any]:
    """The task's metrics block for aligned sentences (and, for stance, their documents' stances)."""
    if get_task(task).per_word:
        return ner_metrics(
            [list(s.gold_tags or ()) for s in sentences],
            [list(s.pred_tags or ()) for s in sentences],
            schema.entity_labels,
        )
    doc_gold, doc_pred = document_stance_pairs(records, docs)
    return stance_metrics(
        [str(s.gold_stance) for s in sentences],
        [str(s.pred_stance) for s in sentences],
        schema.stance_classes,
        doc_gold,
        doc_pred,
    )


def pooled_scores(
    folds: Sequence[FoldPredictions], docs: Sequence[GoldDocument], task: str, schema: Schema
) -> dict[str, Any]:
    """Micro scores over every fold's held-out sentences, plus each label's mean ± std across folds."""
    spec = get_task(task)
    aligned = [align(f.records, docs, task) for f in folds]
    block = sentence_scores(
        [s for fold in aligned for s in fold], [r for f in folds for r in f.records], docs, task, schema
    )
    per_fold = [
        sentence_scores(sentences, f.records, docs, task, schema) for f, sentences in zip(folds, aligned, strict=True)
    ]
    block["folds"] = fold_spread([m["per_label"] for m in per_fold], "f1", [spec.headline_value(m) for m in per_fold])
    return block
