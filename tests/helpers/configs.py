"""The training config as `arastance train` composes it, for tests that call `train(cfg)` in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir

import arastance.train  # noqa: F401  (registers the run_dir resolver, as `arastance train` does before composing)

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def compose_train(overrides: list[str]) -> Any:
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return compose(config_name="train", overrides=overrides)


def without_timings(metrics: dict) -> dict:
    """A run's metrics less what the clock and the machine's load decide (tokens/s, the phase times, the
    thread governor's changes), for comparing two runs."""
    metrics = dict(metrics)
    metrics["final"] = {k: v for k, v in metrics["final"].items() if k != "real_tokens_per_s"}
    metrics.pop("time", None)
    metrics.pop("threads", None)
    return metrics
