"""A run's prediction records (predictions.jsonl) set against the gold sentences: the input of pooled
CV scores, bootstrap intervals and error reports. Scoring from these files (not from memory) is what makes
`arastance.evaluate` and the training-time numbers the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from arastance.gold.convert import sentence_records, spans_to_tags
from arastance.gold.model import GoldDocument
from arastance.tasks import get_task


@dataclass
class ScoredSentence:
    doc_id: str
    sentence_id: int
    tokens: list[str]
    offsets: list[list[int]]
    gold_tags: list[str] | None = None
    pred_tags: list[str] | None = None
    gold_stance: str | None = None
    pred_stance: str | None = None
    stance_scores: dict[str, float] | None = None


def align(predictions: Sequence[dict[str, Any]], docs: Sequence[GoldDocument], task: str) -> list[ScoredSentence]:
    """Gold sentences of the predicted documents, each with its predicted tags or stance."""
    by_id = {d.doc_id: d for d in docs}
    out: list[ScoredSentence] = []
    for record in predictions:
        doc = by_id[record["doc_id"]]
        for gold in sentence_records(doc):
            sentence = ScoredSentence(doc.doc_id, gold["sentence_id"], gold["tokens"], gold["offsets"])
            if get_task(task).per_word:
                start, end = gold["offsets"][0][0], gold["offsets"][-1][1]
                spans = [
                    (e["start"], e["end"], e["label"])
                    for e in record["entities"]
                    if start <= e["start"] and e["end"] <= end
                ]
                sentence.gold_tags = gold["ner_tags"]
                sentence.pred_tags = spans_to_tags(spans, gold["offsets"])
            else:
                predicted = record["sentences"][gold["sentence_id"]]
                sentence.gold_stance = gold["stance"]
                sentence.pred_stance = predicted["stance"]
                sentence.stance_scores = predicted.get("scores")
            out.append(sentence)
    return out
