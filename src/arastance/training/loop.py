"""The fine-tuning loop: one readable function on top of Accelerate.

Accelerate owns devices, DDP and checkpoint state; we own the data order. Each epoch's micro-batch
plan is a pure function of (seed, epoch) over token-budget, length-bucketed batches; an optimizer step
consumes `world_size × gradient_accumulation_steps` consecutive micro-batches, rank r taking its share.
So one process with accumulation 2 and two processes with accumulation 1 see the same global batches,
and a resumed run continues from the exact position in the plan.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from arastance.errors import Interrupted
from arastance.features.batching import (
    BatchingConfig,
    collate,
    has_padding,
    padding_fraction,
    plan_batches,
    plan_token_counts,
    resolve_max_rows,
    resolve_pad_multiple,
)
from arastance.features.encode import IGNORE_INDEX, Window
from arastance.models.masks import step_attention_mask
from arastance.models.threads import rebalance_threads
from arastance.phases import timed_phase
from arastance.runs.layout import SplitDir
from arastance.settings import TrainerSettings
from arastance.tasks import get_task
from arastance.training.checkpoint import latest_checkpoint, load_checkpoint, resume_checkpoint, save_checkpoint
from arastance.training.trackers import Trackers, open_trackers


@dataclass
class LoopInputs:
    """Everything the loop needs, already encoded. Built by training/run.py."""

    task: str
    model: Any
    pad_token_id: int
    train_windows: list[Window]
    evaluate_dev: Callable[[Any], float] | None  # model -> dev score (higher is better); None: no dev set
    save_best: Callable[[Any], None]  # unwrapped model -> None
    class_weights: torch.Tensor | None
    config_yaml: str
    # NER with data.partial_labels: per partial tag id (id - num_labels), the model's tags it allows
    # (features/partial.py); None: every label id is one tag and the loss is plain cross-entropy.
    allowed_tags: torch.Tensor | None = None


@dataclass
class LoopState:
    """Where training stands; saved in every checkpoint, so a resumed run continues exactly here."""

    seed: int
    step: int = 0
    epoch: int = 0
    step_in_epoch: int = 0
    best_dev: float | None = None
    best_step: int | None = None
    bad_evals: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    loss_sum: float = 0.0
    loss_count: int = 0
    # The epoch's micro-batch plan itself, so a resumed run replays exactly the data order it was
    # interrupted in, even if the batching code changed in between.
    plan: list[list[int]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoopState:
        return cls(**data)


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


@dataclass(frozen=True)
class Schedule:
    """How many optimizer steps, and when to evaluate and save, derived from the first epoch's plan."""

    per_step: int  # micro-batches per optimizer step over all processes
    steps_per_epoch: int
    max_steps: int
    eval_every: int
    save_every: int  # 0: by time (checkpoint_due)


def batching_config(trainer: TrainerSettings, device_type: str) -> BatchingConfig:
    return BatchingConfig(
        max_tokens=int(trainer.max_tokens),  # resolved before the loop (training/budget.py)
        max_rows=resolve_max_rows(trainer.max_rows, device_type),
        pool_factor=trainer.pool_factor,
        pad_to_multiple_of=resolve_pad_multiple(trainer.pad_to_multiple_of, device_type),
    )


def make_schedule(trainer: TrainerSettings, n_micro_batches: int, num_processes: int) -> Schedule:
    per_step = num_processes * trainer.gradient_accumulation_steps
    steps_per_epoch = step_plan(n_micro_batches, per_step)
    return Schedule(
        per_step=per_step,
        steps_per_epoch=steps_per_epoch,
        max_steps=trainer.max_steps or steps_per_epoch * trainer.num_epochs,
        eval_every=trainer.eval_steps or steps_per_epoch,
        save_every=trainer.save_steps,
    )


def build_optimizer(model: Any, trainer: TrainerSettings, device_type: str) -> torch.optim.Optimizer:
    """AdamW without weight decay on biases and LayerNorm weights; one fused kernel per step instead of
    a loop over parameters (CUDA, and CPU in torch >= 2.4)."""
    no_decay = ("bias", "LayerNorm.weight", "layernorm", "layer_norm")
    named = list(model.named_parameters())
    groups = [
        {"params": [p for n, p in named if not any(k in n for k in no_decay)], "weight_decay": trainer.weight_decay},
        {"params": [p for n, p in named if any(k in n for k in no_decay)], "weight_decay": 0.0},
    ]
    betas = (float(trainer.adam_betas[0]), float(trainer.adam_betas[1]))
    return torch.optim.AdamW(
        groups, lr=trainer.learning_rate, betas=betas, eps=trainer.adam_eps, fused=device_type in {"cuda", "cpu"}
    )


def build_scheduler(optimizer: torch.optim.Optimizer, trainer: TrainerSettings, max_steps: int) -> Any:
    from transformers import get_linear_schedule_with_warmup

    return get_linear_schedule_with_warmup(optimizer, int(trainer.warmup_ratio * max_steps), max_steps)


def task_loss(
    task: str,
    logits: torch.Tensor,
    labels: torch.Tensor,
    class_weights: torch.Tensor | None,
    allowed_tags: torch.Tensor | None = None,
) -> torch.Tensor:
    weight = class_weights.to(logits.device) if class_weights is not None else None
    if not get_task(task).per_word:
        return torch.nn.functional.cross_entropy(logits.float(), labels, weight=weight)
    per_token, flat_labels = logits.float().view(-1, logits.shape[-1]), labels.view(-1)
    if allowed_tags is not None:
        return partial_label_nll(per_token, flat_labels, allowed_tags)
    return torch.nn.functional.cross_entropy(per_token, flat_labels, weight=weight, ignore_index=IGNORE_INDEX)


def partial_label_nll(logits: torch.Tensor, labels: torch.Tensor, allowed_tags: torch.Tensor) -> torch.Tensor:
    """Mean over the labelled tokens of -log P(the token's tags): one tag for an id below the number of
    labels (then it equals cross-entropy), the set `allowed_tags[id - num_labels]` for a partial tag.
    Computed on whole tensors with masks, so it never waits for the device (no boolean indexing)."""
    n_labels = logits.shape[-1]
    log_probs = torch.log_softmax(logits, dim=-1)
    labelled = labels != IGNORE_INDEX
    partial = labels >= n_labels
    exact = torch.nn.functional.one_hot(labels.clamp(0, n_labels - 1), n_labels).bool()
    as_set = allowed_tags.to(logits.device)[(labels - n_labels).clamp(0, allowed_tags.shape[0] - 1)]
    allowed = torch.where(partial.unsqueeze(-1), as_set, exact)
    nll = -torch.logsumexp(log_probs.masked_fill(~allowed, float("-inf")), dim=-1)
    nll = torch.where(labelled, nll, torch.zeros_like(nll))
    return nll.sum() / labelled.sum().clamp(min=1)


def checkpoint_due(
    save_every: int, save_every_seconds: float, step: int, last: bool, eval_now: bool, since_saved: float
) -> bool:
    """Whether this step writes a checkpoint. Every `save_every` steps and at the last one; with
    save_every=0, by time: at an evaluation point once `save_every_seconds` have passed since the last
    checkpoint, and never at the last step — the run is about to write its results, and a checkpoint
    only serves resuming after a kill (trainer/default.yaml has what saving every epoch cost)."""
    if save_every:
        return step % save_every == 0 or last
    return eval_now and not last and since_saved >= save_every_seconds


def step_plan(n_micro: int, per_step: int) -> int:
    return max(1, math.ceil(n_micro / per_step))


def micro_batches_for_step(
    plan: Sequence[list[int]], step_in_epoch: int, per_step: int, rank: int, accum: int
) -> list[list[int]]:
    """This rank's micro-batches for one optimizer step; a short last step wraps to the epoch start."""
    base = step_in_epoch * per_step
    return [plan[(base + rank * accum + a) % len(plan)] for a in range(accum)]


def step_micro_batches(
    plan: Sequence[list[int]], step_in_epoch: int, per_step: int, num_processes: int, accum: int
) -> list[list[int]]:
    """Every rank's micro-batches of one optimizer step."""
    return [
        b for rank in range(num_processes) for b in micro_batches_for_step(plan, step_in_epoch, per_step, rank, accum)
    ]


# torch.compile's modes that capture CUDA graphs on a CUDA device.
CUDA_GRAPH_MODES = ("reduce-overhead", "max-autotune")


@dataclass(frozen=True)
class StepInputs:
    """What turns a micro-batch of the plan into model inputs on the device."""

    windows: Sequence[Window]
    lengths: Sequence[int]
    pad_token_id: int
    pad_multiple: int
    task: str
    device: torch.device
    model_config: Any
    mark_dynamic: bool = False  # torch.compile: the batch sizes (rows, width) vary from batch to batch
    cuda_graphs: bool = False  # torch.compile replays CUDA graphs (reduce-overhead, max-autotune on CUDA)


def device_batch(step: StepInputs, indices: Sequence[int]) -> tuple[dict[str, torch.Tensor | None], torch.Tensor]:
    """(model inputs, labels) of one micro-batch on the device, without a host-device sync: on CUDA
    the host tensors are pinned so the copies run asynchronously (a copy from pageable memory waits
    for the device), and the attention mask is decided from the host's lengths."""
    host = collate([step.windows[i] for i in indices], step.pad_token_id, step.pad_multiple, get_task(step.task))
    if step.device.type == "cuda":
        host = {k: v.pin_memory() for k, v in host.items()}
    moved = {k: v.to(step.device, non_blocking=True) for k, v in host.items()}
    labels = moved.pop("labels")
    mask = step_attention_mask(
        step.model_config, moved["attention_mask"], has_padding(indices, step.lengths, step.pad_multiple)
    )
    batch = {**moved, "attention_mask": mask}
    if step.mark_dynamic:
        mark_batch_dynamic(batch)
    return batch, labels


def mark_batch_dynamic(batch: dict[str, torch.Tensor | None]) -> None:
    """Mark every size of the batch that varies between batches (rows; width, which is also both last
    sizes of a prebuilt 4D mask) as dynamic; the mask's head dimension (1) stays static."""
    from torch._dynamo import maybe_mark_dynamic

    for tensor in batch.values():
        if tensor is None:
            continue
        for dim in range(tensor.dim()):
            if tensor.dim() != 4 or dim != 1:
                maybe_mark_dynamic(tensor, dim)


def optimizer_step(
    accelerator: Any,
    model: Any,
    optimizer: Any,
    scheduler: Any,
    step: StepInputs,
    micro: Sequence[Sequence[int]],
    class_weights: torch.Tensor | None,
    max_grad_norm: float,
    allowed_tags: torch.Tensor | None = None,
) -> torch.Tensor:
    """One optimizer step over this rank's micro-batches (gradients synchronised on the last one);
    returns the step's loss, left on the device."""
    step_loss = torch.zeros((), device=step.device)
    for a, indices in enumerate(micro):
        batch, labels = device_batch(step, indices)
        if step.cuda_graphs:
            # A new iteration: the previous replay's outputs (logits, already turned into a loss) may be
            # overwritten, so the graphs need not copy them out.
            torch.compiler.cudagraph_mark_step_begin()
        sync = nullcontext() if a == len(micro) - 1 else accelerator.no_sync(model)
        with sync, accelerator.autocast():
            logits = model(**batch).logits
            loss = task_loss(step.task, logits, labels, class_weights, allowed_tags) / len(micro)
        accelerator.backward(loss)
        step_loss += loss.detach()
    if max_grad_norm:
        accelerator.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return step_loss


def compile_model(model: Any, mode: str, scope: str) -> Any:
    """torch.compile the (prepared) model: `scope` "regions" through Accelerate's compile_regions, each
    repeated block (the encoder's layers, which share one compiled graph) and each other child on its
    own; "model" as one graph.

    The batch's sizes are marked dynamic (device_batch): token-budget batches vary in rows and in width,
    and one graph for symbolic sizes serves them all, where static graphs would recompile per shape and
    fall back to eager at dynamo's recompile limit. Regions see tensors made inside the model, which
    carry no marks; dynamo makes their sizes dynamic at their first change (automatic dynamic shapes).
    Not `dynamic=True`: that also turns the model's float attributes (LayerNorm eps, dropout p) into
    graph inputs."""
    if scope == "regions":
        from accelerate.utils import compile_regions

        return compile_regions(model, mode=mode)
    return torch.compile(model, mode=mode)


def plain_model(accelerator: Any, model: Any) -> Any:
    """The model as transformers built it, for saving: no process wrapper and no torch.compile wrapper. A
    regionally compiled model's own state_dict names its layers `layer.0._orig_mod.…`, which
    from_pretrained would not load."""
    return accelerator.unwrap_model(model, keep_torch_compile=False)


def record_losses(state: LoopState, losses: Sequence[float]) -> None:
    """The losses of the steps up to state.step, into the history and the running mean."""
    first_step = state.step - len(losses) + 1
    for offset, loss in enumerate(losses):
        state.history.append({"step": first_step + offset, "loss": loss})
        state.loss_sum += loss
        state.loss_count += 1


def read_losses(accelerator: Any, unread: Sequence[torch.Tensor]) -> list[float]:
    """The steps' losses, averaged over processes: one all-reduce and one device read for all of them."""
    return [float(v) for v in accelerator.reduce(torch.stack(list(unread)), reduction="mean").tolist()]


def log_record(
    state: LoopState, loss: float, lr: float, real: int, computed: int, window: StepWindow
) -> dict[str, Any]:
    """One train_log line: this step's loss, learning rate and tokens, and the throughput over the
    window of steps since the previous log line (single steps are not timed: the host runs ahead)."""
    return {
        "step": state.step,
        "epoch": state.epoch,
        "loss": loss,
        "lr": lr,
        "real_tokens_per_s": window.real_tokens / max(window.seconds, 1e-9),
        "real_tokens": real,
        "computed_tokens": computed,
        "step_seconds": window.seconds / max(1, window.steps),
        "window_steps": window.steps,
        "window_seconds": window.seconds,
        "window_real_tokens": window.real_tokens,
        "window_computed_tokens": window.computed_tokens,
    }


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


@timed_phase("train_steps")
def run_loop(
    accelerator: Any,
    inputs: LoopInputs,
    trainer: TrainerSettings,
    seed: int,
    split_dir: SplitDir,
    resume: bool,
    log: Callable[[str], None],
) -> LoopResult:
    device_type = accelerator.device.type
    keep_freed_memory_on_cpu(device_type, trainer.cpu_keep_freed_memory)
    lengths = [len(w) for w in inputs.train_windows]
    batching = batching_config(trainer, device_type)
    accum = trainer.gradient_accumulation_steps
    first_plan = plan_batches(lengths, batching, seed, 0)
    schedule = make_schedule(trainer, len(first_plan), accelerator.num_processes)

    optimizer = build_optimizer(inputs.model, trainer, device_type)
    scheduler = build_scheduler(optimizer, trainer, schedule.max_steps)
    model, optimizer, scheduler = accelerator.prepare(inputs.model, optimizer, scheduler)
    if trainer.compile:
        model = compile_model(model, trainer.compile_mode, trainer.compile_scope)

    state = LoopState(seed=seed)
    checkpoint = resume_checkpoint(split_dir.checkpoints, log) if resume else None
    if checkpoint is not None:
        state = LoopState.from_json(load_checkpoint(accelerator, checkpoint))
        log(f"resumed from {checkpoint} at step {state.step}")
    if resume and accelerator.is_main_process:
        split_dir.trim_log(state.step)  # the steps after the checkpoint are replayed: logged once
    restore_sigint = _interrupt_with_position(state, split_dir)
    try:
        progress = None
        if trainer.progress_bar and accelerator.is_local_main_process:
            from tqdm.auto import tqdm

            progress = tqdm(total=schedule.max_steps, initial=state.step, desc="train", unit="step", dynamic_ncols=True)
        writer = open_trackers(trainer, split_dir, inputs.task, seed, accelerator.is_main_process)
        stopped_early = False
        timer = _Throughput()
        if not state.plan:
            state.plan = plan_batches(lengths, batching, seed, state.epoch)

        step_inputs = StepInputs(
            windows=inputs.train_windows,
            lengths=lengths,
            pad_token_id=inputs.pad_token_id,
            pad_multiple=batching.pad_to_multiple_of,
            task=inputs.task,
            device=accelerator.device,
            model_config=inputs.model.config,
            mark_dynamic=trainer.compile,
            cuda_graphs=trainer.compile and device_type == "cuda" and trainer.compile_mode in CUDA_GRAPH_MODES,
        )
        class_weights = inputs.class_weights.to(accelerator.device) if inputs.class_weights is not None else None
        allowed_tags = inputs.allowed_tags.to(accelerator.device) if inputs.allowed_tags is not None else None
        # Each step's loss stays on the device until the next read (log, evaluation, checkpoint, end):
        # reading it every step would make the host wait for the device every step.
        unread_losses: list[torch.Tensor] = []
        saved_at = time.monotonic()
        while state.step < schedule.max_steps and not stopped_early:
            if state.step_in_epoch >= step_plan(len(state.plan), schedule.per_step):
                state.epoch += 1
                state.step_in_epoch = 0
                state.plan = plan_batches(lengths, batching, seed, state.epoch)
            rebalance_threads()  # load that arrived after the start: fewer threads than cores that are free
            model.train()
            micro = micro_batches_for_step(
                state.plan, state.step_in_epoch, schedule.per_step, accelerator.process_index, accum
            )
            unread_losses.append(
                optimizer_step(
                    accelerator,
                    model,
                    optimizer,
                    scheduler,
                    step_inputs,
                    micro,
                    class_weights,
                    trainer.max_grad_norm,
                    allowed_tags,
                )
            )
            state.step += 1
            state.step_in_epoch += 1
            # Every rank's micro-batches of this step, counted from the plan on the host: no all-reduce.
            real, computed = plan_token_counts(
                step_micro_batches(
                    state.plan, state.step_in_epoch - 1, schedule.per_step, accelerator.num_processes, accum
                ),
                lengths,
                batching.pad_to_multiple_of,
            )
            timer.add_step(real, computed)
            if progress:
                progress.update(1)

            last = state.step == schedule.max_steps
            log_now = state.step % trainer.log_steps == 0 or last
            eval_now = state.step % schedule.eval_every == 0 or last
            save_now = checkpoint_due(
                schedule.save_every, trainer.save_every_seconds, state.step, last, eval_now, time.monotonic() - saved_at
            )
            if not schedule.save_every and eval_now and accelerator.num_processes > 1:
                save_now = _broadcast_float(accelerator, float(save_now)) > 0.5  # rank 0's clock: all save, or none
            if not (log_now or eval_now or save_now):
                continue
            losses = read_losses(accelerator, unread_losses)
            timer.synced()
            record_losses(state, losses)
            unread_losses = []
            if log_now:
                record = log_record(state, losses[-1], scheduler.get_last_lr()[0], real, computed, timer.take_window())
                if accelerator.is_main_process:
                    split_dir.append_log(record)
                    writer.log({f"train/{key}": record[key] for key in ("loss", "lr", "real_tokens_per_s")}, state.step)
                if progress:
                    progress.set_postfix(loss=f"{record['loss']:.4f}", tok_s=f"{record['real_tokens_per_s']:,.0f}")

            if eval_now:
                stopped_early = _evaluate(accelerator, model, inputs, state, trainer, split_dir, writer)
                if stopped_early:
                    log(_early_stop_note(state, trainer.early_stopping_patience))
            if save_now or (stopped_early and schedule.save_every):
                saved_at = time.monotonic()
                save_checkpoint(
                    accelerator,
                    split_dir.checkpoints,
                    state.step,
                    state.to_json(),
                    inputs.config_yaml,
                    trainer.keep_checkpoints,
                )
            timer.restart()
    finally:
        restore_sigint()  # also when a step fails: an in-process caller (a notebook) gets its Ctrl-C back
    if progress:
        progress.close()
    writer.close()
    if state.best_dev is None and accelerator.is_main_process:
        # No dev set: the final model is the one we keep.
        inputs.save_best(plain_model(accelerator, model))
    accelerator.wait_for_everyone()
    return LoopResult(
        step=state.step,
        epoch=state.epoch,
        train_loss=state.loss_sum / max(1, state.loss_count),
        best_dev=state.best_dev,
        best_step=state.best_step,
        stopped_early=stopped_early,
        history=state.history,
        padding_fraction=padding_fraction(first_plan, lengths, batching.pad_to_multiple_of),
        real_tokens_per_s=timer.overall(),
    )


def _early_stop_note(state: LoopState, patience: int) -> str:
    return (
        f"early stopping at step {state.step}: no dev improvement in {patience} evaluations "
        f"(best dev {state.best_dev:.4f} at step {state.best_step})"
    )


def interrupted_message(step: int, checkpoints: Path) -> str:
    last = latest_checkpoint(checkpoints)
    saved = f"last checkpoint {last.name}" if last else "no checkpoint yet"
    return (
        f"interrupted at step {step} ({saved} in {checkpoints}); resume with `resume=true` (same command, same run_dir)"
    )


def _interrupt_with_position(state: LoopState, split_dir: SplitDir) -> Callable[[], object]:
    """Ctrl-C or SIGTERM during training ends with one line saying where it stood (no traceback);
    returns the undo.

    A handler rather than an `except` around the loop, so the step it reports is the one in progress
    (`state` is updated in place) and a checkpoint being written is cleaned up by its own handler.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_signal(signum: int, frame: Any) -> None:
        raise Interrupted(interrupted_message(state.step, split_dir.checkpoints), signum)

    # A background job (`cmd &`, nohup) ignores the signal: it keeps doing so.
    previous = {
        signum: signal.signal(signum, on_signal)
        for signum in (signal.SIGINT, signal.SIGTERM)
        if signal.getsignal(signum) is not signal.SIG_IGN
    }

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return restore


@timed_phase("dev_eval")
def _evaluate(
    accelerator: Any,
    model: Any,
    inputs: LoopInputs,
    state: LoopState,
    trainer: TrainerSettings,
    split_dir: SplitDir,
    writer: Trackers,
) -> bool:
    """Dev evaluation on the main process; returns True when early stopping triggers."""
    if inputs.evaluate_dev is None:
        return False
    score = None
    if accelerator.is_main_process:
        score = inputs.evaluate_dev(accelerator.unwrap_model(model))
    score = _broadcast_float(accelerator, score)
    improved = state.best_dev is None or score > state.best_dev
    if improved:
        state.best_dev, state.best_step, state.bad_evals = score, state.step, 0
        if accelerator.is_main_process:
            inputs.save_best(plain_model(accelerator, model))
    else:
        state.bad_evals += 1
    state.history[-1]["dev"] = score
    if accelerator.is_main_process:
        split_dir.append_log({"step": state.step, "dev": score, "best_dev": state.best_dev})
        writer.log({"dev/score": score}, state.step)
    accelerator.wait_for_everyone()
    patience = trainer.early_stopping_patience
    return bool(patience and state.bad_evals >= patience)


def _broadcast_float(accelerator: Any, value: float | None) -> float:
    tensor = torch.tensor([value if value is not None else 0.0], dtype=torch.float64, device=accelerator.device)
    if accelerator.num_processes > 1:
        from accelerate.utils import broadcast

        tensor = broadcast(tensor, from_process=0)
    return float(tensor.item())


@dataclass
class StepWindow:
    """Training steps since the previous log line: how many, their tokens and their wall time."""

    steps: int = 0
    real_tokens: int = 0
    computed_tokens: int = 0
    seconds: float = 0.0


class _Throughput:
    """Real (non-pad) tokens per second of training steps (evaluation and checkpoint time excluded).

    Between two reads of the losses the host only queues work for the device, so time is taken at
    those reads (`synced`), which wait for the device, and spread over the steps since the last one."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.window = StepWindow()
        self.unsynced_tokens = 0
        self.tokens = 0
        self.seconds = 0.0

    def add_step(self, real: int, computed: int) -> None:
        self.window.steps += 1
        self.window.real_tokens += real
        self.window.computed_tokens += computed
        self.unsynced_tokens += real

    def synced(self) -> None:
        now = time.perf_counter()
        self.window.seconds += now - self.last
        self.seconds += now - self.last
        self.tokens += self.unsynced_tokens
        self.unsynced_tokens = 0
        self.last = now

    def take_window(self) -> StepWindow:
        window, self.window = self.window, StepWindow()
        return window

    def restart(self) -> None:
        self.last = time.perf_counter()

    def overall(self) -> float:
        return self.tokens / max(self.seconds, 1e-9)


def seed_everything(seed: int) -> None:
    import random

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
