"""`make bench-gpu` / `arastance bench --mode gpu`: the training sides on one CUDA device.

Rows, each in its own subprocess, all on the random-init AraBERT-shaped model (bench.inputs.BASE_SHAPE,
no hub) with the gold NER sentences repeated to a few thousand, the same optimiser settings and seed:

- trainer_default / trainer_tuned: `transformers.Trainer` at its defaults, and with length grouping,
  bf16 and tf32 (bench.training); batches of `batch_sentences` sentences;
- ours_eager: our loop at the token budget that gives the Trainer's steps per epoch;
- ours_budget_4k / 16k / 64k: our loop (eager) at those tokens per optimizer step, one micro-batch
  each, on the gold repeated `budget_repeat` times: a 64k-token batch of a few thousand short
  sentences spans so many lengths that a third of it is padding, of tens of thousands a seventh;
- then, since compiling takes minutes: ours_compiled, our loop with `torch.compile` by regions
  (trainer.compile_scope=regions: the 12 encoder layers share one graph, so a cold compile is a
  fraction of the whole model's; batch sizes dynamic, so one set of graphs serves every shape);
  ours_cuda_graphs, the same replaying CUDA graphs (`reduce-overhead`; widths padded to 64 so that a
  few shapes repeat: the measured eager step spent 41 ms issuing kernels that the GPU ran in 6);
  trainer_tuned_compiled, the tuned Trainer with its `torch_compile`; ours_compiled_budget_64k, the
  compiled loop at the largest budget (the MFU target's best chance); ours_compiled_unpadded, without
  rounding widths up to 8; ours_compiled_model, the whole model as one graph.

Figures: real (non-pad) tokens/s over the timed steps, MFU (FLOPs per real token stated in the
report, peak from bench.peaks), peak memory, syncs per optimizer step (torch's own count with
`torch.cuda.set_sync_debug_mode("warn")`), the graphs torch.compile built and the side's wall time
(start-up and compilation included). A side that fails is recorded with its error and the others
still run. The run keeps to `time_budget_s`: each side may take what is left of it, a side still
running then is stopped and recorded as such, and sides with no time left are recorded as not run (so
a slow compilation costs its own row, not the cheaper rows before it). gpu.json and gpu.md are
rewritten after every side, so a run cut short keeps what it measured.
`--dry-run` runs the same code on the CPU in seconds (tiny model and shapes, workers in this process,
`torch.compile` with the eager backend, the host-read counter for syncs) so the tests keep it from
rotting; its figures mean nothing.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from arastance.bench.gpu_report import error_summary, flops_per_real_token, gpu_markdown, mfu_of
from arastance.bench.inputs import HYPER, encoded_windows
from arastance.bench.peaks import peak_bf16_flops
from arastance.errors import UserError
from arastance.writer import write_json, write_text


@dataclass(frozen=True)
class GpuPlan:
    repeat: int  # gold repetitions: 105 sentences × repeat
    batch_sentences: int  # the Trainer's batch; our matched rows match its steps per epoch
    # Not timed (CUDA start-up, compilation of both graphs: batches with and without padding); a
    # multiple of log_steps.
    warmup_steps: int
    steps: int  # timed optimizer steps of the Trainer and matched rows
    budget_steps: int  # timed optimizer steps of each token-budget row
    budget_repeat: int  # gold repetitions for the token-budget rows (big batches need many sentences of each length)
    log_steps: int  # our loop reads its losses (and is timed) once per this many steps
    budgets: tuple[int, ...]  # tokens per optimizer step
    model: str  # bench model: "base" (AraBERT-shaped) or "tiny"
    compile_backend: str
    in_process: bool  # run the workers here instead of one subprocess each
    time_budget_s: (
        float | None
    )  # the whole run's wall time; sides past it are stopped or not run (subprocess workers only)
    min_side_s: float  # a side is not started with less time than this left


GPU_PLANS = {
    "gpu": GpuPlan(
        repeat=30,
        batch_sentences=32,
        warmup_steps=30,
        steps=200,
        budget_steps=60,
        budget_repeat=300,
        log_steps=10,
        budgets=(4096, 16384, 65536),
        model="base",
        compile_backend="inductor",
        in_process=False,
        time_budget_s=450,
        min_side_s=40,
    ),
    "dry-run": GpuPlan(
        repeat=2,
        batch_sentences=8,
        warmup_steps=2,
        steps=4,
        budget_steps=2,
        budget_repeat=4,
        log_steps=2,
        budgets=(256, 512, 1024),
        model="tiny",
        compile_backend="eager",
        in_process=True,
        time_budget_s=None,
        min_side_s=0,
    ),
}


@dataclass(frozen=True)
class Side:
    name: str
    worker: str  # a key of bench.run.WORKERS
    description: str
    overrides: dict[str, Any] = field(default_factory=dict)
    budget_row: bool = False


def gpu_sides(plan: GpuPlan) -> list[Side]:
    loop = {"log_steps": plan.log_steps}
    compiled = loop | {"compile": True}
    sides = [
        Side(
            "trainer_default", "trainer_default", f"Trainer defaults (fp32, random batches of {plan.batch_sentences})"
        ),
        Side("trainer_tuned", "trainer_tuned", "Trainer tuned (group_by_length, bf16, tf32)"),
        Side("ours_eager", "ours", "our loop, eager, token budget matching the Trainer's steps", loop),
    ]
    for budget in plan.budgets:
        sides.append(
            Side(
                f"ours_budget_{_tokens_name(budget)}",
                "ours",
                f"our loop, eager, {budget} tokens per step",
                loop | {"max_tokens": budget, "max_rows": budget},
                budget_row=True,
            )
        )
    top = max(plan.budgets)
    return [
        *sides,
        Side(
            "ours_compiled",
            "ours",
            "our loop, torch.compile by regions (batch sizes dynamic), same budget as ours_eager",
            compiled,
        ),
        Side(
            "ours_cuda_graphs",
            "ours",
            "the same with CUDA graphs (mode reduce-overhead), widths padded to 64 so that shapes repeat",
            compiled | {"compile_mode": "reduce-overhead", "pad_to_multiple_of": 64},
        ),
        Side("trainer_tuned_compiled", "trainer_tuned", "Trainer tuned + its torch_compile", {"torch_compile": True}),
        Side(
            f"ours_compiled_budget_{_tokens_name(top)}",
            "ours",
            f"our loop, torch.compile by regions, {top} tokens per step",
            compiled | {"max_tokens": top, "max_rows": top},
            budget_row=True,
        ),
        Side(
            "ours_compiled_unpadded",
            "ours",
            "ours_compiled without rounding widths up to 8",
            compiled | {"pad_to_multiple_of": 1},
        ),
        Side(
            "ours_compiled_model",
            "ours",
            "ours_compiled with the whole model as one graph (trainer.compile_scope=model)",
            compiled | {"compile_scope": "model"},
        ),
    ]


def _tokens_name(tokens: int) -> str:
    return f"{tokens // 1024}k" if tokens % 1024 == 0 else str(tokens)


def side_spec(side: Side, plan: GpuPlan, model_dir: Path) -> dict[str, Any]:
    timed = plan.budget_steps if side.budget_row else plan.steps
    overrides = dict(side.overrides)
    if overrides.get("torch_compile"):
        overrides["torch_compile_backend"] = plan.compile_backend  # the Trainer's compiler: the same as ours
    return {
        "side": side.worker,
        "model_dir": str(model_dir),
        "repeat": plan.budget_repeat if side.budget_row else plan.repeat,
        "batch_sentences": plan.batch_sentences,
        "warmup": plan.warmup_steps,
        "steps": plan.warmup_steps + timed,
        "overrides": overrides,
        "count_syncs": True,
        "compile_backend": plan.compile_backend,
    }


def model_shape(model_dir: Path) -> dict[str, int]:
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    return {"layers": int(config["num_hidden_layers"]), "hidden": int(config["hidden_size"])}


def run_side(spec: dict[str, Any], plan: GpuPlan, threads: int, timeout_s: float | None) -> dict[str, Any]:
    from arastance.bench.run import WORKERS, run_worker

    if not plan.in_process:
        return run_worker(spec, threads, timeout_s)
    from arastance.training.run import _reset_single_process_state

    _reset_single_process_state()  # Accelerate's per-process state: each side starts clean
    return WORKERS[spec["side"]](spec)


def measured_side(
    side: Side, plan: GpuPlan, model_dir: Path, threads: int, seconds_left: float | None
) -> dict[str, Any]:
    """One side's row; a side that fails (out of memory, a compiler error, the time budget) becomes a row
    with its error, so that one broken side costs its own figures, not the whole run's."""
    row: dict[str, Any] = {"side": side.name, "description": side.description, "budget_row": side.budget_row}
    if seconds_left is not None and seconds_left < plan.min_side_s:
        return row | {"error": f"not run: {seconds_left:.0f} s left of the bench's {plan.time_budget_s:.0f} s"}
    started = time.monotonic()
    try:
        row |= run_side(side_spec(side, plan, model_dir), plan, threads, seconds_left)
        row["side_seconds"] = time.monotonic() - started  # start-up, encoding, compilation and every step
    except Exception as error:
        row["error"] = str(error)[-2000:]
    return row


def finished_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if "error" not in r]


def gpu_result(
    rows: list[dict[str, Any]], plan: GpuPlan, model_dir: Path, mean_length: float, dry_run: bool, threads: int
) -> dict[str, Any]:
    import torch

    from arastance.bench.report import machine

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    measured = finished_rows(rows)
    flops = (
        flops_per_real_token(measured[0]["non_embedding_params"], **model_shape(model_dir), mean_length=mean_length)
        if measured
        else None
    )
    peak = peak_bf16_flops(device)
    for row in measured:
        row["mfu"] = mfu_of(row, flops, peak) if flops else None
    return {
        "command": "arastance bench --mode gpu --dry-run" if dry_run else "make bench-gpu",
        "dry_run": dry_run,
        "machine": machine(threads),
        "peak_bf16_flops": peak,
        "flops_per_real_token": flops,
        "flops_formula": (
            "6·N + 12·L·H·S: N non-embedding parameters, L layers, H hidden size, S mean real sentence length (tokens)"
        ),
        "mean_sentence_tokens": mean_length,
        "plan": asdict(plan),
        "hyper_parameters": HYPER,
        "rows": rows,
    }


def run_gpu_bench(dry_run: bool, threads: int, out: Path) -> dict[str, Any]:
    import torch

    from arastance.bench.inputs import ROOT, bench_tiny_model
    from arastance.bench.run import bench_models

    if not dry_run and not torch.cuda.is_available():
        raise UserError(
            "arastance bench --mode gpu: no CUDA device (torch.cuda.is_available() is False); "
            "run it on a GPU machine, or add --dry-run for the CPU check of the same code"
        )
    plan = GPU_PLANS["dry-run" if dry_run else "gpu"]
    out.mkdir(parents=True, exist_ok=True)
    # The dry run needs only the tiny model, not the 0.5 GB AraBERT-shaped one.
    model_dir = bench_tiny_model(ROOT / ".cache") if plan.model == "tiny" else bench_models()[plan.model]
    mean_length = statistics.mean(
        len(w) for w in encoded_windows(model_dir, 1)[1]
    )  # once: the report is rewritten per side
    rows: list[dict[str, Any]] = []
    deadline = time.monotonic() + plan.time_budget_s if plan.time_budget_s else None
    for side in gpu_sides(plan):
        print(f"[bench-gpu] {side.name:22s} …", flush=True)
        row = measured_side(side, plan, model_dir, threads, deadline - time.monotonic() if deadline else None)
        rows.append(row)
        if "error" in row:
            print(f"[bench-gpu]   failed: {error_summary(row)}", flush=True)
        else:
            print(
                f"[bench-gpu]   {row['real_tokens_per_s']:,.0f} real tokens/s, {row.get('syncs_per_step', 0):.2f} "
                "syncs/step",
                flush=True,
            )
        result = gpu_result(rows, plan, model_dir, mean_length, dry_run, threads)
        write_json(out / "gpu.json", result)
        write_text(out / "gpu.md", gpu_markdown(result))
    return result
