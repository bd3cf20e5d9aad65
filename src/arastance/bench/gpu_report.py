"""The GPU benchmark's figures: FLOPs per token, MFU, ratios to the tuned Trainer, the table (gpu.md)."""

from __future__ import annotations

from typing import Any


def flops_per_real_token(non_embedding_params: int, layers: int, hidden: int, mean_length: float) -> float:
    """Training FLOPs per real token: 6·N for the weights (forward + backward) and 12·L·H·S for attention
    scores and their use over a sentence of S tokens (Kaplan et al.'s count). Padding is not useful work."""
    return 6 * non_embedding_params + 12 * layers * hidden * mean_length


def mfu_of(row: dict[str, Any], flops_per_token: float, peak_flops: float | None) -> float | None:
    return row["real_tokens_per_s"] * flops_per_token / peak_flops if peak_flops else None


def versus(rows: list[dict[str, Any]], reference: str) -> dict[str, float]:
    """Each row's real tokens/s over the reference row's."""
    base = next(r for r in rows if r["side"] == reference)["real_tokens_per_s"]
    return {r["side"]: r["real_tokens_per_s"] / base if base else 0.0 for r in rows}


def gpu_markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    peak = result["peak_bf16_flops"]
    ratios = versus(result["rows"], "trainer_tuned")
    lines = [
        f"Measured with `{result['command']}` on {m['gpu'] or m['cpu'] + ' (CPU: a dry run, figures meaningless)'}, torch {m['torch']}, "
        f"transformers {m['transformers']}. FLOPs per real token: {result['flops_per_real_token']:.3g} "
        f"({result['flops_formula']}; S = {result['mean_sentence_tokens']:.1f}); peak bf16: "
        f"{f'{peak / 1e12:.0f} TFLOP/s' if peak else 'unknown for this device (no MFU)'}.",
        "",
        "| side | real tokens/s | MFU | × tuned Trainer | padded | median step | real tokens/step | peak memory | syncs/step |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        mfu = f"{r['mfu']:.1%}" if r.get("mfu") is not None else "–"
        lines.append(
            f"| {r['side']} | {r['real_tokens_per_s']:,.0f} | {mfu} | {ratios[r['side']]:.2f}× | {r['padded_fraction']:.1%} | "
            f"{r['median_step_s'] * 1000:.1f} ms | {r['real_tokens_per_step']:,.0f} | {r['peak_memory_mib']:,.0f} MiB | "
            f"{r.get('syncs_per_step', float('nan')):.2f} |"
        )
    counted_by = next((r["syncs_counted_by"] for r in result["rows"] if "syncs_counted_by" in r), "")
    lines += ["", f"Syncs counted by {counted_by}, over the timed steps but the last; our loop reads its losses every "
              f"{result['plan']['log_steps']} steps."]
    return "\n".join(lines) + "\n"
