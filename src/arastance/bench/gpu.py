"""`make bench-gpu` / `arastance bench --mode gpu`: the training sides on one CUDA device.

Rows, each in its own subprocess, all on the random-init AraBERT-shaped model (bench.inputs.BASE_SHAPE,
no hub) with the gold NER sentences repeated to a few thousand, the same optimiser settings and seed:

- trainer_default / trainer_tuned: `transformers.Trainer` at its defaults, and with length grouping,
  bf16 and tf32 (bench.training), batches of `batch_sentences` sentences;
- ours_eager: our loop at the token budget that gives the Trainer's steps per epoch;
- ours_compiled: the same with `torch.compile`, widths bucketed to `compile_pad_multiple` (rows are
  marked dynamic by the loop, so about one graph per width);
- ours_budget_4k / 16k / 64k: our loop (eager) at those tokens per step, rows uncapped.

Figures: real (non-pad) tokens/s over the timed steps, MFU (FLOPs per real token stated in the
report, peak from bench.peaks), peak memory, and syncs per step: torch's own count with
`torch.cuda.set_sync_debug_mode("warn")`. `--dry-run` runs the same code on the CPU in seconds (tiny
model and shapes, workers in this process, `torch.compile` with the eager backend, the host-read
counter for syncs) so the tests keep it from rotting; its figures mean nothing.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from arastance.bench.gpu_report import flops_per_real_token, gpu_markdown, mfu_of
from arastance.bench.inputs import HYPER, encoded_windows
from arastance.bench.peaks import peak_bf16_flops
from arastance.errors import UserError
from arastance.runs.layout import write_json, write_text


@dataclass(frozen=True)
class GpuPlan:
    repeat: int  # gold repetitions: 105 sentences × repeat
    batch_sentences: int  # the Trainer's batch; our eager/compiled rows match its steps per epoch
    # Not timed (CUDA start-up, compilation); a multiple of log_steps. At 64-token buckets this corpus
    # has two widths (64, 128): 30 steps see both with ~99% probability, so no compilation is timed.
    warmup_steps: int
    steps: int  # timed optimizer steps of the Trainer and matched rows
    budget_steps: int  # timed optimizer steps of each token-budget row
    log_steps: int  # our loop reads its losses (and is timed) once per this many steps
    budgets: tuple[int, ...]
    compile_pad_multiple: int
    model: str  # bench model: "base" (AraBERT-shaped) or "tiny"
    compile_backend: str
    in_process: bool  # run the workers here instead of one subprocess each


GPU_PLANS = {
    "gpu": GpuPlan(repeat=30, batch_sentences=32, warmup_steps=30, steps=200, budget_steps=60, log_steps=10,
                   budgets=(4096, 16384, 65536), compile_pad_multiple=64, model="base", compile_backend="inductor", in_process=False),
    "dry-run": GpuPlan(repeat=2, batch_sentences=8, warmup_steps=2, steps=4, budget_steps=2, log_steps=2,
                       budgets=(256, 512, 1024), compile_pad_multiple=32, model="tiny", compile_backend="eager", in_process=True),
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
    sides = [
        Side("trainer_default", "trainer_default", f"Trainer defaults (fp32, random batches of {plan.batch_sentences})"),
        Side("trainer_tuned", "trainer_tuned", "Trainer tuned (group_by_length, bf16, tf32)"),
        Side("ours_eager", "ours", "our loop, eager, token budget matching the Trainer's steps", loop),
        Side("ours_compiled", "ours", f"our loop, torch.compile, widths padded to {plan.compile_pad_multiple}",
             loop | {"compile": True, "pad_to_multiple_of": plan.compile_pad_multiple}),
    ]
    for budget in plan.budgets:
        sides.append(Side(f"ours_budget_{_tokens_name(budget)}", "ours", f"our loop, eager, {budget} tokens per step",
                          loop | {"max_tokens": budget, "max_rows": budget}, budget_row=True))
    return sides


def _tokens_name(tokens: int) -> str:
    return f"{tokens // 1024}k" if tokens % 1024 == 0 else str(tokens)


def side_spec(side: Side, plan: GpuPlan, model_dir: Path) -> dict[str, Any]:
    timed = plan.budget_steps if side.budget_row else plan.steps
    return {
        "side": side.worker, "model_dir": str(model_dir), "repeat": plan.repeat, "batch_sentences": plan.batch_sentences,
        "warmup": plan.warmup_steps, "steps": plan.warmup_steps + timed, "overrides": side.overrides,
        "count_syncs": True, "compile_backend": plan.compile_backend,
    }


def model_shape(model_dir: Path) -> dict[str, int]:
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    return {"layers": int(config["num_hidden_layers"]), "hidden": int(config["hidden_size"])}


def run_side(spec: dict[str, Any], plan: GpuPlan, threads: int) -> dict[str, Any]:
    from arastance.bench.run import WORKERS, run_worker

    if not plan.in_process:
        return run_worker(spec, threads)
    from arastance.training.run import _reset_single_process_state

    _reset_single_process_state()  # Accelerate's per-process state: each side starts clean
    return WORKERS[spec["side"]](spec)


def run_gpu_bench(dry_run: bool, threads: int, out: Path) -> dict[str, Any]:
    import torch

    from arastance.bench.inputs import ROOT, bench_tiny_model
    from arastance.bench.report import machine
    from arastance.bench.run import bench_models

    if not dry_run and not torch.cuda.is_available():
        raise UserError("arastance bench --mode gpu: no CUDA device (torch.cuda.is_available() is False); "
                        "run it on a GPU machine, or add --dry-run for the CPU check of the same code")
    plan = GPU_PLANS["dry-run" if dry_run else "gpu"]
    out.mkdir(parents=True, exist_ok=True)
    # The dry run needs only the tiny model, not the 0.5 GB AraBERT-shaped one.
    model_dir = bench_tiny_model(ROOT / ".cache") if plan.model == "tiny" else bench_models()[plan.model]
    rows = []
    for side in gpu_sides(plan):
        print(f"[bench-gpu] {side.name:16s} …", flush=True)
        result = run_side(side_spec(side, plan, model_dir), plan, threads)
        rows.append({"side": side.name, "description": side.description, **result})
        print(f"[bench-gpu]   {result['real_tokens_per_s']:,.0f} real tokens/s, {result.get('syncs_per_step', 0):.2f} syncs/step", flush=True)

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    mean_length = statistics.mean(len(w) for w in encoded_windows(model_dir, 1)[2])
    flops = flops_per_real_token(rows[0]["non_embedding_params"], **model_shape(model_dir), mean_length=mean_length)
    peak = peak_bf16_flops(device)
    for row in rows:
        row["mfu"] = mfu_of(row, flops, peak)
    result = {
        "command": "arastance bench --mode gpu --dry-run" if dry_run else "make bench-gpu",
        "dry_run": dry_run,
        "machine": machine(threads),
        "peak_bf16_flops": peak,
        "flops_per_real_token": flops,
        "flops_formula": "6·N + 12·L·H·S: N non-embedding parameters, L layers, H hidden size, S mean real sentence length (tokens)",
        "mean_sentence_tokens": mean_length,
        "plan": asdict(plan),
        "hyper_parameters": HYPER,
        "rows": rows,
    }
    write_json(out / "gpu.json", result)
    write_text(out / "gpu.md", gpu_markdown(result))
    return result
