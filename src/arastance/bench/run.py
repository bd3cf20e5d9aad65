"""The benchmark driver: each side in its own subprocess, then bench.json and bench.md.

A subprocess per side gives each a clean peak memory and no warm caches shared with another side.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from arastance.bench.inputs import (
    BASE_SHAPE,
    HYPER,
    PLANS,
    ROOT,
    Plan,
    bench_base_model,
    bench_tiny_model,
    encoded_windows,
)
from arastance.bench.load import demo_rows
from arastance.bench.load import predict_rows as load_predict_rows
from arastance.bench.prediction import worker_predict_export, worker_predict_ours, worker_predict_pipeline
from arastance.bench.report import add_mfu, machine, markdown_table, ratios
from arastance.bench.time_to_result import time_rows
from arastance.bench.training import worker_ours, worker_trainer
from arastance.models.threads import read_policy
from arastance.writer import write_json, write_text

WORKERS = {
    "ours": worker_ours,
    "trainer_default": worker_trainer,
    "trainer_tuned": worker_trainer,
    "predict_ours": worker_predict_ours,
    "predict_export": worker_predict_export,
    "predict_pipeline": worker_predict_pipeline,
}


def run_worker(spec: dict[str, Any], threads: int, timeout_s: float | None = None) -> dict[str, Any]:
    # The thread count is the bench's; the wait policy is the one every command gets (models/threads.py).
    wait = read_policy().wait_policy
    env = {
        **({"OMP_WAIT_POLICY": wait.upper()} if wait else {}),
        **os.environ,
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "arastance.bench", "--worker", json.dumps(spec), "--threads", str(threads)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"bench worker {spec['side']} stopped: still running after {timeout_s:.0f} s") from None
    if done.returncode != 0:
        raise RuntimeError(f"bench worker {spec['side']} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_models() -> dict[str, Path]:
    """The tiny model and a BERT-base-shaped one with its tokenizer, cached under .cache/."""
    cache = ROOT / ".cache"
    tiny = bench_tiny_model(cache)
    base = bench_base_model(tiny, cache / f"bench-bert-base-shaped-{tiny.name}")
    return {"tiny": tiny, "base": base, "base_trained": base.with_name(f"{base.name}-trained")}


def train_rows(plan: Plan, models: dict[str, Path], threads: int, cuda: bool) -> list[dict[str, Any]]:
    rows = []
    for name in plan.models:
        epoch_steps = -(-len(encoded_windows(models[name], plan.repeat)[1]) // plan.batch_sentences)
        sides = ["trainer_default", "trainer_tuned", "ours"]
        if cuda:
            sides.append("ours_compiled")
        for side in sides:
            spec = {
                "side": "ours" if side == "ours_compiled" else side,
                "model_dir": str(models[name]),
                "repeat": plan.repeat,
                "batch_sentences": plan.batch_sentences,
                "warmup": plan.warmup_steps,
                "steps": plan.warmup_steps + (plan.default_trainer_steps if side == "trainer_default" else epoch_steps),
                "overrides": {"compile": True, "pad_to_multiple_of": 64} if side == "ours_compiled" else {},
            }
            if side == "ours" and name == "base":
                spec["save_to"] = str(models["base_trained"])
            print(f"[bench] train {name:4s} {side:16s} …", flush=True)
            result = run_worker(spec, threads)
            rows.append({"kind": "train", "model": name, "side": side, **result})
            print(
                f"[bench]   {result['real_tokens_per_s']:,.0f} real tokens/s, padded {result['padded_fraction']:.1%}",
                flush=True,
            )
    return rows


def variant_side(variant: str) -> str:
    """The bench row of an exported variant: predict_onnx_fp32, predict_onnx_int8, predict_openvino_int8."""
    from arastance.models.onnx_backend import VARIANTS

    backend = VARIANTS[variant].backend
    return f"predict_{backend}_{variant.removeprefix(backend + '-')}"


def predict_rows(plan: Plan, models: dict[str, Path], threads: int) -> list[dict[str, Any]]:
    """The pipeline, our torch path and each exported variant (ONNX Runtime, OpenVINO) on the base-shaped model,
    trained by this bench's training rows when they ran (the gate needs a trained model), with each backend's gate."""
    trained = models["base_trained"]
    model_dir = trained if (trained / "config.json").is_file() else models["base"]
    folder = ROOT / ".cache" / "bench-predict-published"
    shutil.rmtree(folder, ignore_errors=True)
    print("[bench] predict base: export to ONNX and gate against torch …", flush=True)
    gate = run_worker({"side": "predict_export", "model_dir": str(model_dir), "folder": str(folder)}, threads)
    common = {"model": "base", "weights": "trained" if model_dir == trained else "random"}
    rows = []
    sides = [("predict_pipeline", None), ("predict_ours", None)] + [("predict_ours", v) for v in gate["variants"]]
    for side, variant in sides:
        spec = {
            "side": side,
            "model_dir": str(model_dir),
            "folder": str(folder),
            "repeat": plan.predict_repeat,
            "variant": variant,
            "screen_repeat": plan.pipeline_screen_repeat,
            "finalists": plan.pipeline_finalists,
        }
        print(f"[bench] predict base {side} {variant or ''} …", flush=True)
        result = run_worker(spec, threads)
        figures = gate["variants"].get(variant) if variant else None
        gated = (
            {
                "agreement": figures["agreement"],
                "score_difference": figures["score_difference"],
                "gate_passed": figures["passed"],
            }
            if figures
            else {"gate_passed": True}
        )
        rows.append(
            {"kind": "predict", **common, "side": side if variant is None else variant_side(variant), **result, **gated}
        )
        print(f"[bench]   {result['sentences_per_s']:,.1f} sentences/s", flush=True)
    return rows


def run_bench(mode: str, threads: int, out: Path) -> dict[str, Any]:
    import torch

    plan = PLANS[mode]
    out.mkdir(parents=True, exist_ok=True)
    models = bench_models()
    shutil.rmtree(models["base_trained"], ignore_errors=True)  # predict on what this run trained, never an old copy
    rows = train_rows(plan, models, threads, torch.cuda.is_available())
    rows += predict_rows(plan, models, threads) if plan.models else []
    rows += demo_rows(plan.demo_repeats) if plan.demo_repeats else []
    rows += load_predict_rows(plan.demo_repeats, plan.predict_load_copies) if plan.predict_load_copies else []
    rows += time_rows(models["base"], plan.run_max_steps, threads) if plan.run_max_steps else []
    shares = ratios(rows, plan.models)
    add_mfu(rows, torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, plan.batch_sentences)
    result = {
        "mode": mode,
        "command": f"make bench BENCH={mode}" if mode != "full" else "make bench",
        "machine": machine(threads),
        "plan": plan.__dict__ | {"models": list(plan.models)},
        "hyper_parameters": HYPER,
        "base_shape": BASE_SHAPE,
        "rows": rows,
        "ratios": shares,
    }
    write_json(out / "bench.json", result)
    write_text(out / "bench.md", markdown_table(result))
    return result
