"""Where a model runs and in which precision: one rule for training, evaluation, prediction and the bench.

The device is CUDA when there is one (or the one asked for), else the CPU. The precision is bf16 when
the config asks for it and the device computes it natively (CUDA with bf16, CPUs with AVX512-BF16 or
AMX), else fp32 — never an emulated bf16, which is slower than fp32.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from arastance.errors import UserError
from arastance.settings import PRECISIONS

Precision = Literal["bf16", "fp32"]


@dataclass(frozen=True)
class Runtime:
    device: torch.device
    precision: Precision

    @property
    def accelerate_mixed_precision(self) -> str:
        """Accelerate's name for it ("bf16" autocast, or "no")."""
        return "bf16" if self.precision == "bf16" else "no"


def bf16_supported(device: torch.device) -> bool:
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


def resolve_device(device: str = "auto") -> torch.device:
    """auto → CUDA when there is one, else CPU; an unusable device is the user's error, said plainly."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        target = torch.device(device)
    except (RuntimeError, ValueError):
        raise UserError(f"--device {device!r} is not a device (auto, cpu, cuda, cuda:1, ...)") from None
    if target.type == "cuda" and (not torch.cuda.is_available() or (target.index or 0) >= torch.cuda.device_count()):
        raise UserError(
            f"--device {device}: no such CUDA device here ({torch.cuda.device_count()} visible); use --device cpu"
        )
    return target


def choose_runtime(precision: str, device: str = "auto") -> Runtime:
    if precision not in PRECISIONS:
        raise UserError(f"trainer.precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    target = resolve_device(device)
    chosen: Precision = "bf16" if precision == "bf16" and bf16_supported(target) else "fp32"
    return Runtime(target, chosen)
