"""Load a tokenizer and a task model with the real `from_pretrained` code, failing fast when offline.

`transformers` retries an unreachable hub for 20-50 s before failing; a user on a GPU box without
network (or with a typo in the model id) deserves an answer in seconds that says what to do. We try
the local cache first, then check that the hub answers at all, and only then download.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from arastance.errors import UserError
from arastance.hub import hub_reachable
from arastance.hub import offline as _offline
from arastance.tasks import get_task


def quiet_libraries() -> None:
    """Library chatter (weight-load reports, shard progress bars, per-file save logs) hides our own log."""
    import logging

    import transformers

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    logging.getLogger("accelerate").setLevel(logging.WARNING)


def _unreachable_message(name: str, reason: str) -> str:
    return (
        f"cannot load model {name!r}: {reason}. "
        f"Either download it once where the hub is reachable (`hf download {name}`) and copy the "
        "Hugging Face cache (~/.cache/huggingface) here, or point the config at a local copy "
        f"(`model.pretrained=/path/to/{name.split('/')[-1]}`), or run offline with the project's own "
        "tiny model (`model=tiny`)."
    )


def resolve_pretrained(name: str, connect_timeout_s: float) -> tuple[str, bool]:
    """Return (name_or_path, local_files_only) for from_pretrained, or raise a UserError at once."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser()), True
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(name, "config.json")
    if isinstance(cached, str):
        return name, True
    if _offline():
        raise UserError(_unreachable_message(name, "it is not in the local cache and HF_HUB_OFFLINE is set"))
    if not hub_reachable(connect_timeout_s):
        raise UserError(
            _unreachable_message(name, f"the Hugging Face hub did not answer within {connect_timeout_s:g} s")
        )
    return name, False


def load_tokenizer(name_or_path: str, local_only: bool, model_max_length: int) -> Any:
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path, local_files_only=local_only)
    except OSError as err:
        raise UserError(_unreachable_message(name_or_path, f"the tokenizer could not be loaded ({err})")) from err
    # AraBERT's tokenizer config lacks model_max_length; without it truncation silently does nothing.
    tokenizer.model_max_length = model_max_length
    return tokenizer


def load_task_model(
    name_or_path: str, local_only: bool, task: str, id2label: dict[int, str], ignore_mismatched_sizes: bool = False
) -> Any:
    """The task model; `ignore_mismatched_sizes` when the caller re-initialises a label head of another size."""
    import transformers

    model_class = getattr(transformers, get_task(task).model_class)
    try:
        return model_class.from_pretrained(
            name_or_path,
            local_files_only=local_only,
            num_labels=len(id2label),
            id2label=dict(id2label),
            label2id={label: i for i, label in id2label.items()},
            ignore_mismatched_sizes=ignore_mismatched_sizes,
        )
    except OSError as err:
        raise UserError(_unreachable_message(name_or_path, f"the model could not be loaded ({err})")) from err
