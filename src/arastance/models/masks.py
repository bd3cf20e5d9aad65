"""The attention mask a BERT model gets in the training step, built without reading the device.

Given a 2D padding mask, `transformers` checks `padding_mask.all()` on every forward pass to decide
whether it may skip the mask — a host read, so on a GPU the host waits for the device on every
micro-batch. The batch plan already knows on the host whether a batch has padding, so we decide here:
no padding → no mask (what transformers' own skip gives), padding → the same 4D mask transformers
would build, passed ready-made (a 4D mask is used as is). Numerics are unchanged.
"""

from __future__ import annotations

from typing import Any

import torch

# Attention implementations whose 4D mask transformers builds with the interface below; others
# (flash, flex) keep the 2D mask and their own handling.
PREBUILT_MASK_IMPLEMENTATIONS = ("sdpa", "eager")


def step_attention_mask(model_config: Any, attention_mask: torch.Tensor, padded: bool) -> torch.Tensor | None:
    """The mask to pass for a batch of `attention_mask` (rows × width, 1 = real token); `padded` says,
    from the host's lengths, whether any row is shorter than the width."""
    if not padded:
        return None
    implementation = getattr(model_config, "_attn_implementation", None) or "eager"
    if implementation not in PREBUILT_MASK_IMPLEMENTATIONS:
        return attention_mask
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, bidirectional_mask_function

    rows, width = attention_mask.shape
    return ALL_MASK_ATTENTION_FUNCTIONS[implementation](
        batch_size=rows,
        q_length=width,
        kv_length=width,
        mask_function=bidirectional_mask_function,
        attention_mask=attention_mask.bool(),
        allow_is_causal_skip=False,
        allow_is_bidirectional_skip=False,
        dtype=torch.float32,  # the embeddings' dtype, also under bf16 autocast
        device=attention_mask.device,
    )
