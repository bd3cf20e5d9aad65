"""ONNX Runtime on the CPU: export a fine-tuned encoder, optimise and quantise it, and run it.

The published folder gets onnx/model.onnx (fp32; ORT's offline transformer optimiser only with
`optimize: true` in configs/onnx/export.yaml, off since it gave no gain over ORT's load-time fusions),
onnx/model-int8.onnx (dynamic int8 weights, which use VNNI/AMX where the CPU has them) and, with
openvino installed, openvino/model-int8.xml (static int8 from the same fp32 graph). Which variant
`predict` runs is models/variants.py's choice, from the gate measured at publish time against the
torch path (arastance.publish.onnx_gate), recorded for every variant in onnx/gate.json.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from arastance.errors import UserError
from arastance.settings import ExportSettings  # defined with its rules beside every other setting

ONNX_DIR = "onnx"
GATE_FILE = "gate.json"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OPENVINO_DIR = "openvino"  # models/openvino_backend.py; here so that naming the files imports no runtime


@dataclass(frozen=True)
class Variant:
    """An exported graph: the runtime that runs it and its file in the published folder."""

    backend: str  # onnx | openvino
    file: str  # relative to the model folder


# Name (the key in gate.json) → variant; within a backend, the order is the fallback order of an
# explicit `--backend onnx|openvino` without a gate.
VARIANTS = {
    "fp32": Variant("onnx", f"{ONNX_DIR}/model.onnx"),
    "int8": Variant("onnx", f"{ONNX_DIR}/model-int8.onnx"),
    "openvino-int8": Variant("openvino", f"{OPENVINO_DIR}/model-int8.xml"),
}


def onnx_available() -> bool:
    try:
        import onnxruntime  # noqa: F401  (imported only to see whether it is installed)
    except ImportError:
        return False
    return True


NOT_INSTALLED = "the onnx backend needs onnxruntime: pip install 'arastance[onnx]' (or use --backend torch)"


def require_onnx() -> None:
    if not onnx_available():
        raise UserError(NOT_INSTALLED)


# --------------------------------------------------------------------------- export


def logits_module(model: Any) -> Any:
    """The model as a module with named inputs and one output (the logits), as the graph should have."""
    import torch

    class LogitsOnly(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    return LogitsOnly()


def export_fp32(model: Any, path: Path, opset: int) -> Path:
    """The model in fp32 as ONNX, batch and sequence dynamic (eager attention: it traces to plain ops the
    optimiser knows how to fuse)."""
    import copy

    import torch

    fp32 = copy.deepcopy(model).float().eval().cpu()
    if hasattr(fp32, "set_attn_implementation"):
        fp32.set_attn_implementation("eager")
    example = {name: torch.ones((2, 8), dtype=torch.long) for name in INPUT_NAMES}
    example["token_type_ids"] = torch.zeros((2, 8), dtype=torch.long)
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES}
    axes["logits"] = {0: "batch", 1: "sequence"} if _per_token(model) else {0: "batch"}
    path.parent.mkdir(parents=True, exist_ok=True)
    # The tracer's warnings (mask shapes, index ops) are about generality the tests check on padded,
    # mixed-length batches (tests/test_onnx_backend.py); a user cannot act on them.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            logits_module(fp32),
            tuple(example[n] for n in INPUT_NAMES),
            str(path),
            input_names=list(INPUT_NAMES),
            output_names=["logits"],
            dynamic_axes=axes,
            opset_version=opset,
            dynamo=False,
        )
    return path


def _per_token(model: Any) -> bool:
    return type(model).__name__.endswith("ForTokenClassification")


def optimize_graph(path: Path, num_heads: int, hidden_size: int) -> None:
    """ORT's BERT fusions, in place (fused attention, skip-LayerNorm, fast GELU)."""
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(
        str(path), model_type="bert", num_heads=num_heads, hidden_size=hidden_size, opt_level=1, use_gpu=False
    )
    optimized.save_model_to_file(str(path))


def quantize_int8(source: Path, target: Path) -> Path:
    """Dynamic int8 (weights int8, activations quantised per batch): MatMulInteger on VNNI/AMX."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The fused ops (com.microsoft domain) defeat ONNX shape inference; their outputs are fp32.
    quantize_dynamic(
        str(source), str(target), weight_type=QuantType.QInt8, extra_options={"DefaultTensorType": TensorProto.FLOAT}
    )
    return target


def export_variants(model: Any, folder: Path, settings: ExportSettings) -> dict[str, Path]:
    """Write the onnx/ variants into the model folder `folder` (a staging copy); name → path."""
    require_onnx()
    config = model.config
    fp32 = export_fp32(model, folder / VARIANTS["fp32"].file, settings.opset)
    if settings.optimize:
        optimize_graph(fp32, int(config.num_attention_heads), int(config.hidden_size))
    variants = {"fp32": fp32}
    if settings.int8:
        variants["int8"] = quantize_int8(fp32, folder / VARIANTS["int8"].file)
    return variants


# --------------------------------------------------------------------------- running


class ExportedModel:
    """An exported graph on the CPU with the little of a torch model's interface the inference code
    uses (models/inference.py): `logits(batch)` → numpy (batch, [tokens,] labels)."""

    device_type = "cpu"
    input_names: set[str]
    # The batch width multiple this runtime runs fastest with; None: the inference settings' own.
    pad_to_multiple_of: int | None = None

    def __init__(self, path: Path, variant: str) -> None:
        self.path = path
        self.variant = variant

    def feed(self, batch: dict[str, Any]) -> dict[str, np.ndarray]:
        """The batch's tensors that are graph inputs, as the contiguous int64 arrays both runtimes take."""
        return {
            k: np.ascontiguousarray(v.numpy() if hasattr(v, "numpy") else v, dtype=np.int64)
            for k, v in batch.items()
            if k in self.input_names
        }

    def logits(self, batch: dict[str, Any]) -> np.ndarray:
        raise NotImplementedError


class OnnxModel(ExportedModel):
    """An ONNX Runtime session."""

    def __init__(self, path: Path, variant: str, threads: int = 0) -> None:
        import onnxruntime as ort

        super().__init__(path, variant)

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads > 0:
            options.intra_op_num_threads = threads
        # The same wait policy as torch's OpenMP threads (models/threads.py): passive ones sleep between
        # parallel sections instead of spinning on a core another process needs.
        spin = os.environ.get("OMP_WAIT_POLICY", "").upper() == "ACTIVE"
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}

    def logits(self, batch: dict[str, Any]) -> np.ndarray:
        return self.session.run(["logits"], self.feed(batch))[0]


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted, dtype=np.float32)
    return exp / exp.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------------- the gate


def gate_passed(word_agreement: float, f1_difference: float, settings: ExportSettings) -> bool:
    return word_agreement >= settings.min_word_agreement and f1_difference <= settings.max_f1_difference


def threads_for_session() -> int:
    """The torch thread count the process chose (threads.apply_thread_policy), so both backends agree."""
    value = os.environ.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() else 0
