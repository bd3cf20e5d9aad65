"""The fine-tuning loop: one readable function on top of Accelerate.

Accelerate owns devices, DDP and checkpoint state; we own the data order. Each epoch's micro-batch
plan is a pure function of (seed, epoch) over token-budget, length-bucketed batches; an optimizer step
consumes `world_size × gradient_accumulation_steps` consecutive micro-batches, rank r taking its share.
So one process with accumulation 2 and two processes with accumulation 1 see the same global batches,
and a resumed run continues from the exact position in the plan.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from arastance.features.batching import (
    BatchingConfig,
    collate,
    padding_fraction,
    plan_batches,
    resolve_max_rows,
    resolve_pad_multiple,
)
from arastance.features.encode import IGNORE_INDEX, Window
from arastance.models.inference import bf16_supported
from arastance.training.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint


@dataclass
class LoopInputs:
    """Everything the loop needs, already encoded. Built by training/run.py."""

    task: str
    model: Any
    pad_token_id: int
    train_windows: list[Window]
    evaluate_dev: Any  # callable(model) -> float | None (higher is better); None when there is no dev set
    save_best: Any  # callable(unwrapped_model) -> None
    class_weights: torch.Tensor | None
    config_yaml: str


@dataclass
class LoopResult:
    step: int
    epoch: int
    train_loss: float
    best_dev: float | None
    best_step: int | None
    stopped_early: bool
    history: list[dict[str, Any]] = field(default_factory=list)
    padding_fraction: float = 0.0
    real_tokens_per_s: float = 0.0


def batching_config(trainer_cfg: Any, device_type: str) -> BatchingConfig:
    return BatchingConfig(
        max_tokens=int(trainer_cfg.max_tokens),
        max_rows=resolve_max_rows(trainer_cfg.max_rows, device_type),
        pool_factor=int(trainer_cfg.pool_factor),
        pad_to_multiple_of=resolve_pad_multiple(trainer_cfg.pad_to_multiple_of, device_type),
    )


def mixed_precision(trainer_cfg: Any, device_type: str) -> str:
    wanted = str(trainer_cfg.precision)
    if wanted not in {"bf16", "fp32"}:
        raise ValueError(f"trainer.precision must be bf16 or fp32, got {wanted!r}")
    return "bf16" if wanted == "bf16" and bf16_supported(torch.device(device_type)) else "no"


def task_loss(task: str, logits: torch.Tensor, labels: torch.Tensor, class_weights: torch.Tensor | None) -> torch.Tensor:
    weight = class_weights.to(logits.device) if class_weights is not None else None
    if task == "ner":
        return torch.nn.functional.cross_entropy(
            logits.float().view(-1, logits.shape[-1]), labels.view(-1), weight=weight, ignore_index=IGNORE_INDEX
        )
    return torch.nn.functional.cross_entropy(logits.float(), labels, weight=weight)


def step_plan(n_micro: int, per_step: int) -> int:
    return max(1, math.ceil(n_micro / per_step))


def micro_batches_for_step(plan: Sequence[list[int]], step_in_epoch: int, per_step: int, rank: int, accum: int) -> list[list[int]]:
    """This rank's micro-batches for one optimizer step; a short last step wraps to the epoch start."""
    base = step_in_epoch * per_step
    return [plan[(base + rank * accum + a) % len(plan)] for a in range(accum)]


def keep_freed_memory_on_cpu(device_type: str, enabled: bool) -> None:
    """Stop glibc from handing large freed blocks back to the kernel between steps.

    On CPU every step re-allocates the same big buffers (the 64000×768 embedding gradient, autocast's
    bf16 weight copies); when malloc returns them to the kernel each one is page-faulted and zeroed
    again on the next step. The profiler shows that as a third of a BERT-base step on 2 cores
    (aten::fill_ on the embedding gradient alone: ~0.3 s). Keeping the memory in the heap, as a
    caching allocator does on GPUs, removes it (~10% faster steps, measured). Linux/glibc only.
    """
    if device_type != "cpu" or not enabled:
        return
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt(-4, 0)  # M_MMAP_MAX: serve large blocks from the heap too
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: keep up to 1 GiB of freed heap
    except (OSError, AttributeError):
        pass  # not glibc: nothing to tune


def run_loop(accelerator: Any, inputs: LoopInputs, trainer_cfg: Any, seed: int, run_dir: Path, resume: bool, log: Any) -> LoopResult:
    keep_freed_memory_on_cpu(accelerator.device.type, bool(trainer_cfg.get("cpu_keep_freed_memory", True)))
    lengths = [len(w) for w in inputs.train_windows]
    batching = batching_config(trainer_cfg, accelerator.device.type)
    accum = int(trainer_cfg.gradient_accumulation_steps)
    per_step = accelerator.num_processes * accum
    first_plan = plan_batches(lengths, batching, seed, 0)
    steps_per_epoch = step_plan(len(first_plan), per_step)
    max_steps = int(trainer_cfg.max_steps) or steps_per_epoch * int(trainer_cfg.num_epochs)
    eval_every = int(trainer_cfg.eval_steps) or steps_per_epoch
    save_every = int(trainer_cfg.save_steps) or steps_per_epoch

    model = inputs.model
    # One fused kernel per step instead of a loop over parameters (CUDA, and CPU in torch >= 2.4).
    fused = accelerator.device.type in {"cuda", "cpu"}
    no_decay = ("bias", "LayerNorm.weight", "layernorm", "layer_norm")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)], "weight_decay": float(trainer_cfg.weight_decay)},
        {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(
        groups, lr=float(trainer_cfg.learning_rate), betas=tuple(trainer_cfg.adam_betas), eps=float(trainer_cfg.adam_eps), fused=fused
    )
    from transformers import get_linear_schedule_with_warmup

    scheduler = get_linear_schedule_with_warmup(optimizer, int(float(trainer_cfg.warmup_ratio) * max_steps), max_steps)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    if trainer_cfg.get("compile"):
        # Bucketed lengths (pad_to_multiple_of, e.g. 64) keep the number of compiled shapes small.
        model = torch.compile(model, dynamic=False)

    state: dict[str, Any] = {
        "step": 0, "epoch": 0, "step_in_epoch": 0, "seed": seed, "best_dev": None, "best_step": None,
        "bad_evals": 0, "history": [], "loss_sum": 0.0, "loss_count": 0,
    }
    checkpoint = latest_checkpoint(run_dir) if resume else None
    if checkpoint is not None:
        state = load_checkpoint(accelerator, checkpoint)
        log(f"resumed from {checkpoint} at step {state['step']}")

    progress = None
    if trainer_cfg.progress_bar and accelerator.is_local_main_process:
        from tqdm.auto import tqdm

        progress = tqdm(total=max_steps, initial=state["step"], desc="train", unit="step", dynamic_ncols=True)
    writer = _tensorboard(run_dir, trainer_cfg, accelerator)
    log_path = Path(run_dir) / "train_log.jsonl"
    stopped_early = False
    timer = _Throughput()
    # The checkpoint carries the epoch's batch plan itself, so a resumed run replays exactly the
    # data order it was interrupted in, even if the batching code changed in between.
    plan = state.get("plan") or plan_batches(lengths, batching, seed, state["epoch"])
    state["plan"] = plan

    while state["step"] < max_steps and not stopped_early:
        if state["step_in_epoch"] >= step_plan(len(plan), per_step):
            state["epoch"] += 1
            state["step_in_epoch"] = 0
            plan = plan_batches(lengths, batching, seed, state["epoch"])
            state["plan"] = plan
        model.train()
        micro = micro_batches_for_step(plan, state["step_in_epoch"], per_step, accelerator.process_index, accum)
        step_loss = torch.zeros((), device=accelerator.device)
        real_tokens = computed_tokens = 0
        for a, indices in enumerate(micro):
            windows = [inputs.train_windows[i] for i in indices]
            batch = {k: v.to(accelerator.device) for k, v in collate(windows, inputs.pad_token_id, batching.pad_to_multiple_of, inputs.task).items()}
            labels = batch.pop("labels")
            real_tokens += int(batch["attention_mask"].sum())
            computed_tokens += batch["input_ids"].numel()
            sync = nullcontext() if a == accum - 1 else accelerator.no_sync(model)
            with sync, accelerator.autocast():
                logits = model(**batch).logits
                loss = task_loss(inputs.task, logits, labels, inputs.class_weights) / accum
            accelerator.backward(loss)
            step_loss += loss.detach()
        if trainer_cfg.max_grad_norm:
            accelerator.clip_grad_norm_(model.parameters(), float(trainer_cfg.max_grad_norm))
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        state["step"] += 1
        state["step_in_epoch"] += 1

        mean_loss = float(accelerator.reduce(step_loss, reduction="mean"))
        tokens = int(accelerator.reduce(torch.tensor(real_tokens, device=accelerator.device), reduction="sum"))
        state["loss_sum"] += mean_loss
        state["loss_count"] += 1
        computed = int(accelerator.reduce(torch.tensor(computed_tokens, device=accelerator.device), reduction="sum"))
        step_seconds = timer.elapsed()
        rate = timer.tick(tokens)
        record = {
            "step": state["step"], "epoch": state["epoch"], "loss": mean_loss, "lr": scheduler.get_last_lr()[0],
            "real_tokens_per_s": rate, "real_tokens": tokens, "computed_tokens": computed, "step_seconds": step_seconds,
        }
        state["history"].append({"step": state["step"], "loss": mean_loss})
        if accelerator.is_main_process and (state["step"] % int(trainer_cfg.log_steps) == 0 or state["step"] == max_steps):
            _log_jsonl(log_path, record)
            if writer:
                for key in ("loss", "lr", "real_tokens_per_s"):
                    writer.add_scalar(f"train/{key}", record[key], state["step"])
        if progress:
            progress.update(1)
            progress.set_postfix(loss=f"{mean_loss:.4f}", tok_s=f"{rate:,.0f}")

        if state["step"] % eval_every == 0 or state["step"] == max_steps:
            stopped_early = _evaluate(accelerator, model, inputs, state, trainer_cfg, log_path, writer)
        if state["step"] % save_every == 0 or state["step"] == max_steps or stopped_early:
            save_checkpoint(accelerator, run_dir, state["step"], state, inputs.config_yaml, int(trainer_cfg.keep_checkpoints))
        timer.restart()

    if progress:
        progress.close()
    if writer:
        writer.close()
    if state["best_dev"] is None and accelerator.is_main_process:
        # No dev set: the final model is the one we keep.
        inputs.save_best(accelerator.unwrap_model(model))
    accelerator.wait_for_everyone()
    return LoopResult(
        step=state["step"],
        epoch=state["epoch"],
        train_loss=state["loss_sum"] / max(1, state["loss_count"]),
        best_dev=state["best_dev"],
        best_step=state["best_step"],
        stopped_early=stopped_early,
        history=state["history"],
        padding_fraction=padding_fraction(first_plan, lengths, batching.pad_to_multiple_of),
        real_tokens_per_s=timer.overall(),
    )


def _evaluate(accelerator, model, inputs: LoopInputs, state, trainer_cfg, log_path, writer) -> bool:
    """Dev evaluation on the main process; returns True when early stopping triggers."""
    if inputs.evaluate_dev is None:
        return False
    score = None
    if accelerator.is_main_process:
        score = inputs.evaluate_dev(accelerator.unwrap_model(model))
    score = _broadcast_float(accelerator, score)
    improved = state["best_dev"] is None or score > state["best_dev"]
    if improved:
        state["best_dev"], state["best_step"], state["bad_evals"] = score, state["step"], 0
        if accelerator.is_main_process:
            inputs.save_best(accelerator.unwrap_model(model))
    else:
        state["bad_evals"] += 1
    state["history"][-1]["dev"] = score
    if accelerator.is_main_process:
        _log_jsonl(log_path, {"step": state["step"], "dev": score, "best_dev": state["best_dev"]})
        if writer:
            writer.add_scalar("dev/score", score, state["step"])
    accelerator.wait_for_everyone()
    patience = int(trainer_cfg.early_stopping_patience)
    return bool(patience and state["bad_evals"] >= patience)


def _broadcast_float(accelerator: Any, value: float | None) -> float:
    tensor = torch.tensor([value if value is not None else 0.0], dtype=torch.float64, device=accelerator.device)
    if accelerator.num_processes > 1:
        from accelerate.utils import broadcast

        tensor = broadcast(tensor, from_process=0)
    return float(tensor.item())


def _tensorboard(run_dir: Path, trainer_cfg: Any, accelerator: Any) -> Any:
    if not trainer_cfg.tensorboard or not accelerator.is_main_process:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is a dependency; a broken install should not stop training
        return None
    return SummaryWriter(log_dir=str(Path(run_dir) / "tensorboard"))


def _log_jsonl(path: Path, record: dict[str, Any]) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


class _Throughput:
    """Real (non-pad) tokens per second of training steps (evaluation and checkpoint time excluded)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.tokens = 0
        self.seconds = 0.0

    def tick(self, tokens: int) -> float:
        now = time.perf_counter()
        elapsed = max(now - self.last, 1e-9)
        self.last = now
        self.tokens += tokens
        self.seconds += elapsed
        return tokens / elapsed

    def elapsed(self) -> float:
        return time.perf_counter() - self.last

    def restart(self) -> None:
        self.last = time.perf_counter()

    def overall(self) -> float:
        return self.tokens / max(self.seconds, 1e-9)


def seed_everything(seed: int) -> None:
    import random

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
