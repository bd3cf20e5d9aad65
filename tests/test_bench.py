"""The benchmark's fairness machinery (not its timings: figures come from `make bench`, never tests)."""

from __future__ import annotations

import numpy as np
from omegaconf import OmegaConf

from arastance.bench.inputs import ROOT
from arastance.bench.report import markdown_table, mfu
from arastance.bench.training import matching_token_budget
from arastance.features.batching import BatchingConfig, plan_batches, resolve_max_rows, resolve_pad_multiple


def test_token_budget_gives_the_trainer_s_number_of_steps_per_epoch() -> None:
    lengths = np.random.default_rng(0).integers(3, 120, size=2000).tolist()
    trainer_cfg = OmegaConf.load(ROOT / "configs" / "trainer" / "default.yaml")
    budget = matching_token_budget(lengths, 32, trainer_cfg, "cpu")
    cfg = BatchingConfig(budget, resolve_max_rows(trainer_cfg.max_rows, "cpu"), int(trainer_cfg.pool_factor), resolve_pad_multiple("auto", "cpu"))
    steps = len(plan_batches(lengths, cfg, 1234, 0))
    assert steps <= -(-2000 // 32)
    # The smallest such budget: one token less needs more steps.
    smaller = BatchingConfig(budget - 1, cfg.max_rows, cfg.pool_factor, cfg.pad_to_multiple_of)
    assert len(plan_batches(lengths, smaller, 1234, 0)) > -(-2000 // 32)


def test_mfu_is_model_flops_over_peak() -> None:
    row = {"real_tokens_per_s": 1000.0}
    assert mfu(row, n_params=10, layers=1, hidden=2, seq=3.0, peak_flops=None) is None
    assert mfu(row, n_params=10, layers=1, hidden=2, seq=3.0, peak_flops=1e6) == 1000.0 * (60 + 72) / 1e6


def test_markdown_table_lists_every_row_and_the_ratios() -> None:
    result = {
        "command": "make bench BENCH=quick",
        "machine": {"gpu": None, "cpu": "x86", "threads": 2, "torch": "2", "transformers": "5"},
        "rows": [
            {"kind": "train", "model": "base", "side": side, "real_tokens_per_s": 10.0 * (i + 1), "padded_fraction": 0.5,
             "median_step_s": 1.0, "real_tokens_per_step": 900.0, "peak_memory_mib": 100.0}
            for i, side in enumerate(("trainer_default", "trainer_tuned", "ours"))
        ]
        + [
            {"kind": "predict", "model": "base", "side": "predict_pipeline", "sentences_per_s": 5.0, "batch_size": 8,
             "dtype": "torch.bfloat16", "attention": "eager"},
            {"kind": "predict", "model": "base", "side": "predict_ours", "sentences_per_s": 10.0, "precision": "bf16"},
        ],
        "ratios": {"train_real_tokens_per_s_vs_trainer": 3.0, "train_real_tokens_per_s_vs_tuned_trainer": 1.5,
                   "padded_fraction": 0.01, "inference_vs_pipeline": 2.0},
    }
    table = markdown_table(result)
    assert table.count("| base |") == 5 and "3.00× the default Trainer" in table and "make bench BENCH=quick" in table
