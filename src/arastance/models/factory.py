"""Build the (tokenizer, task model, word normaliser) triple for a model config."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arastance.corpus.normalize import get_normalizer
from arastance.errors import UserError
from arastance.models.loading import load_task_model, load_tokenizer, resolve_pretrained
from arastance.models.tiny import ensure_tiny_model
from arastance.settings import ModelSettings
from arastance.tasks import task_of_architecture


@dataclass
class LoadedModel:
    tokenizer: Any
    model: Any
    normalize: Callable[[str], str]
    source: str  # hub id or local folder the weights came from


def resolve_model_source(model: ModelSettings, cache_dir: str | Path, corpus_texts: Sequence[str]) -> tuple[str, bool]:
    """(name_or_path, local_files_only) for the configured model; builds the tiny model if needed."""
    if model.tiny:
        normalize = get_normalizer(model.normalization)
        spec = {**dict(model.tiny), "normalization": model.normalization}
        return str(ensure_tiny_model(Path(cache_dir), spec, corpus_texts, normalize)), True
    return resolve_pretrained(str(model.pretrained), float(model.connect_timeout_s))


def load_for_task(model: ModelSettings, task: str, id2label: dict[int, str], cache_dir: str | Path, corpus_texts: Sequence[str]) -> LoadedModel:
    source, local_only = resolve_model_source(model, cache_dir, corpus_texts)
    tokenizer = load_tokenizer(source, local_only, model.max_length)
    task_model = load_task_model(source, local_only, task, id2label)
    return LoadedModel(tokenizer, task_model, get_normalizer(model.normalization), source)


def load_saved(folder: str | Path, normalization: str, max_length: int) -> LoadedModel:
    """A fine-tuned model saved with save_pretrained (best/ or a published folder).

    The folder is checked first (models/saved.py): a missing tokenizer, a corrupt config.json or a
    truncated weights file is a UserError naming the file, never a model that predicts from defaults.
    """
    import transformers

    from arastance.models.saved import RECOVER, check_saved_folder

    config = check_saved_folder(Path(folder))
    architecture = (config.get("architectures") or ["AutoModelForTokenClassification"])[0]
    model_class = getattr(transformers, task_of_architecture(str(architecture)).model_class)
    try:
        model = model_class.from_pretrained(folder)
    except Exception as err:  # noqa: BLE001 - whatever the weights' reader raises, the cause is the user's folder
        raise UserError(f"{folder}: the saved model cannot be loaded ({type(err).__name__}: {err}); {RECOVER}") from None
    tokenizer = load_tokenizer(str(folder), True, max_length)
    return LoadedModel(tokenizer, model, get_normalizer(normalization), str(folder))
