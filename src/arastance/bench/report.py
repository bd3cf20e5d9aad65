"""The benchmark's figures: the machine, the ratios between sides, MFU and the markdown table (bench.md)."""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

from arastance.bench.inputs import bf16_ok
from arastance.bench.peaks import peak_bf16_flops
from arastance.bench.time_to_result import time_table

BASE_PARAMS = 85_000_000  # BERT-base without embeddings
BASE_LAYERS, BASE_HIDDEN = 12, 768


def machine(threads: int) -> dict[str, Any]:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "threads": threads,
        "torch": torch.__version__,
        "transformers": __import__("transformers").__version__,
        "bf16_autocast": bf16_ok(),
    }


def mfu(
    row: dict[str, Any], n_params: int, layers: int, hidden: int, seq: float, peak_flops: float | None
) -> float | None:
    """Model FLOPs utilisation: (6·N + 12·L·H·S) FLOPs per real token over the GPU's peak bf16 FLOP/s."""
    if not peak_flops:
        return None
    return row["real_tokens_per_s"] * (6 * n_params + 12 * layers * hidden * seq) / peak_flops


def add_mfu(rows: list[dict[str, Any]], gpu: str | None, batch_sentences: int) -> None:
    """On a GPU, each base-model training row gets its MFU (None for a GPU without a known peak)."""
    if not gpu:
        return
    peak = peak_bf16_flops(gpu)
    for row in rows:
        if row["kind"] == "train" and row["model"] == "base":
            row["mfu"] = mfu(
                row, BASE_PARAMS, BASE_LAYERS, BASE_HIDDEN, row["real_tokens_per_step"] / batch_sentences, peak
            )


def _pick(rows: list[dict[str, Any]], kind: str, model: str, side: str) -> dict[str, Any]:
    return next(r for r in rows if r["kind"] == kind and r["model"] == model and r["side"] == side)


def fastest_gated(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Our fastest prediction row whose backend passed its gate (the torch path always does)."""
    ours = [
        r for r in rows if r["kind"] == "predict" and r["side"] != "predict_pipeline" and r.get("gate_passed", True)
    ]
    return max(ours, key=lambda r: r["sentences_per_s"])


def ratios(rows: list[dict[str, Any]], models: tuple[str, ...]) -> dict[str, Any]:
    """Ours over the others, on the base-shaped model when the plan has it."""
    from arastance.bench.load import demo_figures

    if not models:
        return {**demo_figures(rows), **demo_figures(rows, "predict_load"), **time_figures(rows)}
    ref = "base" if "base" in models else models[0]
    ours = _pick(rows, "train", ref, "ours")
    pipeline = _pick(rows, "predict", "base", "predict_pipeline")["sentences_per_s"]
    best = fastest_gated(rows)
    return {
        "train_real_tokens_per_s_vs_trainer": ours["real_tokens_per_s"]
        / _pick(rows, "train", ref, "trainer_default")["real_tokens_per_s"],
        "train_real_tokens_per_s_vs_tuned_trainer": ours["real_tokens_per_s"]
        / _pick(rows, "train", ref, "trainer_tuned")["real_tokens_per_s"],
        "padded_fraction": ours["padded_fraction"],
        "inference_vs_pipeline": best["sentences_per_s"] / pipeline,
        "inference_backend": best["side"],
        "inference_vs_pipeline_by_backend": {
            r["side"]: r["sentences_per_s"] / pipeline
            for r in rows
            if r["kind"] == "predict" and r["side"] != "predict_pipeline"
        },
        **demo_figures(rows),
        **demo_figures(rows, "predict_load"),
        **time_figures(rows),
    }


def time_figures(rows: list[dict[str, Any]]) -> dict[str, float]:
    """time_to_result_<side>_seconds and _overhead_share of each whole run timed."""
    out: dict[str, float] = {}
    for r in (r for r in rows if r["kind"] == "time_to_result"):
        out[f"time_to_result_{r['side']}_seconds"] = r["seconds"]["wall"]
        out[f"time_to_result_{r['side']}_overhead_share"] = r["overhead_share"]
    return out


def markdown_table(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"Measured with `{result['command']}` on {m['gpu'] or m['cpu']}, {m['threads']} threads, torch {m['torch']}, "
        f"transformers {m['transformers']}. Same weights, data, hyper-parameters and seed on every row.",
    ]
    if any(r["kind"] == "train" for r in result["rows"]):
        lines += [
            "",
            "| model | training | real tokens/s | padded | median step | real tokens/step | peak memory |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
    for r in (r for r in result["rows"] if r["kind"] == "train"):
        lines.append(
            f"| {r['model']} | {r['side']} | {r['real_tokens_per_s']:,.0f} | {r['padded_fraction']:.1%} | "
            f"{r['median_step_s']:.3f} s | {r['real_tokens_per_step']:,.0f} | {r['peak_memory_mib']:,.0f} MiB |"
        )
    if any(r["kind"] == "predict" for r in result["rows"]):
        lines += [
            "",
            "| model | prediction | sentences/s | sentences per CPU-second | settings | agreement with torch (words) | "
            "gate |",
            "|---|---|---:|---:|---|---:|---|",
        ]
    for r in (r for r in result["rows"] if r["kind"] == "predict"):
        settings = (
            f"best of {r.get('settings_screened', 12)}{_screened(r)}: batch {r['batch_size']}, {r['dtype']}, "
            f"{r['attention']} attention"
            if "batch_size" in r
            else f"`arastance predict` on the documents, {r.get('backend', 'torch')} {r['precision']}{_padding(r)}"
        )
        agree = f"{r['agreement']:.4f}" if "agreement" in r else "–"
        gate = "–" if "batch_size" in r else ("passed" if r.get("gate_passed", True) else "failed")
        per_cpu = f"{r['sentences'] / r['cpu_seconds']:,.1f}" if r.get("cpu_seconds") else "–"
        lines.append(
            f"| {r['model']} | {r['side']} | {r['sentences_per_s']:,.1f} | {per_cpu} | {settings} | {agree} | {gate} |"
        )
    shares = result["ratios"]
    if "inference_vs_pipeline" in shares:
        lines += [
            "",
            f"Ratios (base-shaped model): training {shares['train_real_tokens_per_s_vs_trainer']:.2f}× the default "
            f"Trainer, {shares['train_real_tokens_per_s_vs_tuned_trainer']:.2f}× the tuned Trainer; our padded "
            f"fraction {shares['padded_fraction']:.1%}; prediction {shares['inference_vs_pipeline']:.2f}× the pipeline "
            f"({shares.get('inference_backend', 'predict_ours')}, the fastest that passed its gate).",
        ]
    if "demo_seconds_idle" in shares:
        lines.append(demo_sentence(shares))
    if "predict_load_seconds_idle" in shares:
        lines.append(demo_sentence(shares, "predict_load", "`arastance predict` over a folder"))
    lines += time_table(result["rows"])
    return "\n".join(lines) + "\n"


def _padding(row: dict[str, Any]) -> str:
    multiple = row.get("pad_to_multiple_of")
    return f", widths padded to ×{multiple}" if isinstance(multiple, int) and multiple > 1 else ""


def _screened(row: dict[str, Any]) -> str:
    return f" (screened on {row['screen_sentences']:,} sentences)" if "screen_sentences" in row else ""


DEMO_SIDES = {
    "loaded": "beside one busy process",
    "arriving_1": "with one busy process arriving 5 s in",
    "arriving_2": "with two arriving 5 s in",
}


def demo_sentence(shares: dict[str, Any], kind: str = "demo", what: str = "`make demo`") -> str:
    parts = [f"{shares[f'{kind}_seconds_idle']:.1f} s idle"] + [
        f"{shares[f'{kind}_seconds_{side}']:.1f} s {text} ({shares[f'{kind}_{side}_vs_idle']:.2f}×)"
        for side, text in DEMO_SIDES.items()
        if f"{kind}_seconds_{side}" in shares
    ]
    return f"{what}: " + ", ".join(parts) + "."
