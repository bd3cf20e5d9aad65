"""A training run folder → a self-contained model folder that plain `transformers` loads.

Run folders (arastance.training): RUN/config.yaml (resolved hydra config), RUN/metrics.json,
RUN/best/ (save_pretrained model + tokenizer), and for cross-validation RUN/fold-K/ with the same
inside, RUN/metrics.json then being pooled over folds. The evaluation harness may add
RUN/report/metrics.json with confidence intervals; the card prefers it.

The published folder: the model and tokenizer files of one best/, the tokenizer with
`model_max_length` set, `config.json` whose id2label/label2id are checked against schema.yaml,
`training_config.yaml`, `metrics.json`, `schema.yaml` (so `arastance predict` works outside the
repository) and the model card README.md. It is built in a sibling temporary folder and renamed into
place, so an interrupted publish never leaves half a folder behind.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arastance.errors import UserError
from arastance.publish.card import CardFacts, DocFacts, baseline_line, dig, headlines, point_and_ci, score_rows
from arastance.runs.layout import METRICS, PUBLISHED_MARKER, RunDir, fold_name, read_json_object
from arastance.runs.state import FINISHED_RUN, require
from arastance.schema import Schema
from arastance.settings import PathSettings, RunSettings, read_saved_config
from arastance.tasks import get_task
from arastance.writer import building_folder, copy_file, write_json, write_text

# What from_pretrained wrote about the *training* machine's loading; meaningless (or, for
# local_files_only, harmful) for whoever loads the published folder.
LOCAL_TOKENIZER_KEYS = ("local_files_only", "is_local", "name_or_path")
# A folder holding this file was written by `arastance publish` and may be replaced by a new publish.
MARKER = PUBLISHED_MARKER
PUBLISHED_FILES = ("README.md", MARKER, METRICS, "schema.yaml")


@dataclass(frozen=True)
class RunSource:
    """Everything publish needs to know about a run, read once."""

    run_dir: Path  # as given
    task: str
    settings: RunSettings  # RUN/config.yaml, read and checked by the same rules as training's config
    config_text: str
    model_dir: Path  # the best/ folder that gets published
    folds: tuple[str, ...]  # fold-K names of a CV run; () for a single split
    fold: str | None  # the published fold of a CV run
    model_metrics: dict[str, Any]  # metrics.json beside the published best/ (its own split)
    scores: dict[str, Any]  # what the card reports: report/metrics.json, else the run's metrics.json
    scores_file: Path
    spread: dict[str, Any] | None  # per-fold mean ± std (the CV run's pooled metrics.json)
    scores_run: RunDir  # the run the scores come from (== run_dir unless --scores-from)
    overrides: list[str] | None  # .hydra/overrides.yaml: how the run was launched, when hydra wrote it

    @property
    def is_cv(self) -> bool:
        return bool(self.folds)


# --------------------------------------------------------------------------- reading a run


def _read_config(run: RunDir) -> RunSettings:
    return read_saved_config(run.config_path)


def choose_fold(folds: Sequence[str], fold: int | None) -> str | None:
    """The fold to publish: --fold K, else the first fold.

    Not the best-scoring one: each fold's dev and test documents differ, so comparing their scores
    would pick the easiest document, not the best model.
    """
    if not folds:
        if fold is not None:
            raise UserError(f"--fold {fold}: this run is a single split, not cross-validation")
        return None
    if fold is None:
        return folds[0]
    name = fold_name(fold)
    if name not in folds:
        raise UserError(f"--fold {fold}: no {name}/ in this run; it has {', '.join(folds)}")
    return name


def scores_file(run: RunDir, task: str) -> Path:
    """report/metrics.json when it has per-label scores for the task, else the run's metrics.json."""
    report = run.report_metrics_path
    if report.is_file():
        try:
            data = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            data = None
        # A report in a shape this card does not know is skipped rather than shown as empty scores.
        if isinstance(data, dict) and isinstance((data.get(task) or {}).get("per_label"), dict):
            return report
    return run.metrics_path


def locate_run(run_dir: Path, fold: int | None = None, scores_from: Path | None = None) -> RunSource:
    # Asked of runs/ first: a missing, unfinished or interrupted run, a fold or a model folder is refused
    # with the words every command uses for it (and, for an interrupted run, how to finish it).
    state = require(run_dir, "", FINISHED_RUN)
    run = state.run_dir
    settings = _read_config(run)
    task = settings.task.name
    folds = state.folds
    chosen = choose_fold(folds, fold)
    split_dir = run.fold(chosen) if chosen else run.splits()[0]
    model_dir = split_dir.best
    if not split_dir.has_model():
        raise UserError(f"{model_dir}: no saved model (config.json missing); did training finish?")
    model_metrics = read_json_object(split_dir.metrics_path)

    scores_run = run
    if scores_from is not None:
        scores_run = require(scores_from, "--scores-from", FINISHED_RUN).run_dir
        other = _read_config(scores_run)
        if other.task.name != task or other.model != settings.model:
            raise UserError(
                f"--scores-from {scores_run.path}: its task/model configuration differs from {run_dir}; "
                "its scores would not describe this model"
            )
    file = scores_file(scores_run, task)
    scores = read_json_object(file)
    if task not in scores:
        raise UserError(f"{file}: no {task!r} scores in it")
    # Per-fold spread lives in the run's pooled metrics.json even when a report is used.
    run_metrics = read_json_object(scores_run.metrics_path)
    spread = (run_metrics.get(task) or {}).get("folds")
    return RunSource(
        Path(run_dir),
        task,
        settings,
        settings.config_yaml,
        model_dir,
        folds,
        chosen,
        model_metrics,
        scores,
        file,
        spread,
        scores_run,
        list(state.overrides) if state.overrides else None,
    )


# --------------------------------------------------------------------------- checks


def check_out_dir(out: Path, source: RunSource) -> None:
    """Never overwrite the run itself, nor a folder that publish did not write."""
    target = out.resolve()
    for protected in (source.run_dir.resolve(), source.model_dir.resolve()):
        if target == protected or protected.is_relative_to(target):
            raise UserError(f"--out {out} would overwrite the run {source.run_dir}; choose another folder")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise UserError(
            f"--out {out} exists, is not empty and was not written by `arastance publish`; choose another folder"
        )


# --------------------------------------------------------------------------- card facts


def _max_length(settings: RunSettings, model_config: dict[str, Any]) -> int:
    configured = settings.model.max_length
    positions = model_config.get("max_position_embeddings")
    return min(configured, int(positions)) if positions else configured


def document_facts(
    paths: PathSettings, split: dict[str, Any] | None, schema: Schema, all_ids: Sequence[str]
) -> list[DocFacts]:
    """Size of each gold document and its role for the published model; [] when the gold is not here."""
    from arastance.corpus.segment import split_sentences, tokenize_words
    from arastance.gold.io import read_gold
    from arastance.paths import project_root

    gold, documents = paths.gold_dir, paths.documents_dir
    if not gold.is_absolute() and not gold.is_dir():
        gold, documents = project_root() / gold, project_root() / documents
    if not gold.is_dir():
        return []
    loaded = read_gold(gold, documents if documents.is_dir() else None)
    roles: dict[str, str] = {}
    for side in ("train", "dev", "test"):
        for doc_id in (split or {}).get(side) or []:
            roles[doc_id] = side
    out = []
    for item in sorted(loaded.documents, key=lambda d: d.doc.doc_id):
        doc = item.doc
        if all_ids and doc.doc_id not in all_ids:
            continue
        out.append(
            DocFacts(
                doc.doc_id,
                sum(1 for t in tokenize_words(doc.text) if any(ch.isalnum() for ch in t.text)),
                len(split_sentences(doc.text)),
                len(doc.entities),
                roles.get(doc.doc_id, "unused"),
            )
        )
    return out


# A two-stage run's model.pretrained is stage 1's best/, whose run config names what stage 1 started
# from; followed this many stages at most (a chain longer than that is not a recipe we ship).
MAX_STAGES = 8


def _local_start(pretrained: Any) -> str | None:
    return str(pretrained) if pretrained and Path(str(pretrained)).expanduser().is_dir() else None


def _stage_settings(path: Path) -> RunSettings | None:
    """The training settings of the run that produced the model at `path` (a run's best/, a single-split
    run folder, a published folder), found as `predict` finds it."""
    from arastance.runs.layout import training_config_of
    from arastance.runs.state import inspect_folder

    folder = inspect_folder(path).model_dir
    found = training_config_of(folder) if folder is not None else None
    return read_saved_config(found) if found is not None else None


def hub_base_model(pretrained: str | None) -> str | None:
    """The hub id this model descends from (through local first stages); None when it starts from the
    tiny random-init model or from a local folder whose origin is unknown."""
    for _ in range(MAX_STAGES):
        if not pretrained:
            return None
        start = _local_start(pretrained)
        if start is None:
            return str(pretrained)
        stage = _stage_settings(Path(start).expanduser())
        if stage is None:
            return None
        if stage.model.tiny and not stage.model.pretrained:
            return None
        pretrained = stage.model.pretrained
    return None


def _extra_data(model_metrics: dict[str, Any]) -> dict[str, Any] | None:
    data = model_metrics.get("data") or {}
    return data if data.get("extra_train_sentences") else None


def _test_sets(scores: dict[str, Any], fold: str | None) -> dict[str, Any]:
    """The published model's block of every corpus test set (the split it was trained on: its fold, or the run)."""
    out = {}
    for source, block in (scores.get("test_sets") or {}).items():
        own = (block.get("splits") or {}).get(fold or "fixed")
        if own:
            out[source] = {"files": block.get("files", []), "sentences": block.get("sentences"), **own}
    return out


def _own_test(task: str, model_metrics: dict[str, Any]) -> dict[str, float] | None:
    spec = get_task(task)
    value, _ = point_and_ci(model_metrics.get(task) or {}, spec.headline)
    return {spec.headline_name.replace("-", " "): value} if value is not None else None


def card_facts(
    source: RunSource, schema: Schema, model_config: dict[str, Any], repo_id: str | None, model_name: str | None
) -> CardFacts:
    settings = source.settings
    task = source.task
    model = settings.model
    tiny = model.tiny
    task_scores = source.scores.get(task) or {}
    labels = get_task(task).labels(schema)
    rows = score_rows(task_scores, labels, source.spread)
    heads = headlines(task, task_scores)
    split = source.model_metrics.get("split")
    scores_is_cv = source.scores_run.is_cv()
    all_ids = sorted({d for side in ("train", "dev", "test") for d in (split or {}).get(side) or []})
    name = model_name or (repo_id.split("/")[-1] if repo_id else f"arastance-{task}-{model.name}")
    try:
        relative = source.scores_file.resolve().relative_to(source.scores_run.path.resolve().parent)
    except ValueError:
        relative = source.scores_file
    return CardFacts(
        task=task,
        model_name=name,
        model_config_name=model.name,
        schema=schema,
        base_model=None if tiny else hub_base_model(model.pretrained),
        tiny_spec=dict(tiny) if tiny else None,
        normalization=model.normalization,
        max_length=_max_length(settings, model_config),
        stride=settings.data.stride,
        context=dict(settings.task.context),
        doc_aggregation=settings.task.doc_aggregation,
        doc_threshold=settings.task.doc_threshold,
        is_cv=scores_is_cv,
        n_folds=len(source.scores_run.fold_names()) or 1,
        published_fold=source.fold,
        split=split,
        scores_source=str(relative),
        scores_from_other_run=source.scores_run.path.resolve() != source.run_dir.resolve(),
        rows=rows,
        headlines=heads,
        has_ci=any(r.f1_ci for r in rows) or any(h.ci for h in heads),
        extra_data=_extra_data(source.model_metrics),
        test_sets=_test_sets(source.scores, source.fold),
        first_stage=_local_start(model.pretrained),
        documents=document_facts(settings.paths, split, schema, all_ids),
        trainer=settings.trainer,
        seed=settings.seed,
        train_overrides=source.overrides,
        repo_id=repo_id,
        own_test=_own_test(task, source.model_metrics) if source.is_cv else None,
        ci_confidence=float(
            dig(source.scores, ("bootstrap", "confidence"))
            or dig(task_scores, ("ci", "bootstrap", "confidence"))
            or 0.95
        ),
        baseline=baseline_line(task, task_scores),
    )


def metrics_payload(source: RunSource, facts: CardFacts) -> dict[str, Any]:
    """metrics.json of the published folder: the card's scores and where they came from."""
    return {
        "task": source.task,
        "scores_source": facts.scores_source,
        "cross_validation": facts.is_cv,
        "folds": facts.n_folds,
        "scores": source.scores,
        "published_fold": source.fold,
        "published_model": {
            "split": source.model_metrics.get("split"),
            "scores": source.model_metrics.get(source.task),
        },
    }


# --------------------------------------------------------------------------- writing


def _patch_tokenizer_config(folder: Path, max_length: int) -> None:
    path = folder / "tokenizer_config.json"
    if not path.is_file():
        raise UserError("the model folder has no tokenizer_config.json; was the tokenizer saved with the model?")
    data = json.loads(path.read_text(encoding="utf-8"))
    for key in LOCAL_TOKENIZER_KEYS:
        data.pop(key, None)
    # AraBERT's own tokenizer config lacks it; without it a pipeline neither truncates nor warns.
    data["model_max_length"] = max_length
    write_json(path, data)


def write_package(
    source: RunSource,
    out: Path,
    card: str,
    metrics: dict[str, Any],
    schema_file: Path,
    max_length: int,
    extra: Callable[[Path], object] | None = None,
) -> Path:
    """Build the folder next to `out` and rename it into place; returns `out`. `extra` adds to the
    staging folder before the rename (the ONNX export), so a failed export leaves no folder either."""
    check_out_dir(out, source)
    with building_folder(out) as staging:
        for item in source.model_dir.iterdir():
            if item.is_file():
                copy_file(item, staging / item.name)  # not its mode: best/ weights are 0600
        _patch_tokenizer_config(staging, max_length)
        write_text(staging / MARKER, source.config_text)
        write_json(staging / METRICS, metrics)
        copy_file(schema_file, staging / "schema.yaml")
        write_text(staging / "README.md", card)
        if extra is not None:
            extra(staging)
    return out
