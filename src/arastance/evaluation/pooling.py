"""Read a run's predictions.jsonl back against the gold: the input of pooled CV scores, bootstrap
intervals and error reports. Scoring from these files (not from memory) is what makes
`arastance.evaluate` and the training-time numbers the same numbers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arastance.gold.convert import sentence_records, spans_to_tags
from arastance.gold.model import GoldDocument


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


def read_predictions(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def align(predictions: Sequence[dict[str, Any]], docs: Sequence[GoldDocument], task: str) -> list[ScoredSentence]:
    """Gold sentences of the predicted documents, each with its predicted tags or stance."""
    by_id = {d.doc_id: d for d in docs}
    out: list[ScoredSentence] = []
    for record in predictions:
        doc = by_id[record["doc_id"]]
        for gold in sentence_records(doc):
            sentence = ScoredSentence(doc.doc_id, gold["sentence_id"], gold["tokens"], gold["offsets"])
            if task == "ner":
                start, end = gold["offsets"][0][0], gold["offsets"][-1][1]
                spans = [(e["start"], e["end"], e["label"]) for e in record["entities"] if start <= e["start"] and e["end"] <= end]
                sentence.gold_tags = gold["ner_tags"]
                sentence.pred_tags = spans_to_tags(spans, gold["offsets"])
            else:
                predicted = record["sentences"][gold["sentence_id"]]
                sentence.gold_stance = gold["stance"]
                sentence.pred_stance = predicted["stance"]
                sentence.stance_scores = predicted.get("scores")
            out.append(sentence)
    return out


def fold_dirs(run_dir: Path) -> list[Path]:
    """A CV run's fold folders (fold-0 …), or the run itself for a single split."""
    folds = sorted((p for p in Path(run_dir).glob("fold-*") if p.is_dir()), key=lambda p: int(p.name.split("-")[1]))
    return folds or [Path(run_dir)]
