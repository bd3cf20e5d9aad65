"""Tokens per micro-batch and per optimizer step, decided once per run from the device.

Two things used to be one setting. `trainer.max_tokens` is what one forward/backward pass holds; on
a GPU it should be the largest budget that fits memory, because a step split into many small
micro-batches pays the host's fixed cost per micro-batch (about 41 ms of host time per BERT-base
step on the one H200 measured, whatever its size). The tokens per optimizer step are an
optimisation choice of their own (`trainer.step_tokens`): the same step on a bigger GPU should be
one or two micro-batches, not eight.

- `max_tokens: auto` is, on CUDA, the largest of `trainer.probe_budgets` whose forward and backward
  pass at full window length stays within `trainer.probe_memory_share` of the device's memory,
  probed once and cached per device, model shape, window length and precision; elsewhere
  `CPU_MAX_TOKENS`.
- `step_tokens > 0` sets the gradient accumulation: ceil(step_tokens / (micro-batch tokens × processes)).

The search (`largest_fitting`) and the arithmetic are pure; only `cuda_fits` touches a device.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from arastance.errors import UserError
from arastance.settings import AUTO, TrainerSettings
from arastance.writer import write_json

log = logging.getLogger("arastance.train")

# On a CPU, budgets above this fall out of cache and run slower per token (BERT-base, 2 cores: the
# earlier rounds' sweep of trainer.max_tokens; configs/trainer/default.yaml had it as its default).
CPU_MAX_TOKENS = 4096
CACHE_FILE = "micro_batch_tokens.json"


def largest_fitting(candidates: Sequence[int], fits: Callable[[int], bool]) -> int | None:
    """The largest candidate for which `fits` holds, trying from the largest down (a smaller budget
    needs less memory, so the first that fits is the answer); None when none does."""
    for budget in sorted(set(candidates), reverse=True):
        if fits(budget):
            return budget
    return None


def accumulation_for(step_tokens: int, micro_tokens: int, processes: int) -> int:
    """Micro-batches per process and optimizer step so that a step holds at least `step_tokens`."""
    return max(1, math.ceil(step_tokens / (micro_tokens * processes)))


def resolve_budget(
    trainer: TrainerSettings, device_type: str, processes: int, probe: Callable[[], int | None]
) -> TrainerSettings:
    """The trainer settings with an integer `max_tokens` and the accumulation `step_tokens` asks for."""
    micro = trainer.max_tokens
    if micro == AUTO:
        probed = probe() if device_type == "cuda" else None
        if device_type == "cuda" and probed is None:
            log.warning("no probed token budget fits this device's memory; using %d", min(trainer.probe_budgets))
        micro = probed or (min(trainer.probe_budgets) if device_type == "cuda" else CPU_MAX_TOKENS)
    micro = int(micro)
    if trainer.step_tokens:
        micro = min(micro, trainer.step_tokens)  # a step smaller than what fits is one micro-batch
        accumulation = accumulation_for(trainer.step_tokens, micro, processes)
        return replace(trainer, max_tokens=micro, gradient_accumulation_steps=accumulation)
    return replace(trainer, max_tokens=micro)


# --------------------------------------------------------------------------- the device edge


def probe_key(model: Any, device_name: str, total_memory: int, window: int, precision: str) -> str:
    shape = model.config.to_json_string(use_diff=False)
    digest = hashlib.sha256(shape.encode()).hexdigest()[:16]
    return f"{device_name}|{total_memory}|{digest}|{window}|{precision}"


def cached_probe(cache_dir: Path, key: str, measure: Callable[[], int | None]) -> int | None:
    """The cached budget for `key`, else `measure()` stored under it (a corrupt cache is measured again)."""
    path = Path(cache_dir) / CACHE_FILE
    try:
        cache = json.loads(path.read_text(encoding="utf-8"))
        cache = cache if isinstance(cache, dict) else {}
    except (OSError, ValueError):
        cache = {}
    if key in cache and (cache[key] is None or isinstance(cache[key], int)):
        return cache[key]
    value = measure()
    cache[key] = value
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, cache)
    except (OSError, UserError) as err:  # a cache that cannot be written costs a probe next time, nothing more
        log.warning("could not cache the token budget in %s: %s", path, err)
    return value


def cuda_fits(model: Any, budget: int, window: int, share: float, autocast: Any) -> bool:
    """Whether a forward and backward pass of `budget` tokens in rows of `window` tokens (the longest
    a batch can hold) stays within `share` of the device's memory. Gradients are dropped after it."""
    import torch

    device = next(model.parameters()).device
    rows = max(1, budget // window)
    vocab = int(getattr(model.config, "vocab_size", 2))
    inputs = {
        "input_ids": torch.randint(low=0, high=vocab, size=(rows, window), device=device),
        "attention_mask": torch.ones(rows, window, dtype=torch.long, device=device),
    }
    torch.cuda.synchronize(device)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(device)
    try:
        with autocast:
            logits = model(**inputs).logits
        logits.float().sum().backward()
        torch.cuda.synchronize(device)
        peak = torch.cuda.max_memory_allocated(device)
        return peak <= share * torch.cuda.get_device_properties(device).total_memory
    except torch.cuda.OutOfMemoryError:
        return False
    finally:
        model.zero_grad(set_to_none=True)
        torch.cuda.empty_cache()


def device_budget_probe(
    model: Any, trainer: TrainerSettings, window: int, precision: str, cache_dir: Path
) -> Callable[[], int | None]:
    """A probe for `resolve_budget`: the largest of trainer.probe_budgets that fits this CUDA device."""

    def probe() -> int | None:
        import torch

        device = next(model.parameters()).device
        props = torch.cuda.get_device_properties(device)
        autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16")
        key = probe_key(model, props.name, props.total_memory, window, precision)

        def measure() -> int | None:
            was_training = model.training
            model.train()
            # The probe's random ids and dropout must not move the run's random streams (same seed, same run).
            with torch.random.fork_rng(devices=[device]):
                try:
                    return largest_fitting(
                        trainer.probe_budgets,
                        lambda budget: cuda_fits(model, budget, window, trainer.probe_memory_share, autocast),
                    )
                finally:
                    model.train(was_training)

        budget = cached_probe(cache_dir, key, measure)
        log.info("token budget per micro-batch on %s: %s (probed once, cached in %s)", props.name, budget, cache_dir)
        return budget

    return probe
