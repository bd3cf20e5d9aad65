"""Everything a report says about one run, computed from its held-out predictions.

The pooled scores are the ones training writes (same functions on the same aligned sentences:
`metrics.ner_metrics` / `metrics.stance_metrics` over `pooling.align`), so a report's metrics.json is
a superset of the run's. On top: fold spread, bootstrap intervals, nervaluate scores, QUANTITY value
agreement, the baselines on the same folds, and the error lists (errors_report.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from arastance.evaluation import baselines as bl
from arastance.evaluation import bootstrap as bs
from arastance.evaluation.errors_report import ErrorSentence, NerError, StanceItem, ner_errors
from arastance.features.predictions import aggregate_document_stance
from arastance.gold.convert import entity_at, tags_to_spans
from arastance.gold.model import QUANTITY, GoldDocument
from arastance.gold.splits import records_for
from arastance.runs.reader import RunData
from arastance.schema import Schema
from arastance.scoring.align import ScoredSentence, align
from arastance.scoring.metrics import ner_metrics, stance_metrics
from arastance.scoring.scorer import entity_spans, partial_match_scores
from arastance.scoring.spread import fold_spread

GAZETTEER = "gazetteer"
MAJORITY = "majority"


@dataclass
class TaskAnalysis:
    """The JSON block of one task plus what plots and errors.md need."""

    task: str
    metrics: dict[str, Any]
    labels: tuple[str, ...]
    ner_errors: list[NerError] = field(default_factory=list)
    stance_items: list[StanceItem] = field(default_factory=list)
    quantity_disagreements: list[dict[str, Any]] = field(default_factory=list)
    logs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    dev_metric: str = ""
    # The pooled held-out sentences and predicted document stances: report.html shows every one in context.
    sentences: list[ScoredSentence] = field(default_factory=list)
    doc_stances: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FoldSentences:
    name: str
    split: dict[str, list[str]]
    sentences: list[ScoredSentence]
    predictions: list[dict[str, Any]]


# ----------------------------------------------------------------------------------- shared pieces


def fold_sentences(run: RunData) -> list[FoldSentences]:
    return [FoldSentences(f.name, f.split, align(f.predictions, run.docs, run.task), f.predictions) for f in run.folds]


def sentence_text(doc: GoldDocument, s: ScoredSentence) -> tuple[str, int]:
    """The sentence's text and its start offset in the document."""
    if not s.offsets:
        return "", 0
    start = s.offsets[0][0]
    return doc.text[start : s.offsets[-1][1]], start


def _relative(spans: Sequence[tuple[int, int, str]], base: int) -> tuple[tuple[int, int, str], ...]:
    return tuple((a - base, b - base, label) for a, b, label in spans)


def _pooled(folds: Sequence[FoldSentences]) -> list[ScoredSentence]:
    return [s for f in folds for s in f.sentences]


def _logs(run: RunData) -> dict[str, list[dict[str, Any]]]:
    return {f.name: f.train_log or list((f.metrics or {}).get("history") or []) for f in run.folds}


def _run_info(run: RunData) -> dict[str, Any]:
    metrics = run.metrics or {}
    return {
        "run_dir": str(run.path),
        "task": run.task,
        "model": run.settings.model.name,
        "folds": [f.name for f in run.folds],
        "final": metrics.get("final"),
        "config": metrics.get("config"),
    }


# ----------------------------------------------------------------------------------- QUANTITY


def _same_value(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


def quantity_agreement(
    gold: Sequence[tuple[str, int, int, float | None]],
    predicted: Sequence[tuple[str, int, int]],
    texts: Mapping[str, str],
    schema: Schema,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Does the normalised value of a predicted QUANTITY span equal the gold value?

    `gold`: (doc_id, start, end, value) of gold QUANTITY entities; `predicted`: (doc_id, start, end)
    of predicted QUANTITY spans. A predicted value is what prediction would store
    (gold.convert.entity_at → parse_quantity with the text before the span). Shares are given over
    the exactly matched spans and over all gold QUANTITY entities (a missed span counts as a
    disagreement there); `normaliser_on_gold_spans` isolates the normaliser from the tagger.
    """
    gold_value = {(d, s, e): v for d, s, e, v in gold}

    def value(doc_id: str, start: int, end: int) -> float | None:
        return entity_at(texts[doc_id], start, end, QUANTITY, schema).value

    matched = sorted({key for key in predicted if key in gold_value})
    disagreements = []
    agree = 0
    for doc_id, start, end in matched:
        pred = value(doc_id, start, end)
        if _same_value(pred, gold_value[(doc_id, start, end)]):
            agree += 1
        else:
            disagreements.append(
                {
                    "doc_id": doc_id,
                    "start": start,
                    "end": end,
                    "text": texts[doc_id][start:end],
                    "gold_value": gold_value[(doc_id, start, end)],
                    "pred_value": pred,
                }
            )
    on_gold = sum(1 for (d, s, e), v in gold_value.items() if _same_value(value(d, s, e), v))
    n_gold, n_matched = len(gold_value), len(matched)
    summary = {
        "gold": n_gold,
        "predicted": len(set(predicted)),
        "exact_span_matches": n_matched,
        "value_agree": agree,
        "agreement_on_matched": agree / n_matched if n_matched else 0.0,
        "agreement_on_gold": agree / n_gold if n_gold else 0.0,
        "normaliser_on_gold_spans": on_gold / n_gold if n_gold else 0.0,
    }
    return summary, disagreements


# ----------------------------------------------------------------------------------- NER


def _ner_counts_and_ci(
    gold: list[list[str]],
    pred: list[list[str]],
    labels: Sequence[str],
    weights: np.ndarray,
    settings: bs.BootstrapSettings,
) -> tuple[bs.Counts, dict[str, Any]]:
    counts = bs.ner_counts(gold, pred, labels)
    return counts, {"bootstrap": settings.to_json(), **bs.ner_intervals(counts, weights, settings.confidence, labels)}


def gazetteer_predictions(docs: Sequence[GoldDocument], fold: FoldSentences) -> list[list[str]]:
    """The gazetteer baseline's tags for a fold's test sentences, learnt from its training documents
    (dev documents excluded: the model never trains on them either)."""
    mentions = [
        m for r in records_for(docs, fold.split["train"]) for m in bl.entity_mentions(r["tokens"], r["ner_tags"])
    ]
    gazetteer = bl.build_gazetteer(mentions)
    return [bl.gazetteer_tags(s.tokens, gazetteer) for s in fold.sentences]


def analyse_ner(run: RunData, settings: bs.BootstrapSettings, with_baselines: bool = True) -> TaskAnalysis:
    labels = run.schema.entity_labels
    folds = fold_sentences(run)
    sentences = _pooled(folds)
    gold = [list(s.gold_tags or ()) for s in sentences]
    pred = [list(s.pred_tags or ()) for s in sentences]
    weights = bs.resample_weights([s.doc_id for s in sentences], settings.n, settings.seed)

    block = ner_metrics(gold, pred, labels)
    per_fold = []
    for f in folds:
        m = ner_metrics(
            [list(s.gold_tags or ()) for s in f.sentences], [list(s.pred_tags or ()) for s in f.sentences], labels
        )
        per_fold.append(
            {
                "fold": f.name,
                "test": f.split["test"],
                "sentences": len(f.sentences),
                "micro_f1": m["micro"]["f1"],
                "per_label": m["per_label"],
            }
        )
    block["folds"] = fold_spread([f["per_label"] for f in per_fold], "f1", [f["micro_f1"] for f in per_fold])
    block["per_fold"] = per_fold
    counts, block["ci"] = _ner_counts_and_ci(gold, pred, labels, weights, settings)

    gold_spans = [entity_spans(g, "strict") for g in gold]
    pred_spans = [entity_spans(p, "strict") for p in pred]
    block["nervaluate"] = partial_match_scores(gold_spans, pred_spans, labels)

    by_id = {d.doc_id: d for d in run.docs}
    tested = {s.doc_id for s in sentences}
    gold_q = [
        (d.doc_id, e.start, e.end, e.value)
        for d in run.docs
        if d.doc_id in tested
        for e in d.entities
        if e.label == QUANTITY
    ]
    pred_q = [
        (s.doc_id, a, b)
        for s in sentences
        for a, b, label in tags_to_spans(s.pred_tags or [], s.offsets)
        if label == QUANTITY
    ]
    block["quantity"], disagreements = quantity_agreement(
        gold_q, pred_q, {d: by_id[d].text for d in tested}, run.schema
    )

    if with_baselines:
        base_pred = [tags for f in folds for tags in gazetteer_predictions(run.docs, f)]
        base = ner_metrics(gold, base_pred, labels)
        base_counts, base["ci"] = _ner_counts_and_ci(gold, base_pred, labels, weights, settings)
        base["description"] = (
            "exact word-aligned longest-first match of the entity strings in each fold's training documents, with "
            "their most frequent label"
        )
        start = 0
        fold_scores = []
        for f in folds:
            m = ner_metrics(
                [list(s.gold_tags or ()) for s in f.sentences], base_pred[start : start + len(f.sentences)], labels
            )
            fold_scores.append(m)
            start += len(f.sentences)
        base["folds"] = fold_spread(
            [m["per_label"] for m in fold_scores], "f1", [m["micro"]["f1"] for m in fold_scores]
        )
        base["model_minus_baseline"] = bs.paired_difference(
            "ner", counts, base_counts, weights, labels, settings.confidence
        )
        block["baselines"] = {GAZETTEER: base}

    errors = []
    for s in sentences:
        text, base_offset = sentence_text(by_id[s.doc_id], s)
        errors.append(
            ErrorSentence(
                s.doc_id,
                s.sentence_id,
                text,
                _relative(tags_to_spans(s.gold_tags or [], s.offsets), base_offset),
                _relative(tags_to_spans(s.pred_tags or [], s.offsets), base_offset),
            )
        )
    block["run"] = _run_info(run)
    return TaskAnalysis(
        "ner",
        block,
        labels,
        ner_errors(errors),
        [],
        disagreements,
        _logs(run),
        run.settings.task.metric,
        sentences=sentences,
    )


# ----------------------------------------------------------------------------------- stance


def _doc_stances(run: RunData, folds: Sequence[FoldSentences]) -> tuple[list[str], list[str]]:
    """Gold and predicted document stance of every predicted document (predictions.jsonl's doc_stance)."""
    gold = {d.doc_id: d.doc_stance for d in run.docs}
    pairs = [(gold[r["doc_id"]], r["doc_stance"]) for f in folds for r in f.predictions if "doc_stance" in r]
    return [g for g, _ in pairs], [p for _, p in pairs]


def majority_predictions(run: RunData, fold: FoldSentences) -> tuple[str, list[str], list[tuple[str, str]]]:
    """(majority class, sentence predictions, (gold, predicted) document stances) of the baseline.

    The document stance goes through the same aggregation as the model's, fed one-hot scores."""
    classes = run.schema.stance_classes
    train = records_for(run.docs, fold.split["train"])
    majority = bl.majority_class([r["stance"] for r in train], classes)
    one_hot = np.eye(len(classes))[list(classes).index(majority)]
    docs = [d for d in run.docs if d.doc_id in {s.doc_id for s in fold.sentences}]
    doc_pairs = []
    for doc in docs:
        n = sum(1 for s in fold.sentences if s.doc_id == doc.doc_id)
        predicted = aggregate_document_stance(
            np.tile(one_hot, (n, 1)), classes, run.settings.task.doc_aggregation, run.settings.task.doc_threshold
        )
        doc_pairs.append((doc.doc_stance, predicted))
    return majority, [majority] * len(fold.sentences), doc_pairs


def analyse_stance(run: RunData, settings: bs.BootstrapSettings, with_baselines: bool = True) -> TaskAnalysis:
    classes = run.schema.stance_classes
    folds = fold_sentences(run)
    sentences = _pooled(folds)
    gold = [str(s.gold_stance) for s in sentences]
    pred = [str(s.pred_stance) for s in sentences]
    weights = bs.resample_weights([s.doc_id for s in sentences], settings.n, settings.seed)

    doc_gold, doc_pred = _doc_stances(run, folds)
    block = stance_metrics(gold, pred, classes, doc_gold, doc_pred)
    per_fold = []
    for f in folds:
        fg, fp = _doc_stances(run, [f])
        m = stance_metrics(
            [str(s.gold_stance) for s in f.sentences], [str(s.pred_stance) for s in f.sentences], classes, fg, fp
        )
        per_fold.append(
            {
                "fold": f.name,
                "test": f.split["test"],
                "sentences": len(f.sentences),
                "macro_f1": m["macro_f1"],
                "accuracy": m["accuracy"],
                "per_label": m["per_label"],
            }
        )
    block["folds"] = fold_spread([f["per_label"] for f in per_fold], "f1", [f["macro_f1"] for f in per_fold])
    block["per_fold"] = per_fold
    counts = bs.stance_counts(gold, pred, classes)
    block["ci"] = {"bootstrap": settings.to_json(), **bs.stance_intervals(counts, weights, settings.confidence)}

    if with_baselines:
        base_pred: list[str] = []
        base_docs: list[tuple[str, str]] = []
        fold_scores, majorities = [], {}
        for f in folds:
            majority, preds, doc_pairs = majority_predictions(run, f)
            majorities[f.name] = majority
            base_pred += preds
            base_docs += doc_pairs
            fold_scores.append(stance_metrics([str(s.gold_stance) for s in f.sentences], preds, classes))
        base = stance_metrics(gold, base_pred, classes, [g for g, _ in base_docs], [p for _, p in base_docs])
        base_counts = bs.stance_counts(gold, base_pred, classes)
        base["ci"] = {"bootstrap": settings.to_json(), **bs.stance_intervals(base_counts, weights, settings.confidence)}
        base["description"] = "every sentence gets the most frequent stance of the fold's training sentences"
        base["class_per_fold"] = majorities
        base["folds"] = fold_spread([m["per_label"] for m in fold_scores], "f1", [m["macro_f1"] for m in fold_scores])
        base["model_minus_baseline"] = bs.paired_difference(
            "stance", counts, base_counts, weights, classes, settings.confidence
        )
        block["baselines"] = {MAJORITY: base}

    by_id = {d.doc_id: d for d in run.docs}
    items = [
        StanceItem(
            s.doc_id,
            s.sentence_id,
            sentence_text(by_id[s.doc_id], s)[0],
            str(s.gold_stance),
            str(s.pred_stance),
            s.stance_scores,
        )
        for s in sentences
    ]
    block["run"] = _run_info(run)
    doc_stances = {str(r["doc_id"]): str(r["doc_stance"]) for f in folds for r in f.predictions if "doc_stance" in r}
    return TaskAnalysis(
        "stance",
        block,
        classes,
        [],
        items,
        [],
        _logs(run),
        run.settings.task.metric,
        sentences=sentences,
        doc_stances=doc_stances,
    )


def top_error_strings(errors: Sequence[NerError], limit: int = 20) -> list[tuple[str, int, int]]:
    """(surface text, gold mentions not matched exactly, predictions not matching exactly), most
    frequent first: strict scoring's FN and FP, whatever the error kind."""
    missed: Counter[str] = Counter()
    spurious: Counter[str] = Counter()
    for e in errors:
        if e.gold:
            missed[" ".join(e.text[e.gold[0] : e.gold[1]].split())] += 1
        if e.pred:
            spurious[" ".join(e.text[e.pred[0] : e.pred[1]].split())] += 1
    keys = sorted(missed.keys() | spurious.keys(), key=lambda k: (-(missed[k] + spurious[k]), k))
    return [(k, missed[k], spurious[k]) for k in keys[:limit]]
