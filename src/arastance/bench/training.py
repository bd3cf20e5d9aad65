"""Training sides: our loop (`training.loop.run_loop`) against `transformers.Trainer`, default and tuned.

Each worker runs in its own subprocess (bench.run) and returns `inputs.step_summary` of its steps.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from arastance.bench.inputs import HYPER, ROOT, bf16_ok, encoded_windows, load_ner_model, step_summary
from arastance.bench.syncs import SyncLog, counting_syncs


def worker_ours(spec: dict[str, Any]) -> dict[str, Any]:
    import torch
    from accelerate import Accelerator
    from omegaconf import OmegaConf

    from arastance.models.device import choose_runtime
    from arastance.runs.layout import SplitDir
    from arastance.settings import TrainerSettings, section
    from arastance.training.loop import LoopInputs, run_loop, seed_everything

    tokenizer, windows = encoded_windows(Path(spec["model_dir"]), spec["repeat"])
    trainer_cfg = OmegaConf.load(ROOT / "configs" / "trainer" / "default.yaml")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    trainer_cfg.merge_with(spec.get("overrides", {}))
    max_tokens = matching_token_budget([len(w) for w in windows], spec["batch_sentences"], trainer_cfg, device)
    trainer_cfg.merge_with(
        {
            "learning_rate": HYPER["learning_rate"],
            "weight_decay": HYPER["weight_decay"],
            "warmup_ratio": HYPER["warmup_ratio"],
            "max_grad_norm": HYPER["max_grad_norm"],
            "max_steps": spec["steps"],
            "save_steps": spec["steps"],
            "eval_steps": spec["steps"],
            "log_steps": 1,
            "progress_bar": False,
            "trackers": [],
            "early_stopping_patience": 0,
            "keep_checkpoints": 1,
            "max_tokens": max_tokens,
            **spec.get("overrides", {}),
        }
    )
    trainer = section(TrainerSettings, trainer_cfg)
    runtime = choose_runtime(trainer.precision)
    accelerator = Accelerator(
        mixed_precision=runtime.accelerate_mixed_precision, cpu=device == "cpu", step_scheduler_with_optimizer=False
    )
    seed_everything(HYPER["seed"])
    model = load_ner_model(Path(spec["model_dir"]))
    syncs = SyncLog()
    graphs_before = _unique_graphs()  # dry-run sides share this process and dynamo's counters
    with (
        tempfile.TemporaryDirectory() as run_dir,
        _counting_micro_batches(syncs),
        _sync_counting(spec, syncs, device),
        _compile_backend(spec),
    ):
        inputs = LoopInputs(
            task="ner",
            model=model,
            pad_token_id=tokenizer.pad_token_id,
            train_windows=windows,
            evaluate_dev=None,
            save_best=lambda m: None,
            class_weights=None,
            config_yaml="",
        )
        split_dir = SplitDir(Path(run_dir))
        run_loop(accelerator, inputs, trainer, HYPER["seed"], split_dir, False, lambda *_: None)
        log = [r for r in split_dir.read_train_log() if "loss" in r]
        graphs = {"compiled_graphs": _unique_graphs() - graphs_before} if trainer.compile else {}
    if spec.get("save_to"):  # the prediction rows run on trained weights: a random head's argmax is noise
        accelerator.unwrap_model(model).save_pretrained(spec["save_to"])
        tokenizer.save_pretrained(spec["save_to"])
    # The loop times windows of steps between two reads of the losses (log_steps), not single steps.
    steps = [
        {
            "seconds": r["window_seconds"],
            "real": r["window_real_tokens"],
            "computed": r["window_computed_tokens"],
            "steps": r["window_steps"],
        }
        for r in log
    ]
    return (
        step_summary(steps, spec["warmup"])
        | _sync_figures(spec, syncs, trainer.gradient_accumulation_steps)
        | graphs
        | {"non_embedding_params": non_embedding_params(model)}
    )


def _unique_graphs() -> int:
    """How many graphs torch.compile has built in this process."""
    from torch._dynamo.utils import counters

    return int(counters["stats"]["unique_graphs"])


@contextmanager
def _counting_micro_batches(syncs: SyncLog) -> Iterator[None]:
    """Tick the sync log once per micro-batch the loop builds: a forward hook would be traced into a
    compiled model (and its counter guarded on), this wrapper runs outside it."""
    from arastance.training import loop

    original = loop.device_batch

    def counted(step: Any, indices: Any) -> Any:
        syncs.tick()
        return original(step, indices)

    loop.device_batch = counted
    try:
        yield
    finally:
        loop.device_batch = original


@contextmanager
def _compile_backend(spec: dict[str, Any]) -> Iterator[None]:
    """`torch.compile` with spec's backend (the CPU dry run uses "eager": dynamo's graphs and guards
    without waiting minutes for a C++ build; a mode, being inductor's, is dropped with it). Nothing is
    patched for the default backend."""
    import torch

    backend = spec.get("compile_backend")
    if not backend or backend == "inductor":
        yield
        return
    original = torch.compile

    def with_backend(model: Any, *args: Any, mode: str | None = None, **kwargs: Any) -> Any:
        return original(model, *args, backend=backend, **kwargs)

    torch.compile = with_backend  # type: ignore[assignment]  # a wrapper, not torch.compile's overloads
    try:
        yield
    finally:
        torch.compile = original
        torch._dynamo.reset()


def _sync_counting(spec: dict[str, Any], syncs: SyncLog, device: str) -> Any:
    return counting_syncs(syncs, device) if spec.get("count_syncs") else nullcontext()


def _sync_figures(spec: dict[str, Any], syncs: SyncLog, micro_per_step: int = 1) -> dict[str, Any]:
    """Syncs per optimizer step over the timed steps, the last one left out (it logs, saves, ends the
    run). The log counts forward passes: `micro_per_step` of them make one step with accumulation."""
    if not spec.get("count_syncs"):
        return {}
    first, last = spec["warmup"] * micro_per_step + 1, syncs.forwards - micro_per_step
    steps = max(0, last - first + 1) // micro_per_step
    return {
        "syncs_per_step": syncs.per_step(first, last) * micro_per_step,
        "syncs_counted_by": syncs.method,
        "sync_steps": steps,
    }


def non_embedding_params(model: Any) -> int:
    """Parameters outside the embedding tables: the N of the 6·N FLOPs per token."""
    return sum(p.numel() for name, p in model.named_parameters() if "embeddings" not in name)


def matching_token_budget(lengths: list[int], batch_sentences: int, trainer_cfg: Any, device: str) -> int:
    """The smallest token budget whose epoch has as many optimizer steps as the Trainer's batches of
    `batch_sentences` sentences: both sides then carry the same real tokens per step on average."""
    from arastance.features.batching import BatchingConfig, plan_batches, resolve_max_rows, resolve_pad_multiple

    target = -(-len(lengths) // batch_sentences)
    multiple = resolve_pad_multiple(trainer_cfg.pad_to_multiple_of, device)

    def steps(budget: int) -> int:
        cfg = BatchingConfig(
            budget, resolve_max_rows(trainer_cfg.max_rows, device), int(trainer_cfg.pool_factor), multiple
        )
        return len(plan_batches(lengths, cfg, HYPER["seed"], 0))

    low, high = max(lengths), 64 * batch_sentences * max(lengths)
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if steps(middle) <= target else (middle + 1, high)
    return low


# --------------------------------------------------------------------------- transformers.Trainer


def _trainer_dataset(windows: list[Any]) -> list[dict[str, list[int]]]:
    """The windows as a plain list of features: `Trainer` takes any indexable dataset, its length sampler
    measures `input_ids` itself, and indexing a list costs the Trainer less per batch than Arrow rows."""
    return [
        {
            "input_ids": w.input_ids,
            "token_type_ids": w.token_type_ids,
            "attention_mask": [1] * len(w),
            "labels": w.labels,
        }
        for w in windows
    ]


def _counting_collator(tokenizer: Any, steps: list[dict[str, float]], syncs: SyncLog) -> Any:
    """The Trainer's default token-classification collator, recording each batch's real and computed
    tokens (host tensors; paused in the sync count, which is about the Trainer's own reads)."""
    from transformers import DataCollatorForTokenClassification

    collator = DataCollatorForTokenClassification(tokenizer)

    def counting_collator(features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = collator(features)
        with syncs.pause():
            steps.append(
                {
                    "real": int(batch["attention_mask"].sum()),
                    "computed": int(batch["input_ids"].numel()),
                    "seconds": 0.0,
                }
            )
        return batch

    return counting_collator


def _step_timer(steps: list[dict[str, float]], syncs: SyncLog) -> Any:
    """A callback writing each step's wall time into the step its collated batch opened. On CUDA it
    waits for the device at the step's end (paused in the sync count: the bench's wait, not the Trainer's)."""
    import torch
    from transformers import TrainerCallback

    def wait_for_device() -> None:
        if torch.cuda.is_available():
            with syncs.pause():
                torch.cuda.synchronize()

    class StepTimer(TrainerCallback):
        def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            wait_for_device()
            self.started = time.perf_counter()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            # The batch of this step was collated (and counted) just before on_step_begin.
            wait_for_device()
            steps[-1]["seconds"] = time.perf_counter() - self.started

    return StepTimer()


def _training_arguments(spec: dict[str, Any], out: str) -> Any:
    """Defaults, or (trainer_tuned) the Trainer's best documented settings: length grouping, bf16, tf32."""
    import torch
    from transformers import TrainingArguments

    tuned = spec["side"] == "trainer_tuned"
    cuda = torch.cuda.is_available()
    return TrainingArguments(
        output_dir=out,
        per_device_train_batch_size=spec["batch_sentences"],
        max_steps=spec["steps"],
        learning_rate=HYPER["learning_rate"],
        weight_decay=HYPER["weight_decay"],
        warmup_steps=HYPER["warmup_ratio"],
        max_grad_norm=HYPER["max_grad_norm"],
        seed=HYPER["seed"],
        report_to="none",
        save_strategy="no",
        logging_strategy="no",
        disable_tqdm=True,
        use_cpu=not cuda,
        train_sampling_strategy="group_by_length" if tuned else "random",
        bf16=tuned and bf16_ok(),
        tf32=True if tuned and cuda else None,
        **spec.get("overrides", {}),
    )


def worker_trainer(spec: dict[str, Any]) -> dict[str, Any]:
    import torch
    from transformers import Trainer

    tokenizer, windows = encoded_windows(Path(spec["model_dir"]), spec["repeat"])
    dataset = _trainer_dataset(windows)
    steps: list[dict[str, float]] = []
    syncs = SyncLog()
    collator = _counting_collator(tokenizer, steps, syncs)
    model = load_ner_model(Path(spec["model_dir"]))
    syncs.count_forwards(model)
    with tempfile.TemporaryDirectory() as out:
        args = _training_arguments(spec, out)
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=dataset,
            data_collator=collator,
            callbacks=[_step_timer(steps, syncs)],
            processing_class=tokenizer,
        )
        with _sync_counting(spec, syncs, "cuda" if torch.cuda.is_available() else "cpu"):
            trainer.train()
    # The sampler may collate one batch ahead; keep only batches that were trained on.
    summary = step_summary([s for s in steps if s["seconds"] > 0], spec["warmup"])
    return summary | _sync_figures(spec, syncs) | {"non_embedding_params": non_embedding_params(model)}
