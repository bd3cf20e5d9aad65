"""Checks of a saved model folder (a run's best/ or a published folder) before `from_pretrained` reads it.

`transformers` is lenient where we cannot be: a folder without its tokenizer files loads a BERT
tokenizer with a 5-token default vocabulary (every word `[UNK]`, predictions that look normal), and
a truncated weights file or a corrupt config.json fails deep inside safetensors or json with a
message that names neither the file nor what to do. Each check here names the file and the cause.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from arastance.errors import UserError

CONFIG_FILE = "config.json"
# Any one of these holds a vocabulary; tokenizer.json is what save_pretrained writes for fast tokenizers.
VOCABULARY_FILES = (
    "tokenizer.json",
    "vocab.txt",
    "vocab.json",
    "spiece.model",
    "sentencepiece.bpe.model",
    "tokenizer.model",
)
WEIGHT_FILES = (
    "model.safetensors",
    "pytorch_model.bin",
    "model.safetensors.index.json",
    "pytorch_model.bin.index.json",
)
SAFETENSORS_LENGTH_BYTES = 8  # the file starts with the header length, a little-endian u64

RECOVER = (
    "copy the folder again from the training run's best/ (a fold's, for cross-validation) or re-run `arastance publish`"
)


def read_model_config(folder: Path) -> dict[str, Any]:
    """The folder's config.json as a dict, or a UserError naming the file and what is wrong with it."""
    path = Path(folder) / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: missing; a saved model folder needs its config.json ({RECOVER})") from None
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not UTF-8 (byte offset {err.start}); the file is corrupt ({RECOVER})") from None
    except OSError as err:
        raise UserError(f"{path}: cannot read: {err.strerror or err}") from None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as err:
        raise UserError(
            f"{path}: not valid JSON ({err.msg} at line {err.lineno}, column {err.colno}); the file is corrupt "
            f"({RECOVER})"
        ) from None
    if not isinstance(config, dict):
        raise UserError(f"{path}: holds a JSON {type(config).__name__}, not the object of a model config ({RECOVER})")
    return config


def check_tokenizer_files(folder: Path) -> None:
    """Refuse a folder whose tokenizer would silently fall back to a default vocabulary."""
    if not any((Path(folder) / name).is_file() for name in VOCABULARY_FILES):
        raise UserError(
            f"{folder}: no tokenizer files (none of {', '.join(VOCABULARY_FILES)}; save_pretrained writes "
            f"tokenizer.json and tokenizer_config.json); without them every word would be [UNK] ({RECOVER})"
        )


def safetensors_problem(path: Path) -> str | None:
    """Why a .safetensors file is not whole (None when its header and size agree).

    The header lists every tensor's byte range, so a file cut short is found without loading it.
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        prefix = handle.read(SAFETENSORS_LENGTH_BYTES)
        if len(prefix) < SAFETENSORS_LENGTH_BYTES:
            return f"{size} bytes, too short to be a safetensors file"
        (header_length,) = struct.unpack("<Q", prefix)
        if SAFETENSORS_LENGTH_BYTES + header_length > size:
            return (
                f"truncated or not a safetensors file: its header alone claims {header_length} bytes of a {size}-byte "
                "file"
            )
        try:
            header = json.loads(handle.read(header_length))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return "corrupt safetensors header (not JSON)"
    ends = [
        int(entry["data_offsets"][1])
        for key, entry in header.items()
        if key != "__metadata__" and isinstance(entry, dict) and "data_offsets" in entry
    ]
    expected = SAFETENSORS_LENGTH_BYTES + header_length + max(ends, default=0)
    if size < expected:
        return f"truncated: {size} bytes, its header says {expected}"
    return None


def check_weight_files(folder: Path) -> None:
    """Refuse a folder without weights or with a safetensors file cut short (an interrupted copy or download)."""
    folder = Path(folder)
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        raise UserError(f"{folder}: no model weights (none of {', '.join(WEIGHT_FILES)}) ({RECOVER})")
    for path in sorted(folder.glob("*.safetensors")):
        problem = safetensors_problem(path)
        if problem:
            raise UserError(f"{path}: {problem} ({RECOVER})")


def check_saved_folder(folder: Path) -> dict[str, Any]:
    """Every check above, config first; returns the config so that callers read it only once."""
    config = read_model_config(folder)
    check_weight_files(folder)
    check_tokenizer_files(folder)
    return config
