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
    """Each measured row's real tokens/s over the reference row's (empty if the reference failed)."""
    base = next((r["real_tokens_per_s"] for r in rows if r["side"] == reference and "error" not in r), 0.0)
    return {r["side"]: r["real_tokens_per_s"] / base for r in rows if base and "error" not in r}


def best_of(rows: list[dict[str, Any]], prefix: str) -> dict[str, Any] | None:
    """The fastest measured row whose side starts with `prefix` (budget rows excluded: other tokens per step)."""
    candidates = [r for r in rows if r["side"].startswith(prefix) and not r.get("budget_row") and "error" not in r]
    return max(candidates, key=lambda r: r["real_tokens_per_s"], default=None)


def headline(rows: list[dict[str, Any]]) -> str:
    """Our best row against the Trainer's best, at the same tokens per optimizer step."""
    ours, trainer = best_of(rows, "ours"), best_of(rows, "trainer")
    if not ours or not trainer or not trainer["real_tokens_per_s"]:
        return "Our best against the Trainer's best: not measured (a side failed)."
    return (
        f"At the same tokens per optimizer step, our best ({ours['side']}) is "
        f"{ours['real_tokens_per_s'] / trainer['real_tokens_per_s']:.2f}× the Trainer's best ({trainer['side']})."
    )


def error_summary(row: dict[str, Any]) -> str:
    """The last line of a failed side's error (a traceback's last line says what went wrong)."""
    text = row["error"].strip()
    return text.splitlines()[-1] if text else "?"


def _row_line(r: dict[str, Any], ratios: dict[str, float]) -> str:
    if "error" in r:
        return f"| {r['side']} | failed: {error_summary(r)[:120].replace('|', '/')} | | | | | | | | | |"
    mfu = f"{r['mfu']:.1%}" if r.get("mfu") is not None else "–"
    ratio = f"{ratios[r['side']]:.2f}×" if r["side"] in ratios else "–"
    wall = f"{r['side_seconds']:.0f} s" if "side_seconds" in r else "–"
    return (
        f"| {r['side']} | {r['real_tokens_per_s']:,.0f} | {mfu} | {ratio} | {r['padded_fraction']:.1%} | "
        f"{r['median_step_s'] * 1000:.1f} ms | {r['real_tokens_per_step']:,.0f} | {r['peak_memory_mib']:,.0f} MiB | "
        f"{r.get('syncs_per_step', float('nan')):.2f} | {r.get('compiled_graphs', '–')} | {wall} |"
    )


def gpu_markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    peak = result["peak_bf16_flops"]
    flops = result["flops_per_real_token"]
    ratios = versus(result["rows"], "trainer_tuned")
    lines = [
        f"Measured with `{result['command']}` on {m['gpu'] or m['cpu'] + ' (CPU: a dry run, figures meaningless)'}, "
        f"torch {m['torch']}, transformers {m['transformers']}. FLOPs per real token: "
        f"{f'{flops:.3g}' if flops else '–'} ({result['flops_formula']}; S = {result['mean_sentence_tokens']:.1f}); "
        f"peak bf16: {f'{peak / 1e12:.0f} TFLOP/s' if peak else 'unknown for this device (no MFU)'}.",
        "",
        "| side | real tokens/s | MFU | × tuned Trainer | padded | median step | real tokens/step | peak memory | "
        "syncs/step | compiled graphs | side's wall time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [_row_line(r, ratios) for r in result["rows"]]
    counted_by = next((r["syncs_counted_by"] for r in result["rows"] if "syncs_counted_by" in r), "")
    lines += [
        "",
        headline(result["rows"]),
        "",
        f"Syncs counted by {counted_by}, per optimizer step over the timed steps but the last; our loop reads its "
        f"losses every {result['plan']['log_steps']} steps. A side's wall time covers its start-up, encoding, "
        "compilation and every step.",
    ]
    return "\n".join(lines) + "\n"
