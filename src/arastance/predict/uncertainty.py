"""How unsure the models are about a document, to put the most useful documents first for annotation
(`arastance preannotate --rank uncertainty`).

Two signals, each in [0, 1] (1 = the model has no idea):
- NER: the mean over the document's words of the entropy of the tag distribution, divided by
  log(number of tags) (a uniform distribution gives 1, a one-hot one 0);
- stance: the mean over its sentences of 1 − (p₁ − p₂), p₁ ≥ p₂ the two largest class
  probabilities (a low margin between the top two classes is the classic uncertainty-sampling cue).
A document's uncertainty is the mean of the signals its models give (one model: that signal alone).

Everything here is pure: the probabilities come from the prediction pass itself
(predict/documents.py `predict_documents_with_word_probabilities`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

DECIMALS = 4  # as the region scores Label Studio shows


@dataclass(frozen=True)
class Uncertainty:
    ner_entropy: float | None  # None: no NER model, or no words
    stance_low_margin: float | None  # None: no stance model, or no sentences

    @property
    def score(self) -> float:
        parts = [p for p in (self.ner_entropy, self.stance_low_margin) if p is not None]
        return float(np.mean(parts)) if parts else 0.0

    def meta(self) -> dict[str, float]:
        """The task's `meta` entries: the ranking score and the signals it is made of."""
        out = {"uncertainty": round(self.score, DECIMALS)}
        if self.ner_entropy is not None:
            out["ner_entropy"] = round(self.ner_entropy, DECIMALS)
        if self.stance_low_margin is not None:
            out["stance_low_margin"] = round(self.stance_low_margin, DECIMALS)
        return out


def normalised_entropy(probs: np.ndarray) -> np.ndarray:
    """Entropy of each row of probabilities over the last axis, divided by its maximum log(K)."""
    probs = np.asarray(probs, dtype=np.float64)
    k = probs.shape[-1]
    if k < 2:
        return np.zeros(probs.shape[:-1])
    safe = np.where(probs > 0, probs, 1.0)  # 0 · log 0 = 0
    return -(probs * np.log(safe)).sum(axis=-1) / np.log(k)


def mean_word_entropy(sentence_word_probs: Sequence[np.ndarray]) -> float | None:
    """NER signal of a document: its sentences' (words, tags) probability arrays → mean over all words."""
    rows = [np.asarray(p) for p in sentence_word_probs if len(p)]
    if not rows:
        return None
    return float(normalised_entropy(np.concatenate(rows, axis=0)).mean())


def mean_low_margin(sentence_scores: Sequence[Mapping[str, float]]) -> float | None:
    """Stance signal of a document: mean over sentences of 1 − (top − runner-up) class probability."""
    margins = []
    for scores in sentence_scores:
        top = sorted(scores.values(), reverse=True)
        margins.append(1.0 - (top[0] - (top[1] if len(top) > 1 else 0.0)))
    return float(np.mean(margins)) if margins else None


def document_uncertainty(word_probs: Sequence[np.ndarray] | None, result: Mapping[str, Any]) -> Uncertainty:
    """The signals of one document: NER word probabilities (None without an NER model) and the
    predict_documents result, whose `sentences` carry the stance scores (None without a stance model)."""
    sentences = result.get("sentences")
    return Uncertainty(
        ner_entropy=mean_word_entropy(word_probs) if word_probs is not None else None,
        stance_low_margin=mean_low_margin([s["scores"] for s in sentences]) if sentences is not None else None,
    )


def rank_by_uncertainty(tasks: Sequence[dict[str, Any]], uncertainties: Sequence[Uncertainty]) -> list[dict[str, Any]]:
    """The tasks, most uncertain first (ties keep the input order), each with `meta.uncertainty`."""
    scored = [
        {**task, "meta": {**task.get("meta", {}), **u.meta()}} for task, u in zip(tasks, uncertainties, strict=True)
    ]
    order = sorted(range(len(scored)), key=lambda i: -uncertainties[i].score)
    return [scored[i] for i in order]
