"""Raw documents → entities, sentence stances and the document stance, with offsets into the raw text.

The pipeline is the training pipeline, not a copy of it: corpus.segment.split_sentences and
tokenize_words (exactly how gold.convert made the training records), features.encode's
units_from_records (the same title / previous-sentence context for stance) and models.predictor's
Predictor, the one prediction path (normalisation per word, windows at word boundaries, length-sorted
batches; records through gold.convert.tags_to_spans). Offsets come from tokenize_words on the
raw text, so `text[start:end]` is always the entity's `text`, whatever normalisation did to the words.

A model folder is a published folder (with training_config.yaml and schema.yaml) or a run's best/
(whose ../config.yaml is the training config); without either, the settings are the defaults in
configs/ (task, data, trainer and the AraBERT model config). Every backend reads the folder through
the same checks (models/saved.py): an exported variant is no excuse for a folder without its tokenizer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from arastance.errors import UserError
from arastance.models.model_config import check_model_config, model_task
from arastance.runs.layout import BEST, training_config_of
from arastance.runs.state import require_model
from arastance.schema import Schema
from arastance.settings import RunSettings, from_config
from arastance.tasks import TaskSpec

if TYPE_CHECKING:  # loading torch waits until a model is loaded
    from arastance.models.predictor import Predictor
# configs/<group>/<name>.yaml used when a model folder carries no training config.
DEFAULT_GROUPS = {"data": "cv", "trainer": "default", "model": "arabert_v02"}


@dataclass
class TaskModel:
    """A loaded model (its prediction path) with the settings it was trained with."""

    task: TaskSpec
    folder: Path
    predictor: Predictor  # the model, its task, inference settings, schema and precision
    settings: RunSettings  # what it was trained with (task, data, trainer, model)
    settings_from: str  # the file the settings came from, for messages
    backend: str = "torch"  # torch | onnx | openvino (models/onnx_backend.py VARIANTS)

    @property
    def loaded(self) -> Any:  # models.factory.LoadedModel
        return self.predictor.loaded

    @property
    def schema(self) -> Schema:
        return self.predictor.schema

    @property
    def precision(self) -> str:
        """torch: bf16 | fp32; exported: the variant (fp32 | int8 | openvino-int8)."""
        return self.predictor.precision

    @cached_property
    def version(self) -> str:
        """`task:name@hash` of the weights: Label Studio's model_version, stable across copies of a folder."""
        digest = hashlib.sha256()
        for path in (
            sorted(self.folder.glob("*.safetensors"))
            + sorted(self.folder.glob("*.bin"))
            + [self.folder / "config.json"]
        ):
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        name = self.folder.name if self.folder.name != BEST else f"{self.folder.parent.name}/{BEST}"
        return f"{self.task.name}:{name}@{digest.hexdigest()[:10]}"


# --------------------------------------------------------------------------- locating a model


def resolve_model_folder(path: Path, arg: str = "MODEL_DIR") -> Path:
    """The folder holding config.json: a published folder, best/, a fold or a single-split run folder;
    anything else is refused with the message every command gives for that folder (runs/state.py)."""
    return require_model(path, arg)


def default_settings(task: TaskSpec) -> Any:
    """The project's defaults (configs/) for a model folder that carries no training config."""
    from omegaconf import OmegaConf

    from arastance.paths import project_root

    root = project_root() / "configs"
    files = {
        "task": root / "task" / f"{task.name}.yaml",
        **{g: root / g / f"{n}.yaml" for g, n in DEFAULT_GROUPS.items()},
    }
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise UserError(
            f"the model folder has no training_config.yaml (nor ../config.yaml) and the defaults are not here "
            f"({', '.join(missing)}); use a folder written by `arastance publish`"
        )
    return OmegaConf.create({group: OmegaConf.load(path) for group, path in files.items()})


def load_settings(folder: Path, task: TaskSpec) -> tuple[Any, str]:
    from omegaconf import OmegaConf

    path = training_config_of(folder)
    if path is None:
        return default_settings(task), "configs/ defaults"
    try:
        cfg = OmegaConf.load(path)
    except Exception as err:
        raise UserError(f"{path}: cannot read the training config: {err}") from None
    trained = OmegaConf.select(cfg, "task.name")
    if trained != task.name:
        raise UserError(f"{path} says the model was trained for {trained!r}, but {folder} holds a {task.name} model")
    return cfg, str(path)


def schema_for(folder: Path) -> Schema:
    """The schema published with the model, else the project's."""
    from arastance.schema import SchemaError, load_schema

    try:
        return load_schema(folder / "schema.yaml" if (folder / "schema.yaml").is_file() else None)
    except SchemaError as err:
        raise UserError(str(err)) from err


@dataclass(frozen=True)
class PublishedFolder:
    """A published model folder's checked settings, before any weights are loaded."""

    task: TaskSpec
    folder: Path
    settings: RunSettings
    schema: Schema
    settings_from: str
    max_length: int  # the training max_length, capped by the model's position embeddings


def read_published_folder(path: Path, task: TaskSpec) -> PublishedFolder:
    """The folder at `path` checked to hold a `task` model, with the settings it was trained with.

    The folder checks are the torch loader's (check_saved_folder: config, weights, tokenizer files)
    whatever backend runs it, so an exported variant never predicts from a default vocabulary."""
    from arastance.models.saved import check_saved_folder

    folder = resolve_model_folder(path, f"--{task.name}")
    model_config = check_saved_folder(folder)
    found = model_task(model_config, folder)
    if found != task.name:
        raise UserError(f"--{task.name} {path}: that is a {found} model; pass it as --{found}")
    schema = schema_for(folder)
    check_model_config(model_config, schema, task)
    cfg, settings_from = load_settings(folder, task)
    positions = model_config.get("max_position_embeddings")
    settings = from_config(cfg, source=settings_from)
    max_length = settings.model.max_length
    if positions:
        max_length = min(max_length, int(positions))
    return PublishedFolder(task, folder, settings, schema, settings_from, max_length)


def load_published_tokenizer(published: PublishedFolder) -> Any:
    """A LoadedModel with the folder's tokenizer and normaliser and no model: what encoding needs."""
    from arastance.corpus.normalize import get_normalizer
    from arastance.models.factory import LoadedModel
    from arastance.models.loading import load_tokenizer

    tokenizer = load_tokenizer(str(published.folder), True, published.max_length)
    return LoadedModel(tokenizer, None, get_normalizer(published.settings.model.normalization), str(published.folder))


def load_published_model(
    path: Path, task: TaskSpec, device: str = "auto", backend: str = "torch", onnx_variant: str | None = None
) -> TaskModel:
    """Load the model at `path` for `task`, checking that it is one; `backend` auto | torch | onnx |
    openvino as models.variants.choose_backend decides. `onnx_variant` (a name in
    onnx_backend.VARIANTS) loads that exported file whatever its gate says (for measuring the gate,
    and the bench)."""
    from arastance.models.device import choose_runtime
    from arastance.models.onnx_backend import VARIANTS
    from arastance.models.predictor import Predictor, load_saved_predictor
    from arastance.models.variants import choose_backend, exported_model

    published = read_published_folder(path, task)
    folder, settings, schema = published.folder, published.settings, published.schema
    runtime = choose_runtime(settings.trainer.precision, device)
    chosen, variant = (
        (VARIANTS[onnx_variant].backend, onnx_variant)
        if onnx_variant
        else choose_backend(backend, runtime.device.type, folder)
    )
    if chosen != "torch" and variant is not None:
        # The exported graph with the folder's tokenizer: no torch weights loaded (half the memory).
        loaded = replace(load_published_tokenizer(published), model=exported_model(folder, variant))
        predictor = Predictor(loaded, task, settings.inference, schema, variant)
        return TaskModel(task, folder, predictor, settings, published.settings_from, chosen)
    # The precision the model was trained with, on any device that has bf16 (CUDA, AVX512-BF16/AMX CPUs).
    predictor = load_saved_predictor(
        folder, task, settings.model.normalization, published.max_length, settings.inference, schema, runtime
    )
    return TaskModel(task, folder, predictor, settings, published.settings_from)


# --------------------------------------------------------------------------- prediction


def raw_sentence_records(doc_id: str, text: str) -> list[dict[str, Any]]:
    """Word records per sentence, as gold.convert makes them for training (no labels)."""
    from arastance.corpus.segment import split_sentences, tokenize_words

    records = []
    for index, sentence in enumerate(split_sentences(text)):
        tokens = tokenize_words(text, sentence.start, sentence.end)
        records.append(
            {
                "doc_id": doc_id,
                "sentence_id": index,
                "tokens": [t.text for t in tokens],
                "offsets": [[t.start, t.end] for t in tokens],
            }
        )
    return records


def entity_json(entity: dict[str, Any], text: str, schema: Schema) -> dict[str, Any]:
    """An entity of Predictor.records in the output shape; QUANTITY gets its normalised attributes."""
    from arastance.gold.convert import entity_at
    from arastance.gold.model import QUANTITY

    out = {k: entity[k] for k in ("start", "end", "label", "score", "text")}
    if entity["label"] == QUANTITY:
        parsed = entity_at(text, entity["start"], entity["end"], entity["label"], schema)
        out.update(value=parsed.value, unit=parsed.unit, approximate=parsed.approximate)
    return out


def _doc_index(doc_id: str) -> int:
    return int(doc_id[1:])


def _task_records(
    model: TaskModel, records: list[dict[str, Any]], texts: Sequence[str]
) -> tuple[dict[int, dict[str, Any]], list[list[np.ndarray]]]:
    """Predictor.records of one task by document index, and each document's per-unit probabilities
    (NER: one (words, tags) array per sentence), in the order of the document's units."""
    from arastance.features.encode import units_from_records
    from arastance.gold.model import GoldDocument

    probabilities: list[list[np.ndarray]] = [[] for _ in texts]
    units = units_from_records(records, model.task, dict(model.settings.task.context or {}))
    if not units:
        return {}, probabilities
    predictions = model.predictor.predict(units)
    for unit, scores in zip(predictions.units, predictions.scores, strict=True):
        probabilities[_doc_index(unit.doc_id)].append(np.asarray(scores))
    wanted = {u.doc_id for u in units}
    docs = [GoldDocument(f"d{i}", text, "") for i, text in enumerate(texts) if f"d{i}" in wanted]
    return {_doc_index(r["doc_id"]): r for r in model.predictor.records(predictions, docs)}, probabilities


def empty_doc_stance(model: TaskModel) -> str:
    """The document stance of a document without sentences, by the configured rule (NONE)."""
    from arastance.features.predictions import aggregate_document_stance

    classes = model.schema.stance_classes
    return aggregate_document_stance(
        np.zeros((0, len(classes))), classes, model.settings.task.doc_aggregation, model.settings.task.doc_threshold
    )


def predict_documents(
    texts: Sequence[str], ner: TaskModel | None = None, stance: TaskModel | None = None
) -> list[dict[str, Any]]:
    """One result per text: {"entities", "sentences", "doc_stance"}; a task without a model gives None.

    All texts go through the model together, so batches mix documents and are sorted by length.
    """
    return predict_documents_with_word_probabilities(texts, ner, stance)[0]


def predict_documents_with_word_probabilities(
    texts: Sequence[str], ner: TaskModel | None = None, stance: TaskModel | None = None
) -> tuple[list[dict[str, Any]], list[list[np.ndarray]] | None]:
    """predict_documents' results, and per text the NER model's (words, tags) probabilities of each
    sentence (None without an NER model) from the same pass, for uncertainty ranking."""
    first_model = ner if ner is not None else stance
    if first_model is None:
        raise UserError("give at least one model: --ner DIR and/or --stance DIR")
    records = [r for i, text in enumerate(texts) for r in raw_sentence_records(f"d{i}", text)]
    results: list[dict[str, Any]] = [{"entities": None, "sentences": None, "doc_stance": None} for _ in texts]
    add_unknown_word_warnings(records, results, first_model)
    word_probabilities = None
    if ner is not None:
        by_doc, word_probabilities = _task_records(ner, records, texts)
        for i, text in enumerate(texts):
            entities = by_doc[i]["entities"] if i in by_doc else []
            results[i]["entities"] = [entity_json(e, text, ner.schema) for e in entities]
    if stance is not None:
        by_doc, _ = _task_records(stance, records, texts)
        for i in range(len(texts)):
            record = by_doc.get(i)
            results[i]["sentences"] = (
                [{k: s[k] for k in ("start", "end", "stance", "scores")} for s in record["sentences"]] if record else []
            )
            results[i]["doc_stance"] = record["doc_stance"] if record else empty_doc_stance(stance)
        add_holders(texts, results)
    return results, word_probabilities


def add_unknown_word_warnings(
    records: Sequence[dict[str, Any]], results: list[dict[str, Any]], model: TaskModel
) -> None:
    """`warnings` on the result of each document whose words the model mostly does not know (predict/unknown.py)."""
    from arastance.predict.unknown import unknown_words_warning, warning_threshold

    threshold = warning_threshold()
    words: list[list[str]] = [[] for _ in results]
    for record in records:
        words[_doc_index(record["doc_id"])] += record["tokens"]
    for result, doc_words in zip(results, words, strict=True):
        warning = unknown_words_warning(doc_words, model.loaded, threshold)
        if warning is not None:
            result["warnings"] = [warning]


def add_holders(texts: Sequence[str], results: list[dict[str, Any]]) -> None:
    """`holder` on every predicted sentence (holders/rules.py; from the predicted entities when NER ran)."""
    from arastance.holders.base import holder_json, sentence_holders
    from arastance.holders.rules import RuleHolders, load_rules

    rules = load_rules()
    for text, result in zip(texts, results, strict=True):
        sentences = result["sentences"]
        spans = [(s["start"], s["end"], s["stance"]) for s in sentences]
        holders = sentence_holders(text, spans, result["entities"] or [], RuleHolders(rules), rules.no_stance)
        for sentence, holder in zip(sentences, holders, strict=True):
            sentence["holder"] = holder_json(holder)
