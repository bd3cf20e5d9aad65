"""`arastance bench --mode gpu`: its pieces, and its dry run on the CPU end to end (so it cannot rot).
No timing is asserted: the figures come from a GPU, never from the tests."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

from arastance.bench.gpu_report import flops_per_real_token, gpu_markdown, headline, mfu_of
from arastance.bench.inputs import step_summary
from arastance.bench.peaks import peak_bf16_flops
from arastance.bench.syncs import HOST_READS, SyncLog, counting_host_reads
from arastance.errors import UserError


@pytest.mark.parametrize(
    ("name", "peak"),
    [
        ("NVIDIA H100 80GB HBM3", 989e12),
        ("NVIDIA H100 PCIe", 756e12),
        ("NVIDIA H200", 989e12),
        ("NVIDIA A100-SXM4-80GB", 312e12),
        ("NVIDIA A10", 125e12),
        ("NVIDIA A10G", None),
        ("NVIDIA L4", 121e12),
        ("NVIDIA L40S", 362e12),
        ("NVIDIA GeForce RTX 4090", 165e12),
        ("Tesla T4", None),
        (None, None),
    ],
)
def test_peak_bf16_is_looked_up_by_whole_device_name_words(name: str | None, peak: float | None) -> None:
    assert peak_bf16_flops(name) == peak


def test_mfu_is_real_tokens_times_the_stated_flops_over_the_peak() -> None:
    flops = flops_per_real_token(non_embedding_params=100, layers=2, hidden=4, mean_length=3.0)
    assert flops == 6 * 100 + 12 * 2 * 4 * 3.0
    assert mfu_of({"real_tokens_per_s": 1e6}, flops, 1e12) == pytest.approx(1e6 * flops / 1e12)
    assert mfu_of({"real_tokens_per_s": 1e6}, flops, None) is None


def test_windows_of_steps_count_as_their_steps_in_the_summary() -> None:
    windows = [
        {"seconds": 9.0, "real": 10, "computed": 20, "steps": 2},
        {"seconds": 2.0, "real": 30, "computed": 40, "steps": 2},
        {"seconds": 4.0, "real": 50, "computed": 60, "steps": 2},
    ]
    summary = step_summary(windows, warmup=2)
    assert summary["timed_steps"] == 4
    assert summary["real_tokens_per_s"] == pytest.approx(80 / 6.0)
    assert summary["real_tokens_per_step"] == pytest.approx(20.0)
    assert summary["median_step_s"] == pytest.approx(1.5)


def test_host_read_counter_counts_by_forward_pass_and_restores_torch() -> None:
    originals = {name: getattr(torch.Tensor, name) for name in HOST_READS}
    log = SyncLog()
    with counting_host_reads(log):
        x = torch.ones(3)
        log.tick()
        float(x.sum())
        x.tolist()
        with log.pause():
            x.sum().item()
        log.tick()
        bool(x.all())
    assert log.events == [(1, "__float__"), (1, "tolist"), (2, "__bool__")]
    assert log.per_step(1, 2) == 1.5
    assert {name: getattr(torch.Tensor, name) for name in HOST_READS} == originals


def test_gpu_mode_without_a_gpu_says_to_use_the_dry_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from arastance.bench.gpu import run_gpu_bench

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(UserError, match="--dry-run"):
        run_gpu_bench(False, 1, tmp_path)


def test_markdown_lists_every_side_with_its_ratio_to_the_tuned_trainer() -> None:
    rows = [
        {
            "side": s,
            "real_tokens_per_s": v,
            "mfu": None,
            "padded_fraction": 0.1,
            "median_step_s": 0.01,
            "real_tokens_per_step": 900.0,
            "peak_memory_mib": 10.0,
            "syncs_per_step": 1.0,
            "syncs_counted_by": "host reads",
        }
        for s, v in (("trainer_default", 100.0), ("trainer_tuned", 200.0), ("ours_eager", 300.0))
    ]
    result = {
        "command": "make bench-gpu",
        "machine": {"gpu": "NVIDIA H200", "cpu": "x", "torch": "2", "transformers": "5"},
        "peak_bf16_flops": 989e12,
        "flops_per_real_token": 5e8,
        "flops_formula": "6·N",
        "mean_sentence_tokens": 30.0,
        "plan": {"log_steps": 10},
        "rows": rows,
    }
    table = gpu_markdown(result)
    assert "| ours_eager | 300 | – | 1.50× |" in table
    assert "| trainer_default | 100 | – | 0.50× |" in table
    assert "989 TFLOP/s" in table


@pytest.mark.slow
def test_dry_run_writes_every_side_with_syncs_per_step(tmp_path: Path) -> None:
    import subprocess

    env = {"HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "arastance.bench",
            "--mode",
            "gpu",
            "--dry-run",
            "--threads",
            "1",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp_path / "gpu.json").read_text())
    sides = [r["side"] for r in result["rows"]]
    assert sides == [
        "trainer_default",
        "trainer_tuned",
        "ours_eager",
        "ours_budget_256",
        "ours_budget_512",
        "ours_budget_1k",
        "ours_compiled",
        "ours_cuda_graphs",
        "trainer_tuned_compiled",
        "ours_compiled_budget_1k",
        "ours_compiled_unpadded",
        "ours_compiled_model",
    ]
    rows = {r["side"]: r for r in result["rows"]}
    assert all("error" not in r for r in rows.values()), [r["error"] for r in rows.values() if "error" in r]
    assert all(r["timed_steps"] > 0 and r["real_tokens_per_s"] > 0 and r["mfu"] is None for r in rows.values())
    # Our loop reads the device only at its log steps; the Trainer reads it on every step.
    assert rows["ours_eager"]["syncs_per_step"] < rows["trainer_default"]["syncs_per_step"]
    assert rows["ours_compiled"]["syncs_per_step"] < rows["trainer_default"]["syncs_per_step"]
    # Batch sizes marked dynamic: the whole model compiles to one graph with the padding mask and one
    # without, not one per shape; by regions, each of its four (embeddings, the encoder layer that every
    # layer shares, dropout, classifier) at most once with static sizes and once with dynamic ones.
    assert 1 <= rows["ours_compiled_model"]["compiled_graphs"] <= 2
    assert 4 <= rows["ours_compiled"]["compiled_graphs"] <= 2 * 4
    assert all(r["side_seconds"] > 0 for r in rows.values())
    # A bigger token budget carries more real tokens per step.
    budgets = [rows[s]["real_tokens_per_step"] for s in ("ours_budget_256", "ours_budget_512", "ours_budget_1k")]
    assert budgets == sorted(budgets) and budgets[0] < budgets[-1]
    assert all(f"| {side} |" in (tmp_path / "gpu.md").read_text() for side in sides)


def test_a_side_that_fails_or_outlives_the_budget_becomes_a_row_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arastance.bench import gpu

    plan = gpu.GPU_PLANS["gpu"]
    side = gpu.gpu_sides(plan)[0]
    not_run = gpu.measured_side(side, plan, tmp_path, 1, seconds_left=plan.min_side_s - 1)
    assert not_run["side"] == side.name and not_run["error"].startswith("not run:")

    def broken(spec, plan_, threads, timeout_s):
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(gpu, "run_side", broken)
    failed = gpu.measured_side(side, plan, tmp_path, 1, seconds_left=None)
    assert failed["error"] == "CUDA out of memory"
    table = gpu_markdown(
        {
            "command": "make bench-gpu",
            "machine": {"gpu": "NVIDIA H200", "cpu": "x", "torch": "2", "transformers": "5"},
            "peak_bf16_flops": 989e12,
            "flops_per_real_token": None,
            "flops_formula": "6·N",
            "mean_sentence_tokens": 30.0,
            "plan": {"log_steps": 10},
            "rows": [failed, not_run],
        }
    )
    assert f"| {side.name} | failed: CUDA out of memory |" in table
    assert "not measured (a side failed)" in table


def test_a_worker_past_its_time_limit_is_stopped_with_a_message() -> None:
    from arastance.bench.run import run_worker

    # A worker spec that would train for minutes, given a limit it cannot meet: stopped, not waited for.
    spec = {"side": "ours", "model_dir": "/nonexistent", "repeat": 1, "batch_sentences": 8, "warmup": 0, "steps": 1}
    with pytest.raises(RuntimeError, match="still running after 0 s"):
        run_worker(spec, 1, timeout_s=0.05)


def test_the_headline_compares_equal_tokens_per_step_so_a_faster_budget_row_is_not_our_best() -> None:
    def row(side: str, tokens_per_s: float, budget_row: bool = False) -> dict:
        return {"side": side, "real_tokens_per_s": tokens_per_s, "budget_row": budget_row}

    rows = [
        row("trainer_tuned", 100.0),
        row("ours_eager", 150.0),
        row("ours_budget_64k", 900.0, budget_row=True),
        {"side": "ours_compiled", "error": "compile failed", "budget_row": False},
    ]
    assert (
        headline(rows)
        == "At the same tokens per optimizer step, our best (ours_eager) is 1.50× the Trainer's best (trainer_tuned)."
    )
