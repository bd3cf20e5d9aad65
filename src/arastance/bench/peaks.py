"""Peak dense bf16 tensor FLOP/s by GPU, from the vendors' datasheets (dense: without 2:4 sparsity).

Matched against `torch.cuda.get_device_name()` in order, the more specific names first, on whole
words ("A10" is not "A100" nor "A10G"). A GPU not listed has no MFU rather than a guessed one.
"""

from __future__ import annotations

import re

PEAK_BF16_DENSE: tuple[tuple[str, float], ...] = (
    (r"\bH100\b.*\bPCIe\b", 756e12),
    (r"\bH100\b.*\bNVL\b", 835e12),
    (r"\bH100\b", 989e12),  # SXM ("NVIDIA H100 80GB HBM3")
    (r"\bH200\b", 989e12),  # also GH200
    (r"\bB200\b", 2250e12),
    (r"\bA100\b", 312e12),
    (r"\bL40S\b", 362e12),
    (r"\bL4\b", 121e12),
    (r"\bA10\b", 125e12),
    (r"\bRTX 4090\b", 165e12),
)


def peak_bf16_flops(device_name: str | None) -> float | None:
    if not device_name:
        return None
    return next((peak for pattern, peak in PEAK_BF16_DENSE if re.search(pattern, device_name)), None)
