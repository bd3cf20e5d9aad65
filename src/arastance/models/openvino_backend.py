"""OpenVINO on the CPU: NNCF's post-training static int8 of the exported ONNX graph, and running it.

The published folder gets openvino/model-int8.xml (+ .bin): the fp32 ONNX graph (onnx/model.onnx)
with int8 quantisation that NNCF calibrated on the gold sentences (weights and activations of the
MatMuls its transformer scheme picks; softmax, LayerNorm and GELU stay in float). openvino/compile.json holds the
compile properties the gate measured it with (the float parts in bf16 where the CPU has AVX512-BF16 or AMX)
and the batch width multiple; prediction runs it with the same ones, so what runs is what was gated
(onnx/gate.json).

Why a width multiple for this runtime only: OpenVINO prepares its kernels for each new input shape
(rows × width), ~60–90 ms on 2 cores for BERT-base, and token-budget batches of sentences padded only
to their longest rarely repeat a shape; rounding widths up to 8 makes shapes repeat. ONNX Runtime has
no per-shape cost, so for it the padding is only extra work (README, prediction).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from arastance.errors import UserError
from arastance.models.onnx_backend import ExportedModel
from arastance.writer import write_json

COMPILE_FILE = "compile.json"
NOT_INSTALLED = (
    "the openvino backend needs openvino (and nncf to export): pip install 'arastance[openvino]' "
    "(or use --backend torch)"
)


def openvino_available(for_export: bool = False) -> bool:
    """openvino runs the variant; exporting it also needs nncf (the quantiser)."""
    try:
        import openvino  # noqa: F401  (imported only to see whether it is installed)

        if for_export:
            import nncf  # noqa: F401  (likewise)
    except ImportError:
        return False
    return True


def require_openvino(for_export: bool = False) -> None:
    if not openvino_available(for_export):
        raise UserError(NOT_INSTALLED)


def compile_properties(inference_precision: str, threads: int) -> dict[str, Any]:
    """One stream at the latency hint: batches come one after another, so all threads serve each one."""
    properties: dict[str, Any] = {
        "INFERENCE_PRECISION_HINT": inference_precision,
        "PERFORMANCE_HINT": "LATENCY",
        "NUM_STREAMS": 1,
    }
    if threads > 0:
        properties["INFERENCE_NUM_THREADS"] = threads
    return properties


def quantize_static_int8(
    fp32_onnx: Path,
    target: Path,
    calibration: Sequence[dict[str, np.ndarray]],
    inference_precision: str,
    pad_to_multiple_of: int,
) -> Path:
    """NNCF post-training int8 of the fp32 ONNX graph, calibrated on `calibration` (model feeds), saved
    as OpenVINO IR; the float weights stay fp32 on disk (no fp16 compression: equal output first)."""
    import nncf
    import openvino as ov

    model = ov.Core().read_model(str(fp32_onnx))
    # TRANSFORMER: NNCF's scheme for attention models (with SmoothQuant), the one it documents for BERT;
    # its default scheme loses more accuracy on them.
    quantized = nncf.quantize(
        model, nncf.Dataset(list(calibration)), model_type=nncf.ModelType.TRANSFORMER, subset_size=len(calibration)
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(quantized, str(target), compress_to_fp16=False)
    recorded = {"inference_precision": inference_precision, "pad_to_multiple_of": pad_to_multiple_of}
    write_json(target.parent / COMPILE_FILE, recorded)
    return target


def saved_compile_settings(folder: Path) -> dict[str, Any]:
    """openvino/compile.json as exported (and gated); {} if missing or unreadable."""
    try:
        recorded = json.loads((folder / COMPILE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def saved_precision(recorded: dict[str, Any], default: str) -> str:
    """The inference precision the variant was exported (and gated) with; `default` if unrecorded."""
    value = recorded.get("inference_precision")
    return value if isinstance(value, str) else default


def saved_pad_multiple(recorded: dict[str, Any]) -> int | None:
    """The batch width multiple the variant was gated with; None (the inference settings' own) for a
    folder exported before it was recorded, which was gated with those."""
    value = recorded.get("pad_to_multiple_of")
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


class OpenVinoModel(ExportedModel):
    """A compiled OpenVINO model with the interface of models.onnx_backend.ExportedModel."""

    def __init__(self, path: Path, variant: str, threads: int, default_precision: str) -> None:
        import openvino as ov

        super().__init__(path, variant)
        recorded = saved_compile_settings(path.parent)
        self.pad_to_multiple_of = saved_pad_multiple(recorded)
        compiled = ov.Core().compile_model(
            str(path), "CPU", compile_properties(saved_precision(recorded, default_precision), threads)
        )
        self.input_names = {port.get_any_name() for port in compiled.inputs}
        self.request = compiled.create_infer_request()
        self.output = compiled.output("logits")

    def logits(self, batch: dict[str, Any]) -> np.ndarray:
        return self.request.infer(self.feed(batch))[self.output]
