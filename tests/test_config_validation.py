"""Every training config value is checked before any work: one message naming key, value and the
allowed range, exit status 2, nothing left in run_dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf
from tests.helpers.configs import compose_train

from arastance.errors import ConfigError, failure_status
from arastance.settings import config_problems, validate_training_config

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"


def problems(*overrides: str) -> list[str]:
    return config_problems(OmegaConf.to_container(compose_train(list(overrides)), resolve=True))


@pytest.mark.parametrize(
    ("override", "key", "shown", "allowed"),
    [
        ("trainer.max_steps=-5", "trainer.max_steps", "-5", ">= 0"),
        ("trainer.max_tokens=0", "trainer.max_tokens", "0", ">= 1"),
        ("trainer.learning_rate=-1", "trainer.learning_rate", "-1", "> 0"),
        ("seed=abc", "seed", "'abc'", "an integer"),
        ("seed=1.5", "seed", "1.5", "not a float"),
        ("trainer.warmup_ratio=1.5", "trainer.warmup_ratio", "1.5", "<= 1.0"),
        ("trainer.early_stopping_patience=-1", "trainer.early_stopping_patience", "-1", ">= 0"),
        ("trainer.num_epochs=0", "trainer.num_epochs", "0", ">= 1"),
        ("trainer.max_rows=many", "trainer.max_rows", "'many'", "'auto' or an integer"),
        ("trainer.pad_to_multiple_of=0", "trainer.pad_to_multiple_of", "0", "'auto' or an integer"),
        ("trainer.eval_batch_tokens=-2", "trainer.eval_batch_tokens", "-2", "'auto' or an integer"),
        ("trainer.precision=fp16", "trainer.precision", "'fp16'", "bf16, fp32"),
        ("trainer.compile_scope=layers", "trainer.compile_scope", "'layers'", "regions, model"),
        ("trainer.log_steps=0", "trainer.log_steps", "0", ">= 1"),
        ("trainer.keep_checkpoints=-1", "trainer.keep_checkpoints", "-1", ">= 0"),
        ("trainer.save_steps=2.5", "trainer.save_steps", "2.5", "an integer"),
        ("trainer.gradient_accumulation_steps=0", "trainer.gradient_accumulation_steps", "0", ">= 1"),
        ("trainer.adam_betas=[0.9,1.5]", "trainer.adam_betas", "1.5", "< 1"),
        ("resume=maybe", "resume", "'maybe'", "true or false"),
    ],
)
def test_a_bad_value_is_named_with_its_allowed_range(override: str, key: str, shown: str, allowed: str) -> None:
    found = problems("model=tiny", override)
    assert len(found) == 1, found
    assert found[0].startswith(f"{key}=") and shown in found[0] and allowed in found[0]


def test_a_token_budget_below_one_window_is_refused() -> None:
    (found,) = problems("model=tiny", "trainer.max_tokens=100")
    assert "trainer.max_tokens=100" in found and "model.max_length (512)" in found


def test_every_shipped_config_is_valid() -> None:
    experiments = sorted(p.stem for p in (CONFIGS / "experiment").glob("*.yaml"))
    for overrides in (["model=tiny"], ["trainer=smoke"], *([f"experiment={e}"] for e in experiments)):
        assert problems(*overrides) == [], overrides


def test_every_problem_is_in_one_message_and_is_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError) as err:
        validate_training_config(compose_train(["trainer.max_steps=-5", "seed=abc"]))
    assert "trainer.max_steps=-5" in str(err.value) and "seed='abc'" in str(err.value)
    assert failure_status("arastance train", err.value) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_train_cli_exits_2_on_a_bad_value_and_writes_nothing(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "arastance.train", "model=tiny", "trainer.max_steps=-5", f"run_dir={run_dir}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "arastance train: config error: trainer.max_steps=-5: must be an integer >= 0 (0: train for "
        "trainer.num_epochs). Fix the value in configs/ or on the command line."
    ]
    assert not run_dir.exists()  # not even hydra's .hydra/ and train.log
