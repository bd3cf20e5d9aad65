"""Training sides: our loop (`training.loop.run_loop`) against `transformers.Trainer`, default and tuned.

Each worker runs in its own subprocess (bench.run) and returns `inputs.step_summary` of its steps.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from arastance.bench.inputs import HYPER, ROOT, bf16_ok, encoded_windows, load_ner_model, step_summary


def worker_ours(spec: dict[str, Any]) -> dict[str, Any]:
    import torch
    from accelerate import Accelerator
    from omegaconf import OmegaConf

    from arastance.models.device import choose_runtime
    from arastance.runs.layout import SplitDir
    from arastance.settings import TrainerSettings, section
    from arastance.training.loop import LoopInputs, run_loop, seed_everything

    tokenizer, _units, windows = encoded_windows(Path(spec["model_dir"]), spec["repeat"])
    trainer_cfg = OmegaConf.load(ROOT / "configs" / "trainer" / "default.yaml")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    trainer_cfg.merge_with(spec.get("overrides", {}))
    max_tokens = matching_token_budget([len(w) for w in windows], spec["batch_sentences"], trainer_cfg, device)
    trainer_cfg.merge_with(
        {
            "learning_rate": HYPER["learning_rate"], "weight_decay": HYPER["weight_decay"], "warmup_ratio": HYPER["warmup_ratio"],
            "max_grad_norm": HYPER["max_grad_norm"], "max_steps": spec["steps"], "save_steps": spec["steps"], "eval_steps": spec["steps"],
            "log_steps": 1, "progress_bar": False, "tensorboard": False, "early_stopping_patience": 0, "keep_checkpoints": 1,
            "max_tokens": max_tokens,
            **spec.get("overrides", {}),
        }
    )
    trainer = section(TrainerSettings, trainer_cfg)
    runtime = choose_runtime(trainer.precision)
    accelerator = Accelerator(mixed_precision=runtime.accelerate_mixed_precision, cpu=device == "cpu", step_scheduler_with_optimizer=False)
    seed_everything(HYPER["seed"])
    model = load_ner_model(Path(spec["model_dir"]))
    with tempfile.TemporaryDirectory() as run_dir:
        inputs = LoopInputs(
            task="ner", model=model, pad_token_id=tokenizer.pad_token_id, train_windows=windows, evaluate_dev=None,
            save_best=lambda m: None, class_weights=None, config_yaml="",
        )
        split_dir = SplitDir(Path(run_dir))
        run_loop(accelerator, inputs, trainer, HYPER["seed"], split_dir, False, lambda *_: None)
        log = [r for r in split_dir.read_train_log() if "loss" in r]
    if spec.get("save_to"):  # the prediction rows run on trained weights: a random head's argmax is noise
        accelerator.unwrap_model(model).save_pretrained(spec["save_to"])
        tokenizer.save_pretrained(spec["save_to"])
    steps = [{"seconds": r["step_seconds"], "real": r["real_tokens"], "computed": r["computed_tokens"]} for r in log]
    return step_summary(steps, spec["warmup"])


def matching_token_budget(lengths: list[int], batch_sentences: int, trainer_cfg: Any, device: str) -> int:
    """The smallest token budget whose epoch has as many optimizer steps as the Trainer's batches of
    `batch_sentences` sentences: both sides then carry the same real tokens per step on average."""
    from arastance.features.batching import BatchingConfig, plan_batches, resolve_max_rows, resolve_pad_multiple

    target = -(-len(lengths) // batch_sentences)
    multiple = resolve_pad_multiple(trainer_cfg.pad_to_multiple_of, device)

    def steps(budget: int) -> int:
        cfg = BatchingConfig(budget, resolve_max_rows(trainer_cfg.max_rows, device), int(trainer_cfg.pool_factor), multiple)
        return len(plan_batches(lengths, cfg, HYPER["seed"], 0))

    low, high = max(lengths), 64 * batch_sentences * max(lengths)
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if steps(middle) <= target else (middle + 1, high)
    return low


# --------------------------------------------------------------------------- transformers.Trainer


def _trainer_dataset(windows: list[Any]) -> Any:
    import datasets

    return datasets.Dataset.from_dict(
        {
            "input_ids": [w.input_ids for w in windows],
            "token_type_ids": [w.token_type_ids for w in windows],
            "attention_mask": [[1] * len(w) for w in windows],
            "labels": [w.labels for w in windows],
            "length": [len(w) for w in windows],
        }
    )


def _counting_collator(tokenizer: Any, steps: list[dict[str, float]]) -> Any:
    """The Trainer's default token-classification collator, recording each batch's real and computed tokens."""
    from transformers import DataCollatorForTokenClassification

    collator = DataCollatorForTokenClassification(tokenizer)

    def counting_collator(features):
        batch = collator(features)
        steps.append({"real": int(batch["attention_mask"].sum()), "computed": int(batch["input_ids"].numel()), "seconds": 0.0})
        return batch

    return counting_collator


def _step_timer(steps: list[dict[str, float]]) -> Any:
    """A callback writing each step's wall time into the step its collated batch opened."""
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            self.started = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            # The batch of this step was collated (and counted) just before on_step_begin.
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
    from transformers import Trainer

    tokenizer, _units, windows = encoded_windows(Path(spec["model_dir"]), spec["repeat"])
    dataset = _trainer_dataset(windows)
    steps: list[dict[str, float]] = []
    collator = _counting_collator(tokenizer, steps)
    with tempfile.TemporaryDirectory() as out:
        args = _training_arguments(spec, out)
        trainer = Trainer(
            model=load_ner_model(Path(spec["model_dir"])), args=args, train_dataset=dataset, data_collator=collator,
            callbacks=[_step_timer(steps)], processing_class=tokenizer,
        )
        trainer.train()
    # The sampler may collate one batch ahead; keep only batches that were trained on.
    return step_summary([s for s in steps if s["seconds"] > 0], spec["warmup"])
