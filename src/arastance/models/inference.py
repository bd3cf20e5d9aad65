"""Batched forward passes over encoded windows, shared by training-time evaluation, `evaluate` and `predict`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from typing import Any

import numpy as np
import torch

from arastance.features.batching import BatchingConfig, collate, plan_batches
from arastance.features.encode import Window, pool_unit_scores, stitch_word_scores
from arastance.models.device import bf16_supported
from arastance.models.onnx_backend import ExportedModel, softmax
from arastance.models.threads import rebalance_threads
from arastance.tasks import TaskSpec


def model_device_type(model: Any) -> str:
    """ "cpu" / "cuda" for a torch model; an exported one (ONNX Runtime, OpenVINO) runs on the CPU."""
    if isinstance(model, ExportedModel):
        return model.device_type
    return next(model.parameters()).device.type


def model_pad_multiple(model: Any) -> int | None:
    """The batch width multiple an exported model runs fastest with; None: the inference settings'."""
    return model.pad_to_multiple_of if isinstance(model, ExportedModel) else None


def batch_probabilities(model: Any, batch: dict[str, torch.Tensor], precision: str) -> np.ndarray:
    """Softmax over the labels of one padded batch, from either backend, as float32 numpy."""
    if isinstance(model, ExportedModel):
        return softmax(model.logits(batch))
    device = next(model.parameters()).device
    batch = {k: v.to(device) for k, v in batch.items()}
    with autocast_context(model, precision):
        logits = model(**batch).logits
    return torch.softmax(logits.float(), dim=-1).cpu().numpy()


def autocast_context(model: Any, precision: str) -> Any:
    """Autocast a model that still holds fp32 weights (the live model during training); a model
    already cast by `prepare_for_inference` runs as it is."""
    parameter = next(model.parameters())
    if precision == "bf16" and parameter.dtype == torch.float32 and bf16_supported(parameter.device):
        return torch.autocast(device_type=parameter.device.type, dtype=torch.bfloat16)
    return nullcontext()


def prepare_for_inference(model: Any, precision: str) -> Any:
    """Evaluation mode, and bf16 weights when bf16 is asked for and the device has it: autocast would
    re-cast every weight matrix on every forward pass, which costs a third of CPU prediction time."""
    model.eval()
    if precision == "bf16" and bf16_supported(next(model.parameters()).device):
        model.to(torch.bfloat16)
    return model


@torch.inference_mode()
def window_scores(
    model: Any,
    windows: Sequence[Window],
    pad_token_id: int,
    batching: BatchingConfig,
    task: TaskSpec,
    precision: str = "fp32",
    progress: bool = False,
) -> list[np.ndarray]:
    """Softmax scores per window: (tokens, labels) for NER, (labels,) for stance. Order of `windows`."""
    if not windows:
        return []
    per_word = task.per_word
    if not isinstance(model, ExportedModel):
        model.eval()
    lengths = [len(w) for w in windows]
    out: list[np.ndarray | None] = [None] * len(windows)
    for batch_indices, batch in padded_batches(windows, pad_token_id, batching, task, progress):
        probs = batch_probabilities(model, batch, precision)
        for row, index in enumerate(batch_indices):
            out[index] = probs[row, : lengths[index]] if per_word else probs[row]
    return [o for o in out if o is not None]


def padded_batches(
    windows: Sequence[Window], pad_token_id: int, batching: BatchingConfig, task: TaskSpec, progress: bool = False
) -> Iterator[tuple[list[int], dict[str, torch.Tensor]]]:
    """(window indices, model inputs) of each batch prediction runs, in order: length-sorted, no labels.
    Static quantisation calibrates on exactly these (publish/onnx_gate.py)."""
    batches = plan_batches([len(w) for w in windows], batching, seed=0, epoch=0, shuffle=False)
    iterator: Any = batches
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(batches, desc="predict", unit="batch")
    for batch_indices in iterator:
        rebalance_threads()  # evaluation and prediction forwards adapt to load that arrives mid-run too
        batch = collate([windows[i] for i in batch_indices], pad_token_id, batching.pad_to_multiple_of, task)
        batch.pop("labels", None)
        yield batch_indices, batch


def unit_scores(
    windows: Sequence[Window], scores: Sequence[np.ndarray], n_words: Sequence[int], task: TaskSpec
) -> list[np.ndarray]:
    """Window scores → per unit: (words, labels) for NER, (labels,) for stance."""
    if task.per_word:
        return stitch_word_scores(windows, scores, n_words)
    return list(pool_unit_scores(windows, scores, len(n_words)))
