"""The one prediction path: a loaded model (torch, ONNX Runtime or OpenVINO) and its task's spec →
labelled words (NER) or sentences (stance) with probabilities, and the records written from them.

Training (dev scoring and the held-out prediction), `arastance evaluate`, `arastance predict` and
pre-annotation, the publish-time ONNX gate and the bench all go through `Predictor`, so every path
gives the same numbers. Building records is linear in the words: a document of one 187k-word
"sentence" costs what 187k words in sentences cost (tests/test_prediction_path.py counts it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from arastance.features.batching import BatchingConfig, resolve_max_rows, resolve_pad_multiple
from arastance.features.encode import EncodingConfig, Unit, Window, encode_units
from arastance.features.predictions import TaskPredictions, document_stances
from arastance.gold.convert import tags_to_spans
from arastance.gold.model import GoldDocument
from arastance.models.device import Runtime
from arastance.models.factory import LoadedModel, load_saved
from arastance.models.inference import (
    model_device_type,
    model_pad_multiple,
    padded_batches,
    prepare_for_inference,
    unit_scores,
    window_scores,
)
from arastance.schema import Schema
from arastance.settings import InferenceSettings, TaskSettings
from arastance.tasks import TaskSpec


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
    """The batches Predictor.predict runs this model with: an exported runtime's own width multiple, else
    the settings'."""
    return eval_batching(settings, model_device_type(loaded.model), model_pad_multiple(loaded.model))


def encoding_config(task: TaskSpec, stride: int, label2id: dict[str, int], max_length: int) -> EncodingConfig:
    return EncodingConfig(task=task, max_length=max_length, stride=stride, label2id=label2id)


@dataclass(frozen=True)
class Predictor:
    """A loaded model with everything turning its outputs into labels needs: the task's spec, the
    inference settings it was trained with, the schema (label ids) and the precision it runs in."""

    loaded: LoadedModel
    spec: TaskSpec
    settings: InferenceSettings
    schema: Schema
    precision: str  # torch: bf16 | fp32; an exported runtime: its variant (fp32 | int8 | openvino-int8)

    def with_model(self, model: Any) -> Predictor:
        """The same path over another model with this tokenizer (training's live model at each dev scoring)."""
        return replace(self, loaded=replace(self.loaded, model=model))

    @property
    def batching(self) -> BatchingConfig:
        """The batches this model runs with: an exported runtime's own width multiple, else the settings'."""
        return model_batching(self.loaded, self.settings)

    def windows(self, units: Sequence[Unit]) -> list[Window]:
        """The units encoded into model windows (normalised, split at word boundaries)."""
        label2id = self.schema.label2id(self.spec.name)
        max_length = int(self.loaded.tokenizer.model_max_length)
        enc = encoding_config(self.spec, self.settings.stride, label2id, max_length)
        return encode_units(units, self.loaded.tokenizer, self.loaded.normalize, enc)

    def batches(self, units: Sequence[Unit], pad_to_multiple_of: int | None = None) -> Iterator[dict[str, Any]]:
        """The model inputs `predict` would feed a CPU model (one running with `pad_to_multiple_of`, if
        given) for these units, batch by batch: static quantisation calibrates on exactly these."""
        batching = eval_batching(self.settings, "cpu", pad_to_multiple_of)
        pad_token_id = self.loaded.tokenizer.pad_token_id
        for _indices, batch in padded_batches(self.windows(units), pad_token_id, batching, self.spec):
            yield batch

    def predict(self, units: Sequence[Unit], progress: bool = False) -> TaskPredictions:
        """Each unit's probabilities — (words, tags) for NER, (classes,) for stance — and its labels."""
        windows = self.windows(units)
        pad_token_id = self.loaded.tokenizer.pad_token_id
        scores = window_scores(
            self.loaded.model, windows, pad_token_id, self.batching, self.spec, self.precision, progress
        )
        per_unit = unit_scores(windows, scores, [len(u.words) for u in units], self.spec)
        id2label = self.schema.id2label(self.spec.name)
        labels: list[Any]
        if self.spec.per_word:
            labels = [[id2label[int(i)] for i in s.argmax(axis=-1)] if len(s) else [] for s in per_unit]
        else:
            labels = [id2label[int(s.argmax())] for s in per_unit]
        return TaskPredictions(self.spec, list(units), per_unit, labels)

    def records(self, predictions: TaskPredictions, docs: Sequence[GoldDocument]) -> list[dict[str, Any]]:
        """predictions.jsonl: one line per document, character offsets into the raw text."""
        return prediction_records(predictions, self.settings.task, self.schema, docs)


def load_saved_predictor(
    folder: Path,
    spec: TaskSpec,
    normalization: str,
    max_length: int,
    settings: InferenceSettings,
    schema: Schema,
    runtime: Runtime,
) -> Predictor:
    """A saved torch model (a run's best/, a published folder) ready to predict: the folder checked and
    loaded as users load it, on the runtime's device, in its precision."""
    loaded = load_saved(folder, normalization, max_length)
    prepare_for_inference(loaded.model.to(runtime.device), runtime.precision)
    return Predictor(loaded, spec, settings, schema, runtime.precision)


def word_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Entities as (first word, one past the last word, label): tags_to_spans over word indices, so an
    entity's words are a slice, not a search through the sentence."""
    return tags_to_spans(tags, [(i, i + 1) for i in range(len(tags))])


def entity_records(unit: Unit, scores: np.ndarray, tags: Sequence[str], text: str) -> list[dict[str, Any]]:
    """A unit's predicted entities at raw-text offsets; the score is the mean of its words' top probabilities."""
    out = []
    for first, stop, label in word_spans(tags):
        start, end = unit.offsets[first][0], unit.offsets[stop - 1][1]
        score = float(np.mean(scores[first:stop].max(axis=-1)))
        out.append({"start": start, "end": end, "label": label, "text": text[start:end], "score": round(score, 4)})
    return out


def sentence_record(unit: Unit, scores: np.ndarray, stance: str, classes: Sequence[str]) -> dict[str, Any]:
    start, end = (unit.offsets[0][0], unit.offsets[-1][1]) if unit.offsets else (0, 0)
    return {
        "start": start,
        "end": end,
        "stance": stance,
        "gold": unit.stance,
        "scores": {c: round(float(p), 4) for c, p in zip(classes, scores, strict=True)},
    }


def prediction_records(
    predictions: TaskPredictions, settings: TaskSettings, schema: Schema, docs: Sequence[GoldDocument]
) -> list[dict[str, Any]]:
    """predictions.jsonl: one line per document, character offsets into the raw text. One pass over
    the units; each entity costs its own words (linear in the input, whatever the sentence lengths).
    `settings` gives the document-stance rule."""
    spec = predictions.spec
    by_doc = {d.doc_id: d for d in docs}
    out: dict[str, dict[str, Any]] = {}
    for unit, scores, labels in zip(predictions.units, predictions.scores, predictions.labels, strict=True):
        doc = by_doc[unit.doc_id]
        record = out.setdefault(
            unit.doc_id,
            {
                "doc_id": unit.doc_id,
                "task": spec.name,
                "gold_doc_stance": doc.doc_stance,
                "entities": [],
                "sentences": [],
            },
        )
        if spec.per_word:
            record["entities"].extend(entity_records(unit, scores, labels, doc.text))
        else:
            record["sentences"].append(sentence_record(unit, scores, labels, schema.stance_classes))
    if not spec.per_word:
        _, pred = document_stances(predictions, settings, schema.stance_classes, [by_doc[d] for d in out])
        for record, doc_stance in zip(out.values(), pred, strict=True):
            record["doc_stance"] = doc_stance
    return list(out.values())
