"""Tokens per micro-batch from the device, tokens per optimizer step as a setting of their own."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from arastance.settings import TrainerSettings
from arastance.training.budget import (
    CACHE_FILE,
    CPU_MAX_TOKENS,
    accumulation_for,
    cached_probe,
    largest_fitting,
    resolve_budget,
)

AUTO = TrainerSettings()  # max_tokens: auto


def test_the_largest_budget_that_fits_is_found_from_the_top() -> None:
    tried: list[int] = []

    def fits(budget: int) -> bool:
        tried.append(budget)
        return budget <= 20000

    assert largest_fitting([4096, 8192, 16384, 32768, 65536], fits) == 16384
    assert tried == [65536, 32768, 16384]  # stops at the first that fits
    assert largest_fitting([4096], lambda _: False) is None


@pytest.mark.parametrize(
    ("step", "micro", "processes", "accumulation"),
    [
        (65536, 65536, 1, 1),
        (65536, 32768, 1, 2),
        (65536, 8192, 1, 8),
        (65536, 16384, 2, 2),
        (1000, 4096, 1, 1),
        (70000, 32768, 1, 3),
    ],
)
def test_the_accumulation_gives_at_least_the_step_tokens(
    step: int, micro: int, processes: int, accumulation: int
) -> None:
    assert accumulation_for(step, micro, processes) == accumulation


def test_a_64k_step_is_one_or_two_micro_batches_where_memory_allows() -> None:
    trainer = replace(AUTO, step_tokens=65536)
    big = resolve_budget(trainer, "cuda", 1, lambda: 131072)
    assert (big.max_tokens, big.gradient_accumulation_steps) == (65536, 1)  # never more than the step
    medium = resolve_budget(trainer, "cuda", 1, lambda: 32768)
    assert (medium.max_tokens, medium.gradient_accumulation_steps) == (32768, 2)


def test_auto_is_probed_on_cuda_only_and_a_fixed_budget_never() -> None:
    calls: list[int] = []

    def probe() -> int:
        calls.append(1)
        return 32768

    assert resolve_budget(AUTO, "cpu", 1, probe).max_tokens == CPU_MAX_TOKENS
    assert resolve_budget(replace(AUTO, max_tokens=2048), "cuda", 1, probe).max_tokens == 2048
    assert calls == []
    assert resolve_budget(AUTO, "cuda", 1, probe).max_tokens == 32768 and calls == [1]
    nothing_fits = resolve_budget(AUTO, "cuda", 1, lambda: None)
    assert nothing_fits.max_tokens == min(AUTO.probe_budgets)
    assert resolve_budget(AUTO, "cpu", 1, probe).gradient_accumulation_steps == 1  # step_tokens 0: as set


def test_the_probe_runs_once_per_key_and_survives_a_corrupt_cache(tmp_path: Path) -> None:
    measured: list[str] = []

    def measure() -> int:
        measured.append("x")
        return 16384

    assert cached_probe(tmp_path, "gpu|80|abc|512|bf16", measure) == 16384
    assert cached_probe(tmp_path, "gpu|80|abc|512|bf16", measure) == 16384
    assert measured == ["x"]
    assert json.loads((tmp_path / CACHE_FILE).read_text()) == {"gpu|80|abc|512|bf16": 16384}
    (tmp_path / CACHE_FILE).write_text("{not json", encoding="utf-8")
    assert cached_probe(tmp_path, "gpu|80|abc|512|bf16", measure) == 16384
    assert measured == ["x", "x"]


def test_step_tokens_with_an_accumulation_is_a_config_error() -> None:
    from tests.helpers.configs import compose_train

    from arastance.errors import ConfigError
    from arastance.settings import validate_training_config

    with pytest.raises(ConfigError, match="step_tokens"):
        validate_training_config(compose_train(["trainer.step_tokens=65536", "trainer.gradient_accumulation_steps=2"]))
    validate_training_config(compose_train(["trainer.step_tokens=65536"]))
