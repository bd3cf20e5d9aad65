"""Run every split of a config (one, or one per CV fold) and pool the held-out predictions."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from arastance.evaluation.metrics import ner_metrics, stance_metrics
from arastance.evaluation.pooling import align, fold_dirs, read_predictions
from arastance.errors import UserError
from arastance.schema import Schema
from arastance.training.data import load_gold, splits_from_config
from arastance.training.run import train_split, write_json

log = logging.getLogger("arastance.train")


def run_all(cfg: Any, schema: Schema, config_yaml: str) -> dict[str, Any]:
    docs = load_gold(cfg.paths.gold_dir, cfg.paths.documents_dir, schema)
    corpus_texts = [d.text for d in docs]
    splits = splits_from_config(cfg.data, [d.doc_id for d in docs])
    run_dir = Path(cfg.run_dir)
    refuse_to_overwrite(run_dir, bool(cfg.resume))
    run_dir.mkdir(parents=True, exist_ok=True)
    if len(splits) == 1 and splits[0].name == "fixed":
        return train_split(cfg, splits[0], docs, schema, run_dir, corpus_texts, config_yaml)
    for split in splits:
        fold_dir = run_dir / split.name
        if cfg.resume and (fold_dir / "metrics.json").is_file():
            log.info("%s already finished: skipped on resume", split.name)
            continue
        train_split(cfg, split, docs, schema, fold_dir, corpus_texts, config_yaml)
    if not _is_main_process():
        return {}
    metrics = pooled_metrics(run_dir, docs, schema, cfg.task.name)
    metrics["config"] = {"task": cfg.task.name, "model": cfg.model.name, "seed": int(cfg.seed)}
    write_json(run_dir / "metrics.json", metrics)
    (run_dir / "config.yaml").write_text(config_yaml, encoding="utf-8")
    return metrics


def refuse_to_overwrite(run_dir: Path, resume: bool) -> None:
    """A finished or interrupted run is never silently mixed with a new one."""
    if resume or not run_dir.is_dir():
        return
    leftovers = [p.name for p in run_dir.iterdir() if p.name in {"metrics.json", "checkpoints", "best"} or p.name.startswith("fold-")]
    if leftovers:
        raise UserError(
            f"run_dir {run_dir} already holds a run ({', '.join(sorted(leftovers))}); "
            "pass resume=true to continue it, or choose another run_dir"
        )


def pooled_metrics(run_dir: Path, docs: list, schema: Schema, task: str) -> dict[str, Any]:
    """Micro scores over all folds' held-out predictions, plus each label's mean ± std across folds."""
    folds = fold_dirs(run_dir)
    per_fold = [json.loads((f / "metrics.json").read_text(encoding="utf-8")) for f in folds]
    sentences = [s for f in folds for s in align(read_predictions(f / "predictions.jsonl"), docs, task)]
    if task == "ner":
        pooled = ner_metrics([s.gold_tags for s in sentences], [s.pred_tags for s in sentences], schema.entity_labels)
        spread = _spread([m["ner"]["per_label"] for m in per_fold], "f1", [m["ner"]["micro"]["f1"] for m in per_fold])
    else:
        doc_gold = [m for f in folds for m in _doc_stances(f, docs)]
        pooled = stance_metrics(
            [s.gold_stance for s in sentences], [s.pred_stance for s in sentences], schema.stance_classes,
            [g for g, _ in doc_gold], [p for _, p in doc_gold],
        )
        spread = _spread([m["stance"]["per_label"] for m in per_fold], "f1", [m["stance"]["macro_f1"] for m in per_fold])
    pooled["folds"] = spread
    return {task: pooled, "final": {"folds": len(folds), "train_loss": float(np.mean([m["final"]["train_loss"] for m in per_fold])),
                                    "step": int(sum(m["final"]["step"] for m in per_fold))}}


def _doc_stances(fold: Path, docs: list) -> list[tuple[str, str]]:
    gold = {d.doc_id: d.doc_stance for d in docs}
    return [(gold[r["doc_id"]], r["doc_stance"]) for r in read_predictions(fold / "predictions.jsonl") if "doc_stance" in r]


def _spread(per_label: list[dict[str, dict[str, float]]], key: str, headline: list[float]) -> dict[str, Any]:
    labels = sorted({label for fold in per_label for label in fold})
    table = {}
    for label in labels:
        # A fold whose test document has no gold mention of a label says nothing about it.
        values = [fold[label][key] for fold in per_label if label in fold and fold[label].get("support", 0) > 0]
        table[label] = {"mean": float(np.mean(values)) if values else 0.0, "std": float(np.std(values)) if values else 0.0, "n_folds": len(values)}
    return {"per_label": table, "headline": {"mean": float(np.mean(headline)), "std": float(np.std(headline)), "values": headline}}


def _is_main_process() -> bool:
    import os

    return int(os.environ.get("RANK", "0")) == 0
