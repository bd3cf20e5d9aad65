"""Holder scores: exact-span accuracy of the chosen stance holder on the gold stance sentences.

(a) `given_gold`: the method fed the gold entities of each gold stance sentence — its own ceiling,
    since entity and stance errors are taken out.
(b) `end_to_end`: the holder of each gold stance sentence as prediction would give it — the predicted
    stance (a sentence predicted NONE gets no holder) and the predicted entities of the same held-out
    documents; needs an NER and a stance run over the same documents.
Each beside the always-null baseline (every sentence is the article's own voice), with percentile
intervals from evaluation/bootstrap.py's resampling: sentences drawn within their documents, and the
paired difference on the same resamples. An item is correct when both holders are null or both spans
are exactly equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arastance.evaluation.bootstrap import BootstrapSettings, percentile_interval, resample_weights
from arastance.gold.model import GoldDocument, Holder
from arastance.holders.base import HolderMethod, sentence_holders
from arastance.runs.reader import RunData


@dataclass(frozen=True)
class HolderItem:
    doc_id: str
    gold: Holder | None
    predicted: Holder | None

    @property
    def correct(self) -> bool:
        if self.gold is None or self.predicted is None:
            return self.gold is None and self.predicted is None
        return (self.gold.start, self.gold.end) == (self.predicted.start, self.predicted.end)


def _stance_sentences(doc: GoldDocument, no_stance: str) -> list[Any]:
    return sorted((s for s in doc.sentences if s.stance != no_stance), key=lambda s: s.start)


def items_given_gold(docs: Sequence[GoldDocument], method: HolderMethod, no_stance: str) -> list[HolderItem]:
    """(a): every gold stance sentence, the method given the gold stance and the gold entities."""
    items = []
    for doc in docs:
        sentences = _stance_sentences(doc, no_stance)
        predicted = sentence_holders(
            doc.text, [(s.start, s.end, s.stance) for s in sentences], doc.entities, method, no_stance
        )
        items += [HolderItem(doc.doc_id, s.holder, p) for s, p in zip(sentences, predicted, strict=True)]
    return items


def items_end_to_end(
    docs: Sequence[GoldDocument],
    entities: Mapping[str, Sequence[Mapping[str, Any]]],
    stances: Mapping[str, Mapping[int, str]],
    method: HolderMethod,
    no_stance: str,
) -> list[HolderItem]:
    """(b): gold stance sentences of the documents that have both predictions (doc_id → predicted
    entity dicts; doc_id → {sentence start: predicted stance}); a sentence without a stance prediction
    counts as predicted `no_stance`, so it gets no holder."""
    items = []
    for doc in docs:
        if doc.doc_id not in entities or doc.doc_id not in stances:
            continue
        sentences = _stance_sentences(doc, no_stance)
        predicted_stance = [stances[doc.doc_id].get(s.start, no_stance) for s in sentences]
        predicted = sentence_holders(
            doc.text,
            [(s.start, s.end, p) for s, p in zip(sentences, predicted_stance, strict=True)],
            entities[doc.doc_id],
            method,
            no_stance,
        )
        items += [HolderItem(doc.doc_id, s.holder, p) for s, p in zip(sentences, predicted, strict=True)]
    return items


# ----------------------------------------------------------------------------------- scores


def _accuracies(weights: np.ndarray, correct: np.ndarray) -> np.ndarray:
    totals = weights.sum(axis=1)
    return np.divide(weights @ correct, totals, out=np.zeros(len(weights)), where=totals > 0)


def _interval(values: np.ndarray, confidence: float) -> dict[str, float]:
    low, high = percentile_interval(values, confidence)
    return {"low": float(low), "high": float(high)}


def holder_scores(items: Sequence[HolderItem], settings: BootstrapSettings) -> dict[str, Any]:
    """Accuracy with its interval, the always-null baseline's, and the paired difference."""
    model = np.array([i.correct for i in items], dtype=np.float64)
    null = np.array([i.gold is None for i in items], dtype=np.float64)
    out: dict[str, Any] = {"n": len(items), "gold_holders": int(len(items) - null.sum())}
    if not items:
        return out
    weights = resample_weights([i.doc_id for i in items], settings.n, settings.seed)
    model_reps, null_reps = _accuracies(weights, model), _accuracies(weights, null)
    out.update(
        accuracy=float(model.mean()),
        ci=_interval(model_reps, settings.confidence),
        null_baseline={"accuracy": float(null.mean()), "ci": _interval(null_reps, settings.confidence)},
        model_minus_baseline={
            "difference": float(model.mean() - null.mean()),
            **_interval(model_reps - null_reps, settings.confidence),
        },
    )
    return out


# ----------------------------------------------------------------------------------- from runs


def held_out_records(run: RunData) -> dict[str, dict[str, Any]]:
    """doc_id → the predictions.jsonl record of the fold that held the document out."""
    out: dict[str, dict[str, Any]] = {}
    for fold in run.folds:
        test = set(fold.split.get("test") or [])
        for record in fold.predictions:
            if record.get("doc_id") in test:
                out[str(record["doc_id"])] = record
    return out


def holder_metrics(
    stance_run: RunData, ner_run: RunData | None, settings: BootstrapSettings, method: HolderMethod, no_stance: str
) -> dict[str, Any]:
    """metrics.json's `stance.holder`: (a) always, (b) when an NER run covers the stance run's documents."""
    out: dict[str, Any] = {"given_gold": holder_scores(items_given_gold(stance_run.docs, method, no_stance), settings)}
    if ner_run is not None:
        ner = {d: r.get("entities") or [] for d, r in held_out_records(ner_run).items()}
        stance = {
            d: {int(s["start"]): str(s["stance"]) for s in r.get("sentences") or []}
            for d, r in held_out_records(stance_run).items()
        }
        docs = [d for d in stance_run.docs if d.doc_id in ner and d.doc_id in stance]
        out["end_to_end"] = holder_scores(items_end_to_end(docs, ner, stance, method, no_stance), settings)
        out["end_to_end"]["documents"] = [d.doc_id for d in docs]
    return out


def attach_holder_metrics(
    stance_metrics: dict[str, Any], stance_run: RunData, ner_run: RunData | None, settings: BootstrapSettings
) -> None:
    """Add `holder` to a stance analysis' metrics with the project's rule method (configs/holders/rules.yaml)."""
    from arastance.holders.rules import RuleHolders, load_rules

    rules = load_rules()
    stance_metrics["holder"] = {
        "method": "rules (configs/holders/rules.yaml)",
        **holder_metrics(stance_run, ner_run, settings, RuleHolders(rules), rules.no_stance),
    }


# ----------------------------------------------------------------------------------- report.md


def _f(x: float) -> str:
    return f"{x:.3f}"


def _row(name: str, scores: Mapping[str, Any]) -> list[str]:
    if not scores.get("n"):
        return [name, "0", "–", "–", "–"]
    base, diff = scores["null_baseline"], scores["model_minus_baseline"]
    return [
        name,
        str(scores["n"]),
        f"**{_f(scores['accuracy'])}** [{_f(scores['ci']['low'])}, {_f(scores['ci']['high'])}]",
        f"{_f(base['accuracy'])} [{_f(base['ci']['low'])}, {_f(base['ci']['high'])}]",
        f"{_f(diff['difference'])} [{_f(diff['low'])}, {_f(diff['high'])}]",
    ]


def holder_section_md(block: Mapping[str, Any]) -> list[str]:
    """The "Stance holders" subsection of report.md."""
    given = block["given_gold"]
    rows = [_row("(a) given gold entities and stance", given)]
    if "end_to_end" in block:
        rows.append(_row("(b) end to end (predicted entities and stance)", block["end_to_end"]))
    lines = [
        "### Stance holders",
        "",
        f"Exact-span accuracy of the holder on the {given['n']} gold stance sentences ({given.get('gold_holders', 0)} "
        f"with a holder, the rest the article's own voice), method: {block['method']}. The baseline says every "
        "sentence is authorial (holder null); the difference interval is paired. The rule cues were written while "
        "reading the project's first five gold documents: on those, (a) is an in-sample figure, not an estimate for "
        "new text.",
        "",
        "| holder | sentences | accuracy [95% CI] | always-null [95% CI] | difference [95% CI] |",
        "| :--- | ---: | :--- | :--- | :--- |",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]
    if "end_to_end" not in block:
        lines += ["", "(b) needs an NER run over the same documents (`arastance report --ner RUN --stance RUN`)."]
    return lines
