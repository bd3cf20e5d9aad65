"""Word-level predictions and the pure arithmetic on them that both `models` (prediction records) and
`scoring` (metrics) need: the held-out units with their scores and labels, and the document stance
derived from a document's sentence probabilities. Here, below both, so that scoring does not depend
on the model code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arastance.features.encode import Unit
from arastance.gold.model import GoldDocument
from arastance.settings import TaskSettings
from arastance.tasks import TaskSpec


@dataclass
class TaskPredictions:
    """Word-level (NER) or sentence-level (stance) predictions for units, with their gold if any; the
    task's spec travels with them, so nothing downstream looks the task up by name again."""

    spec: TaskSpec
    units: list[Unit]
    scores: list[np.ndarray]  # NER: (words, tags) per unit; stance: (classes,) per unit
    labels: list[Any]  # NER: list of tag lists; stance: list of class names

    def rows_by_doc(self) -> dict[str, list[np.ndarray]]:
        """Each document's unit scores in unit order, in one pass (documents in first-seen order)."""
        rows: dict[str, list[np.ndarray]] = {}
        for unit, scores in zip(self.units, self.scores, strict=True):
            rows.setdefault(unit.doc_id, []).append(scores)
        return rows


def aggregate_document_stance(sentence_probs: np.ndarray, classes: Sequence[str], method: str, threshold: float) -> str:
    """A document's stance from its sentences' class probabilities (rows) — see configs/task/stance.yaml."""
    classes = list(classes)
    none = classes.index("NONE") if "NONE" in classes else None
    if len(sentence_probs) == 0:
        return "NONE" if none is not None else classes[0]
    predicted = sentence_probs.argmax(axis=1)
    if method == "majority_non_none":
        votes = Counter(int(p) for p in predicted if p != none)
        if not votes:
            return classes[none] if none is not None else classes[0]
        top = max(votes.values())
        tied = [c for c, v in votes.items() if v == top]
        # Ties go to the class with the larger summed probability over the document.
        return classes[max(tied, key=lambda c: float(sentence_probs[:, c].sum()))]
    if method == "mean_prob":
        mean = sentence_probs.mean(axis=0)
        stance_classes = [i for i in range(len(classes)) if i != none]
        best = max(stance_classes, key=lambda c: float(mean[c]))
        return classes[best] if none is None or mean[best] >= threshold else classes[none]
    raise ValueError(f"unknown doc_aggregation {method!r}; use majority_non_none or mean_prob")


def document_stances(
    predictions: TaskPredictions, task: TaskSettings, classes: Sequence[str], docs: Sequence[GoldDocument]
) -> tuple[list[str], list[str]]:
    """(gold, predicted) document stances of the `docs` that have predicted sentences, in `docs` order."""
    rows = predictions.rows_by_doc()
    gold, pred = [], []
    for doc in docs:
        if doc.doc_id not in rows:
            continue
        gold.append(doc.doc_stance)
        pred.append(
            aggregate_document_stance(
                np.stack(rows[doc.doc_id]), classes, task.doc_aggregation, float(task.doc_threshold)
            )
        )
    return gold, pred
