"""Build the (tokenizer, task model, word normaliser) triple for a model config.

`model.pretrained` names where training starts from: a hub id, a local copy of a hub model, a
published folder, or a run's model (`RUN/best`, `RUN` for a single-split run, a fold's `best/`).
It wins over building the tiny model: `model=tiny model.pretrained=RUN/best` continues from a saved
tiny model (the second stage of the two-stage recipe), as a user who names a folder expects.

A fine-tuned starting point keeps its label head when its labels are the schema's (same task, same
`id2label`); otherwise the head is re-initialised with a warning and only the encoder is reused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arastance.corpus.normalize import get_normalizer
from arastance.errors import UserError
from arastance.models.loading import load_task_model, load_tokenizer, resolve_pretrained
from arastance.models.saved import CONFIG_FILE, RECOVER, check_saved_folder, read_model_config
from arastance.models.tiny import ensure_tiny_model
from arastance.phases import timed_phase
from arastance.settings import NO_MODEL_SOURCE, ModelSettings
from arastance.tasks import task_of_architecture

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    tokenizer: Any
    model: Any
    normalize: Callable[[str], str]
    source: str  # hub id or local folder the weights came from


def looks_like_a_path(name: str) -> bool:
    """A hub id is `NAME` or `OWNER/NAME`; anything else (`/abs`, `./rel`, `~/x`, `runs/x/best`) is a path."""
    return name.startswith(("/", ".", "~")) or name.count("/") > 1


def pretrained_folder(path: Path) -> Path:
    """The folder holding the model's config.json. `arastance train` has already resolved a run folder
    to its model (or refused it by name, runs/state.py); here any other folder is "not a model folder"."""
    if (Path(path) / CONFIG_FILE).is_file():
        return Path(path)
    raise UserError(
        f"model.pretrained={path}: not a model folder (no {CONFIG_FILE}); give a run's best/ "
        "folder, a folder written by `arastance publish`, or a hub id (OWNER/NAME)"
    )


def resolve_model_source(model: ModelSettings, cache_dir: str | Path, corpus_texts: Sequence[str]) -> tuple[str, bool]:
    """(name_or_path, local_files_only) for the configured model; builds the tiny model if needed."""
    if model.pretrained:
        name = str(model.pretrained)
        path = Path(name).expanduser()
        if path.is_dir():
            return str(pretrained_folder(path)), True
        if looks_like_a_path(name):
            raise UserError(
                f"model.pretrained={name}: no such folder. Give an existing folder (a run's best/, e.g. "
                "model.pretrained=outputs/ner-stage1/best, or a published model) or a hub id (OWNER/NAME)"
            )
        return resolve_pretrained(name, float(model.connect_timeout_s))
    if model.tiny:
        normalize = get_normalizer(model.normalization)
        spec = {**dict(model.tiny), "normalization": model.normalization}
        return str(ensure_tiny_model(Path(cache_dir), spec, corpus_texts, normalize)), True
    raise UserError(NO_MODEL_SOURCE)  # settings.py refuses such a config up front; direct callers land here


def trained_labels(model_config: Mapping[str, Any]) -> tuple[str, dict[int, str]] | None:
    """(task, id2label) of a fine-tuned token/sequence classifier's config.json; None for a base model."""
    architectures = model_config.get("architectures") or []
    if not architectures:
        return None
    try:
        task = task_of_architecture(str(architectures[0])).name
    except UserError:  # a base model (e.g. BertForMaskedLM): it has no label head to keep
        return None
    return task, {int(k): str(v) for k, v in (model_config.get("id2label") or {}).items()}


def head_mismatch(
    source_labels: tuple[str, dict[int, str]] | None, task: str, id2label: Mapping[int, str]
) -> str | None:
    """Why a starting point's label head cannot be kept for `task` with the schema's `id2label`, or None."""
    if source_labels is None:
        return None
    source_task, source_id2label = source_labels
    if source_task != task:
        return f"it is a {source_task} model and this run trains {task}"
    if source_id2label != dict(id2label):
        ours = [id2label[i] for i in sorted(id2label)]
        theirs = [source_id2label[i] for i in sorted(source_id2label)]
        return f"its labels {theirs} differ from the schema's {ours} (in names or order)"
    return None


def reset_label_head(task_model: Any) -> None:
    """Fresh classifier weights, drawn as the model's own initialisation draws them."""
    import torch

    head = task_model.classifier
    torch.nn.init.normal_(head.weight, mean=0.0, std=float(task_model.config.initializer_range))
    torch.nn.init.zeros_(head.bias)


@timed_phase("model_build")
def load_for_task(
    model: ModelSettings, task: str, id2label: dict[int, str], cache_dir: str | Path, corpus_texts: Sequence[str]
) -> LoadedModel:
    source, local_only = resolve_model_source(model, cache_dir, corpus_texts)
    # A hub id resolved into the cache, or a local folder: a fine-tuned one may have a head to keep.
    source_labels = trained_labels(read_model_config(Path(source))) if (Path(source) / CONFIG_FILE).is_file() else None
    mismatch = head_mismatch(source_labels, task, id2label)
    tokenizer = load_tokenizer(source, local_only, model.max_length)
    task_model = load_task_model(source, local_only, task, id2label, ignore_mismatched_sizes=mismatch is not None)
    if mismatch is not None:
        reset_label_head(task_model)
        log.warning(
            "model.pretrained=%s: %s, so its label head is re-initialised (the encoder is kept)", source, mismatch
        )
    elif source_labels is not None:
        log.info("model.pretrained=%s: its %s labels are the schema's, label head kept", source, task)
    return LoadedModel(tokenizer, task_model, get_normalizer(model.normalization), source)


@timed_phase("model_load")
def load_saved(folder: str | Path, normalization: str, max_length: int) -> LoadedModel:
    """A fine-tuned model saved with save_pretrained (best/ or a published folder).

    The folder is checked first (models/saved.py): a missing tokenizer, a corrupt config.json or a
    truncated weights file is a UserError naming the file, never a model that predicts from defaults.
    """
    import transformers

    config = check_saved_folder(Path(folder))
    architecture = (config.get("architectures") or ["AutoModelForTokenClassification"])[0]
    model_class = getattr(transformers, task_of_architecture(str(architecture)).model_class)
    try:
        model = model_class.from_pretrained(folder)
    except Exception as err:
        raise UserError(
            f"{folder}: the saved model cannot be loaded ({type(err).__name__}: {err}); {RECOVER}"
        ) from None
    tokenizer = load_tokenizer(str(folder), True, max_length)
    return LoadedModel(tokenizer, model, get_normalizer(normalization), str(folder))
