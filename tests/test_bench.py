"""The benchmark's fairness machinery (not its timings: figures come from `make bench`, never tests)."""

from __future__ import annotations

import numpy as np
import pytest
from omegaconf import OmegaConf

from arastance.bench.inputs import ROOT
from arastance.bench.report import markdown_table, mfu
from arastance.bench.training import matching_token_budget
from arastance.features.batching import BatchingConfig, plan_batches, resolve_max_rows, resolve_pad_multiple


def test_token_budget_gives_the_trainer_s_number_of_steps_per_epoch() -> None:
    lengths = np.random.default_rng(0).integers(3, 120, size=2000).tolist()
    trainer_cfg = OmegaConf.load(ROOT / "configs" / "trainer" / "default.yaml")
    budget = matching_token_budget(lengths, 32, trainer_cfg, "cpu")
    cfg = BatchingConfig(
        budget,
        resolve_max_rows(trainer_cfg.max_rows, "cpu"),
        int(trainer_cfg.pool_factor),
        resolve_pad_multiple("auto", "cpu"),
    )
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
            {
                "kind": "train",
                "model": "base",
                "side": side,
                "real_tokens_per_s": 10.0 * (i + 1),
                "padded_fraction": 0.5,
                "median_step_s": 1.0,
                "real_tokens_per_step": 900.0,
                "peak_memory_mib": 100.0,
            }
            for i, side in enumerate(("trainer_default", "trainer_tuned", "ours"))
        ]
        + [
            {
                "kind": "predict",
                "model": "base",
                "side": "predict_pipeline",
                "sentences_per_s": 5.0,
                "batch_size": 8,
                "dtype": "torch.bfloat16",
                "attention": "eager",
            },
            {"kind": "predict", "model": "base", "side": "predict_ours", "sentences_per_s": 10.0, "precision": "bf16"},
        ],
        "ratios": {
            "train_real_tokens_per_s_vs_trainer": 3.0,
            "train_real_tokens_per_s_vs_tuned_trainer": 1.5,
            "padded_fraction": 0.01,
            "inference_vs_pipeline": 2.0,
        },
    }
    table = markdown_table(result)
    assert table.count("| base |") == 5 and "3.00× the default Trainer" in table and "make bench BENCH=quick" in table


def _rows_with_backends() -> list[dict]:
    train = [
        {
            "kind": "train",
            "model": "base",
            "side": side,
            "real_tokens_per_s": 10.0,
            "padded_fraction": 0.1,
            "median_step_s": 1.0,
            "real_tokens_per_step": 900.0,
            "peak_memory_mib": 100.0,
        }
        for side in ("trainer_default", "trainer_tuned", "ours")
    ]
    predict = [
        {
            "kind": "predict",
            "model": "base",
            "side": "predict_pipeline",
            "sentences_per_s": 10.0,
            "batch_size": 8,
            "dtype": "bf16",
            "attention": "sdpa",
        },
        {
            "kind": "predict",
            "model": "base",
            "side": "predict_ours",
            "sentences_per_s": 20.0,
            "backend": "torch",
            "precision": "bf16",
            "gate_passed": True,
        },
        {
            "kind": "predict",
            "model": "base",
            "side": "predict_onnx_fp32",
            "sentences_per_s": 25.0,
            "backend": "onnx",
            "precision": "fp32",
            "agreement": 1.0,
            "score_difference": 0.0,
            "gate_passed": True,
        },
        {
            "kind": "predict",
            "model": "base",
            "side": "predict_onnx_int8",
            "sentences_per_s": 40.0,
            "backend": "onnx",
            "precision": "int8",
            "agreement": 0.95,
            "score_difference": 0.03,
            "gate_passed": False,
        },
    ]
    demo = [
        {"kind": "demo", "side": "idle", "seconds": 30.0, "runs": [30.0]},
        {"kind": "demo", "side": "loaded", "seconds": 45.0, "runs": [45.0]},
    ]
    return train + predict + demo


def test_inference_ratio_uses_the_fastest_backend_that_passed_its_gate() -> None:
    from arastance.bench.report import ratios

    shares = ratios(_rows_with_backends(), ("base",))
    assert (
        shares["inference_backend"] == "predict_onnx_fp32" and shares["inference_vs_pipeline"] == 2.5
    )  # not the failed int8
    assert shares["inference_vs_pipeline_by_backend"] == {
        "predict_ours": 2.0,
        "predict_onnx_fp32": 2.5,
        "predict_onnx_int8": 4.0,
    }
    assert (shares["demo_seconds_idle"], shares["demo_seconds_loaded"], shares["demo_loaded_vs_idle"]) == (
        30.0,
        45.0,
        1.5,
    )
    table = markdown_table(
        {
            "command": "make bench BENCH=quick",
            "machine": {"gpu": None, "cpu": "x86", "threads": 2, "torch": "2", "transformers": "5"},
            "rows": _rows_with_backends(),
            "ratios": shares,
        }
    )
    assert "| 0.9500 | failed |" in table and "30.0 s idle, 45.0 s beside one busy process (1.50×)" in table


def test_demo_rows_run_idle_beside_busy_processes_and_with_load_arriving_later(tmp_path, monkeypatch) -> None:
    """The dry mode of the demo step: a stand-in demo that records how many busy processes were alive
    when it started and a moment later, and which thread variables it inherited."""
    import json
    import os
    import sys

    import arastance.bench.load as load

    pids = tmp_path / "pids"
    pids.mkdir()
    monkeypatch.setattr(
        load,
        "BUSY_LOOP",
        [
            sys.executable,
            "-c",
            f"import os\nopen(os.path.join({str(pids)!r}, str(os.getpid())), 'w')\nwhile True: pass",
        ],
    )
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    script = (
        "import json, os, sys, time\n"
        "def alive():\n"
        "    return sum(os.path.exists(f'/proc/{p}') and open(f'/proc/{p}/stat').read().split()[2] != 'Z'"
        " for p in os.listdir(sys.argv[2]))\n"
        "at_start = alive()\n"
        "deadline = time.monotonic() + 20\n"
        "while alive() < int(sys.argv[3]) and time.monotonic() < deadline:\n"
        "    time.sleep(0.05)\n"
        "seen = {'at_start': at_start, 'later': alive(), 'omp': os.environ.get('OMP_NUM_THREADS')}\n"
        "json.dump(seen, open(sys.argv[1], 'w'))\n"
    )
    conditions = (
        load.LoadCondition("idle", 0, None),
        load.LoadCondition("loaded", 1, None),
        load.LoadCondition("arriving_2", 2, 3.0),
    )
    reports = []

    def command(folder):
        condition = conditions[len(reports)]
        reports.append(tmp_path / f"seen-{len(reports)}.json")
        return [sys.executable, "-c", script, str(reports[-1]), str(pids), str(condition.busy)]

    rows = load.demo_rows(1, command, conditions)
    assert [r["side"] for r in rows] == ["idle", "loaded", "arriving_2"]
    assert all(r["seconds"] > 0 and len(r["runs"]) == 1 for r in rows)
    idle, loaded, arriving = (json.loads(p.read_text()) for p in reports)
    assert (idle["at_start"], idle["later"]) == (0, 0)
    assert (loaded["at_start"], loaded["later"]) == (1, 1)
    assert (arriving["at_start"], arriving["later"]) == (0, 2)  # started after the demo, not before
    assert {r["omp"] for r in (idle, loaded, arriving)} == {None}  # the demo decides its own threads
    assert not any(os.path.exists(f"/proc/{p.name}") for p in pids.iterdir())  # killed and reaped after the run


def test_demo_figures_give_every_condition_against_idle() -> None:
    from arastance.bench.load import demo_figures
    from arastance.bench.report import demo_sentence

    rows = [
        {"kind": "demo", "side": side, "seconds": seconds}
        for side, seconds in (("idle", 30.0), ("loaded", 33.0), ("arriving_1", 45.0), ("arriving_2", 60.0))
    ]
    figures = demo_figures(rows)
    assert figures["demo_arriving_1_vs_idle"] == 1.5 and figures["demo_arriving_2_vs_idle"] == 2.0
    assert demo_figures(rows[1:]) == {}
    assert "45.0 s with one busy process arriving 5 s in (1.50×)" in demo_sentence(figures)


def test_the_pipeline_is_screened_in_every_setting_and_its_finalists_timed_on_the_whole_input() -> None:
    from arastance.bench.prediction import best_setting

    screen, whole = ["s"] * 10, ["w"] * 100
    # Screened, batch 8 then 32 look fastest; on the whole input 32 wins (a screen can misorder close settings).
    rate = {(1, "screen"): 5.0, (8, "screen"): 9.0, (32, "screen"): 8.0, (8, "whole"): 6.0, (32, "whole"): 7.0}
    runs: list[tuple[int, int]] = []

    def timed(setting: dict, texts: list[str]) -> dict:
        runs.append((setting["batch_size"], len(texts)))
        return {
            "sentences": len(texts),
            "sentences_per_s": rate[setting["batch_size"], "screen" if texts is screen else "whole"],
            "batch_size": setting["batch_size"],
        }

    row = best_setting([{"batch_size": b} for b in (1, 8, 32)], timed, screen, whole, finalists=2)
    assert runs == [(1, 10), (8, 10), (32, 10), (8, 100), (32, 100)]  # batch 1 never runs on the whole input
    assert row["batch_size"] == 32 and row["sentences"] == 100 and row["sentences_per_s"] == 7.0


def test_time_to_result_rows_become_figures_and_a_phase_table() -> None:
    from arastance.bench.report import markdown_table, ratios

    rows = [
        {"kind": "demo", "side": "idle", "seconds": 30.0},
        {
            "kind": "time_to_result",
            "side": "demo_ner_tiny",
            "seconds": {"train_steps": 20.0, "checkpoint": 6.0, "startup": 2.0, "other": 2.0, "wall": 30.0},
            "overhead_share": 0.3333,
        },
    ]
    shares = ratios(rows, ())  # the load plan: no training or prediction sides
    assert shares["time_to_result_demo_ner_tiny_seconds"] == 30.0
    assert shares["time_to_result_demo_ner_tiny_overhead_share"] == 0.3333
    machine = {"gpu": None, "cpu": "x86", "threads": 2, "torch": "2", "transformers": "5"}
    table = markdown_table({"command": "make bench BENCH=load", "machine": machine, "rows": rows, "ratios": shares})
    assert "| model | training |" not in table  # no empty tables for sides that did not run
    assert "| train steps | 20.0 s (67%) |" in table and "| checkpoint | 6.0 s (20%) |" in table
    assert "| outside training and evaluation forwards | 33% |" in table


@pytest.mark.slow
def test_a_timed_train_run_gives_its_phases(tmp_path) -> None:
    from arastance.bench.time_to_result import timed_train

    block = timed_train(["experiment=demo_ner", "trainer.num_epochs=1", "data.folds=[0]"], threads=1)
    assert {"train_steps", "model_build", "held_out_predict", "startup"} <= set(block["seconds"])
    assert 0.0 < block["overhead_share"] < 1.0


def test_prediction_under_load_has_its_own_figures_and_sentence() -> None:
    from arastance.bench.load import demo_figures
    from arastance.bench.report import demo_sentence

    rows = [
        {"kind": "predict_load", "side": "idle", "seconds": 20.0},
        {"kind": "predict_load", "side": "arriving_2", "seconds": 50.0},
        {"kind": "demo", "side": "idle", "seconds": 30.0},
    ]
    figures = demo_figures(rows, "predict_load")
    assert markdown_table_of(rows, figures).count("| model | prediction |") == 0  # not a speed row
    assert figures == {
        "predict_load_seconds_idle": 20.0,
        "predict_load_seconds_arriving_2": 50.0,
        "predict_load_arriving_2_vs_idle": 2.5,
    }
    sentence = demo_sentence(figures, "predict_load", "`arastance predict` over a folder")
    assert sentence == "`arastance predict` over a folder: 20.0 s idle, 50.0 s with two arriving 5 s in (2.50×)."


def markdown_table_of(rows: list, figures: dict) -> str:
    machine = {"gpu": None, "cpu": "x86", "threads": 2, "torch": "2", "transformers": "5"}
    return markdown_table({"command": "make bench BENCH=load", "machine": machine, "rows": rows, "ratios": figures})
