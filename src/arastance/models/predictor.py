"""Predictions for word-level units from a loaded model: shared by training-time evaluation,
`arastance.evaluate`, `arastance predict` and pre-annotation, so every path gives the same numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arastance.features.batching import BatchingConfig, resolve_max_rows, resolve_pad_multiple
from arastance.features.encode import EncodingConfig, Unit, Window, encode_units
from arastance.gold.convert import tags_to_spans
from arastance.gold.model import GoldDocument
from arastance.models.factory import LoadedModel
from arastance.models.inference import model_device_type, model_pad_multiple, padded_batches, unit_scores, window_scores
from arastance.schema import Schema
from arastance.settings import InferenceSettings, TaskSettings
from arastance.tasks import get_task


def resolve_eval_tokens(setting: int | str, device_type: str) -> int:
    """`auto`: 16384 tokens per batch on CUDA; 2048 on CPU, where larger batches fall out of cache
    (measured on 2 cores, BERT-base bf16: ~105 sentences/s at 2048 vs ~50 at 16384)."""
    if setting == "auto":
        return 16384 if device_type == "cuda" else 2048
    return int(setting)


def eval_batching(
    settings: InferenceSettings, device_type: str, pad_to_multiple_of: int | None = None
) -> BatchingConfig:
    """Prediction batches; `pad_to_multiple_of` overrides the settings' (a runtime with its own, see
    models/openvino_backend.py)."""
    return BatchingConfig(
        max_tokens=resolve_eval_tokens(settings.eval_batch_tokens, device_type),
        max_rows=resolve_max_rows(settings.max_rows, device_type) * 4,
        pool_factor=settings.pool_factor,
        pad_to_multiple_of=pad_to_multiple_of or resolve_pad_multiple(settings.pad_to_multiple_of, device_type),
    )


def model_batching(loaded: LoadedModel, settings: InferenceSettings) -> BatchingConfig:
    """The batches predict_units runs this model with: an exported runtime's own width multiple, else the settings'."""
    return eval_batching(settings, model_device_type(loaded.model), model_pad_multiple(loaded.model))


@dataclass
class TaskPredictions:
    """Word-level (NER) or sentence-level (stance) predictions for held-out units, with gold."""

    units: list[Unit]
    scores: list[np.ndarray]
    labels: list[Any]  # NER: list of tag lists; stance: list of class names


def encoding_config(task: str, stride: int, label2id: dict[str, int], max_length: int) -> EncodingConfig:
    return EncodingConfig(task=task, max_length=max_length, stride=stride, label2id=label2id)


def unit_windows(loaded: LoadedModel, units: list[Unit], settings: InferenceSettings, schema: Schema) -> list[Window]:
    """The units encoded into model windows as prediction encodes them (normalised, split at word boundaries)."""
    task = settings.task.name
    enc = encoding_config(task, settings.stride, schema.label2id(task), int(loaded.tokenizer.model_max_length))
    return encode_units(units, loaded.tokenizer, loaded.normalize, enc)


def prediction_batches(
    loaded: LoadedModel,
    units: list[Unit],
    settings: InferenceSettings,
    schema: Schema,
    pad_to_multiple_of: int | None = None,
) -> Iterator[dict[str, Any]]:
    """The model inputs predict_units would feed a CPU model (one running with `pad_to_multiple_of`,
    if given) for these units, batch by batch."""
    windows = unit_windows(loaded, units, settings, schema)
    batching = eval_batching(settings, "cpu", pad_to_multiple_of)
    for _indices, batch in padded_batches(windows, loaded.tokenizer.pad_token_id, batching, settings.task.name):
        yield batch


def predict_units(
    loaded: LoadedModel,
    units: list[Unit],
    settings: InferenceSettings,
    schema: Schema,
    precision: str,
    progress: bool = False,
) -> TaskPredictions:
    task = settings.task.name
    id2label = schema.id2label(task)
    windows = unit_windows(loaded, units, settings, schema)
    batching = model_batching(loaded, settings)
    scores = window_scores(loaded.model, windows, loaded.tokenizer.pad_token_id, batching, task, precision, progress)
    per_unit = unit_scores(windows, scores, [len(u.words) for u in units], task)
    labels: list[list[str]] | list[str]
    if get_task(task).per_word:
        labels = [[id2label[int(i)] for i in s.argmax(axis=-1)] if len(s) else [] for s in per_unit]
    else:
        labels = [id2label[int(s.argmax())] for s in per_unit]
    return TaskPredictions(units, per_unit, labels)


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
    predictions: TaskPredictions, task: TaskSettings, schema: Schema, docs: Sequence[GoldDocument]
) -> tuple[list[str], list[str]]:
    gold, pred = [], []
    for doc in docs:
        rows = [s for u, s in zip(predictions.units, predictions.scores, strict=True) if u.doc_id == doc.doc_id]
        if not rows:
            continue
        gold.append(doc.doc_stance)
        pred.append(
            aggregate_document_stance(
                np.stack(rows), schema.stance_classes, task.doc_aggregation, float(task.doc_threshold)
            )
        )
    return gold, pred


def prediction_records(
    predictions: TaskPredictions, settings: TaskSettings, schema: Schema, docs: Sequence[GoldDocument]
) -> list[dict[str, Any]]:
    """predictions.jsonl: one line per document, character offsets into the raw text."""
    task = settings.name
    per_word = get_task(task).per_word
    by_doc = {d.doc_id: d for d in docs}
    out: dict[str, dict[str, Any]] = {}
    for unit, scores, labels in zip(predictions.units, predictions.scores, predictions.labels, strict=True):
        doc = by_doc[unit.doc_id]
        record = out.setdefault(
            unit.doc_id,
            {"doc_id": unit.doc_id, "task": task, "gold_doc_stance": doc.doc_stance, "entities": [], "sentences": []},
        )
        if per_word:
            for start, end, label in tags_to_spans(labels, unit.offsets):
                first = next(i for i, (s, _e) in enumerate(unit.offsets) if s == start)
                last = next(i for i, (_s, e) in enumerate(unit.offsets) if e == end)
                score = float(np.mean([scores[i].max() for i in range(first, last + 1)]))
                record["entities"].append(
                    {"start": start, "end": end, "label": label, "text": doc.text[start:end], "score": round(score, 4)}
                )
        else:
            start, end = unit.offsets[0][0] if unit.offsets else 0, unit.offsets[-1][1] if unit.offsets else 0
            record["sentences"].append(
                {
                    "start": start,
                    "end": end,
                    "stance": labels,
                    "gold": unit.stance,
                    "scores": {c: round(float(p), 4) for c, p in zip(schema.stance_classes, scores, strict=True)},
                }
            )
    if not per_word:
        _, pred = document_stances(predictions, settings, schema, [by_doc[d] for d in out])
        for record, doc_stance in zip(out.values(), pred, strict=True):
            record["doc_stance"] = doc_stance
    return list(out.values())
