"""Publish-time export and its gate: onnx/*.onnx, openvino/*.xml and onnx/gate.json in the published folder.

Each variant (ONNX Runtime fp32 and dynamic int8; OpenVINO static int8 when openvino and nncf are
installed) predicts the gold documents, and so does the torch path the folder is published with. A
variant passes when its word-level tags (NER; sentence labels for stance) agree with torch's on
≥ min_word_agreement of the words and its headline score against the gold (entity micro-F1; stance
macro-F1) differs from torch's by ≤ max_f1_difference (configs/onnx/export.yaml).
`--backend auto` uses the fastest variant that passed; none passing (or no gold here) keeps torch.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from arastance.errors import UserError
from arastance.models.onnx_backend import (
    GATE_FILE,
    INPUT_NAMES,
    ONNX_DIR,
    VARIANTS,
    ExportSettings,
    export_variants,
    gate_passed,
)
from arastance.settings import checked
from arastance.tasks import TaskSpec
from arastance.writer import write_json

EXPORT_CONFIG = Path("configs") / "onnx" / "export.yaml"


def export_settings() -> ExportSettings:
    """configs/onnx/export.yaml of the project, checked by its fields' rules (settings.py), else the
    defaults (an installed package without configs/)."""
    import yaml

    from arastance.paths import project_root

    path = project_root() / EXPORT_CONFIG
    if not path.is_file():
        return ExportSettings()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise UserError(f"{path}: not a valid export config ({err})") from None
    return checked(ExportSettings, raw, source=str(path))


def flat_labels(labels: Sequence[Any], per_word: bool) -> list[str]:
    return [tag for tags in labels for tag in tags] if per_word else list(labels)


def agreement(reference: Sequence[Any], candidate: Sequence[Any], per_word: bool) -> float:
    """Share of words (NER) or sentences (stance) that get the same label from both backends."""
    ref, cand = flat_labels(reference, per_word), flat_labels(candidate, per_word)
    if len(ref) != len(cand):
        raise ValueError(f"the backends labelled {len(ref)} and {len(cand)} items")
    return sum(a == b for a, b in zip(ref, cand, strict=True)) / len(ref) if ref else 1.0


def gold_units(task: TaskSpec, context: dict[str, Any]) -> list[Any]:
    """The project's gold documents as units with their gold labels; [] when the gold is not here."""
    from arastance.features.encode import units_from_records
    from arastance.gold.convert import to_records
    from arastance.gold.io import read_gold_dir
    from arastance.paths import documents_dir, gold_dir

    if not gold_dir().is_dir() or not any(gold_dir().iterdir()):
        return []
    loaded = read_gold_dir(gold_dir(), documents_dir() if documents_dir().is_dir() else None)
    return units_from_records(to_records([item.doc for item in loaded.documents]), task, context)


def headline_score(predictions: Any, model: Any) -> float:
    from arastance.scoring.metrics import score_predictions

    spec = predictions.spec
    return spec.headline_value(score_predictions(predictions, model.settings.task, model.schema, [])[spec.name])


def timed_predictions(model: Any, units: list[Any]) -> tuple[Any, float]:
    model.predictor.predict(units[:8])  # warm-up
    started = time.perf_counter()
    predictions = model.predictor.predict(units)
    return predictions, time.perf_counter() - started


def measure_gate(folder: Path, task: TaskSpec, variants: Sequence[str], settings: ExportSettings) -> dict[str, Any]:
    """gate.json's content for the model in `folder` (torch reference and each ONNX variant)."""
    from arastance.predict.documents import load_published_model

    torch_model = load_published_model(folder, task, "cpu", "torch")
    units = gold_units(task, dict(torch_model.settings.task.context or {}))
    limits = {"min_word_agreement": settings.min_word_agreement, "max_f1_difference": settings.max_f1_difference}
    if not units:
        return {
            "task": task.name,
            "limits": limits,
            "units": 0,
            "note": "no gold documents here: the gate was not measured",
            "variants": {},
        }
    per_word = task.per_word
    reference, torch_seconds = timed_predictions(torch_model, units)
    reference_score = headline_score(reference, torch_model)
    out: dict[str, Any] = {
        "task": task.name,
        "limits": limits,
        "units": len(units),
        "words": len(flat_labels(reference.labels, per_word)) if per_word else None,
        "torch": {"precision": torch_model.precision, "score": reference_score, "seconds": torch_seconds},
        "score_name": task.headline_name,
        "variants": {},
    }
    for variant in variants:
        model = load_onnx_variant(folder, task, variant)
        predictions, seconds = timed_predictions(model, units)
        agree = agreement(reference.labels, predictions.labels, per_word)
        score = headline_score(predictions, model)
        out["variants"][variant] = {
            "agreement": agree,
            "score": score,
            "score_difference": abs(score - reference_score),
            "seconds": seconds,
            "passed": gate_passed(agree, abs(score - reference_score), settings),
        }
    return out


def load_onnx_variant(folder: Path, task: TaskSpec, variant: str) -> Any:
    """A TaskModel on one named exported variant (ONNX Runtime or OpenVINO), whatever the gate says
    (the gate is being measured); the torch weights are not loaded."""
    from arastance.predict.documents import load_published_model

    return load_published_model(folder, task, "cpu", onnx_variant=variant)


def calibration_feeds(folder: Path, task: TaskSpec, limit: int, pad_to_multiple_of: int) -> list[dict[str, np.ndarray]]:
    """Static quantisation's calibration data: the batches prediction feeds the model for the gold
    documents (the same windows, lengths and padding), at most `limit`; [] without the gold here."""
    from arastance.models.predictor import Predictor
    from arastance.predict.documents import load_published_tokenizer, read_published_folder

    published = read_published_folder(folder, task)  # the tokenizer and settings: no model, no runtime session
    units = gold_units(task, dict(published.settings.task.context or {}))
    # The prediction path with no model: it only encodes and batches.
    encoder = Predictor(load_published_tokenizer(published), task, published.settings.inference, published.schema, "")
    batches = itertools.islice(encoder.batches(units, pad_to_multiple_of), limit)
    return [{name: tensor.numpy() for name, tensor in batch.items() if name in INPUT_NAMES} for batch in batches]


def export_openvino(staging: Path, task: TaskSpec, fp32_onnx: Path, settings: ExportSettings) -> dict[str, Path]:
    """openvino/model-int8.xml when asked for and possible; {} (and why, on stderr) otherwise, so the
    publish and the ONNX variants go on without it."""
    from arastance.models.openvino_backend import NOT_INSTALLED, openvino_available, quantize_static_int8

    if not settings.openvino_int8:
        return {}
    if not openvino_available(for_export=True):
        print(f"openvino-int8: not exported ({NOT_INSTALLED})", file=sys.stderr)
        return {}
    feeds = calibration_feeds(
        staging, task, settings.openvino_calibration_batches, settings.openvino_pad_to_multiple_of
    )
    if not feeds:
        print("openvino-int8: not exported (no gold documents here to calibrate it on)", file=sys.stderr)
        return {}
    target = staging / VARIANTS["openvino-int8"].file
    quantized = quantize_static_int8(
        fp32_onnx, target, feeds, settings.openvino_inference_precision, settings.openvino_pad_to_multiple_of
    )
    return {"openvino-int8": quantized}


def export_and_gate(staging: Path, task: TaskSpec, settings: ExportSettings) -> dict[str, Any]:
    """Write onnx/ (and openvino/) and onnx/gate.json into a publish staging folder; returns the gate."""
    from arastance.models.factory import load_saved

    model = load_saved(staging, "arabert_v02", 512).model  # only the weights are exported
    variants = export_variants(model, staging, settings)
    variants |= export_openvino(staging, task, variants["fp32"], settings)
    gate = measure_gate(staging, task, list(variants), settings)
    write_json(staging / ONNX_DIR / GATE_FILE, gate)
    return gate
