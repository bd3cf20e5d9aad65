"""Which exported variant `predict` runs (`--backend auto|torch|onnx|openvino`), and opening it.

Its own module so that the runtimes' modules never import back: openvino_backend.py builds on
onnx_backend.py's ExportedModel, this chooser imports both, and onnx_backend.py imports neither.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from arastance.errors import UserError
from arastance.models import openvino_backend
from arastance.models.onnx_backend import (
    GATE_FILE,
    NOT_INSTALLED,
    ONNX_DIR,
    VARIANTS,
    ExportedModel,
    ExportSettings,
    OnnxModel,
    onnx_available,
    threads_for_session,
)

RUNTIMES = ("onnx", "openvino")
BACKENDS = ("auto", "torch", *RUNTIMES)


def installed_runtimes() -> set[str]:
    available = (("onnx", onnx_available()), ("openvino", openvino_backend.openvino_available()))
    return {name for name, ok in available if ok}


def not_installed_message(backend: str) -> str:
    return openvino_backend.NOT_INSTALLED if backend == "openvino" else NOT_INSTALLED


def no_export_message(backend: str, where: str) -> str:
    """A folder published without `backend`'s export: re-publishing exports it; installing nothing here helps."""
    files = ", ".join(v.file for v in VARIANTS.values() if v.backend == backend)
    extra = (
        " with the openvino extra installed (it exports the OpenVINO variant only then)"
        if backend == "openvino"
        else ""
    )
    return (
        f"{where} has no {backend} export (none of {files}): it was published without it; publish it again with "
        f"`arastance publish --onnx yes`{extra}, or use --backend torch"
    )


def read_gate(model_folder: Path) -> dict[str, Any] | None:
    path = model_folder / ONNX_DIR / GATE_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None  # an unreadable gate is no gate: auto stays on torch
    return data if isinstance(data, dict) else None


def gated_variant(gate: dict[str, Any] | None, present: Collection[str]) -> str | None:
    """The fastest variant that passed its gate, is on disk and was faster than torch at export; else None."""
    if not gate:
        return None
    torch_seconds = float((gate.get("torch") or {}).get("seconds", float("inf")))
    passed = [
        (float(v["seconds"]), name)
        for name, v in (gate.get("variants") or {}).items()
        if isinstance(v, dict)
        and v.get("passed") is True
        and name in present
        and isinstance(v.get("seconds"), (int, float))
    ]
    fastest = min(passed, default=None)
    return fastest[1] if fastest and fastest[0] < torch_seconds else None


def present_variants(folder: Path) -> list[str]:
    return [name for name, variant in VARIANTS.items() if (folder / variant.file).is_file()]


def decide_backend(
    requested: str,
    device_type: str,
    gate: dict[str, Any] | None,
    present: Sequence[str],
    installed: Collection[str],
    where: str = "the model folder",
) -> tuple[str, str | None]:
    """(backend, variant) for `--backend auto|torch|onnx|openvino`; pure (choose_backend reads the
    folder). `installed`: the runtimes whose package is importable (installed_runtimes).

    auto: an exported variant only on the CPU, only with its runtime installed and its gate passed at
    export (and faster than torch there): the fastest such; torch otherwise. onnx / openvino: that
    runtime's fastest gated variant, else its first on disk. A folder without that runtime's export
    says so before asking for its package: installing it would not help.
    """
    if requested not in BACKENDS:
        raise UserError(f"--backend {requested!r}: use {', '.join(BACKENDS)}")
    if requested == "torch":
        return "torch", None
    if requested == "auto":
        variant = gated_variant(gate, [name for name in present if VARIANTS[name].backend in installed])
        return (VARIANTS[variant].backend, variant) if device_type == "cpu" and variant else ("torch", None)
    if device_type != "cpu":
        raise UserError(f"--backend {requested} runs on the CPU only; add --device cpu or use --backend torch")
    own = [name for name in present if VARIANTS[name].backend == requested]
    if not own:
        raise UserError(no_export_message(requested, where))
    if requested not in installed:
        raise UserError(not_installed_message(requested))
    return requested, gated_variant(gate, own) or own[0]


def choose_backend(requested: str, device_type: str, folder: Path) -> tuple[str, str | None]:
    return decide_backend(
        requested, device_type, read_gate(folder), present_variants(folder), installed_runtimes(), str(folder)
    )


def exported_model(folder: Path, variant: str) -> ExportedModel:
    """The runtime session of one variant in a model folder, at the process's thread count."""
    path = folder / VARIANTS[variant].file
    if VARIANTS[variant].backend == "openvino":
        return openvino_backend.OpenVinoModel(
            path, variant, threads_for_session(), ExportSettings().openvino_inference_precision
        )
    return OnnxModel(path, variant, threads_for_session())
