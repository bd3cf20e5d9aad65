"""`model.pretrained`: folders and run folders, the label head kept or re-initialised, and the
two-stage recipe (external corpus, then the gold) end to end on the tiny model."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from tests.helpers.configs import compose_train

from arastance.errors import UserError
from arastance.models.factory import (
    head_mismatch,
    looks_like_a_path,
    pretrained_folder,
    resolve_model_source,
    trained_labels,
)
from arastance.runs.state import require_model
from arastance.schema import Schema
from arastance.settings import ModelSettings

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"


# --------------------------------------------------------------------------- pure parts


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("aubmindlab/bert-base-arabertv02", False),
        ("bert-base-multilingual-cased", False),
        ("/abs/best", True),
        ("./run", True),
        ("~/m", True),
        ("outputs/run/best", True),
    ],
)
def test_hub_ids_and_paths_are_told_apart(name: str, path: bool) -> None:
    assert looks_like_a_path(name) is path


def test_a_base_model_has_no_label_head_to_keep() -> None:
    assert trained_labels({"architectures": ["BertForMaskedLM"]}) is None
    assert trained_labels({}) is None
    assert trained_labels({"architectures": ["BertForTokenClassification"], "id2label": {"0": "O", "1": "B-PER"}}) == (
        "ner",
        {0: "O", 1: "B-PER"},
    )


def test_the_head_is_kept_only_for_the_same_task_and_the_same_labels() -> None:
    ours = {0: "O", 1: "B-PER", 2: "I-PER"}
    assert head_mismatch(None, "ner", ours) is None
    assert head_mismatch(("ner", dict(ours)), "ner", ours) is None
    assert "differ from the schema's" in head_mismatch(
        ("ner", {0: "O", 1: "I-PER", 2: "B-PER"}), "ner", ours
    )  # same names, other order
    assert "differ from the schema's" in head_mismatch(("ner", {0: "O", 1: "B-PERS"}), "ner", ours)
    assert "a stance model" in head_mismatch(("stance", {0: "O", 1: "B-PER", 2: "I-PER"}), "ner", ours)


# --------------------------------------------------------------------------- folders


def _model_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text("{}", encoding="utf-8")
    return path


def _finished(run: Path) -> Path:
    for name in ("config.yaml", "metrics.json"):
        (run / name).write_text("{}", encoding="utf-8")
    return run


def test_a_run_folder_resolves_to_its_best(tmp_path: Path) -> None:
    best = _model_folder(tmp_path / "run" / "best")
    _finished(tmp_path / "run")
    assert require_model(tmp_path / "run", "model.pretrained=") == best
    assert require_model(best, "model.pretrained=") == best
    assert pretrained_folder(best) == best


def test_a_cross_validation_run_asks_for_one_fold(tmp_path: Path) -> None:
    for k in (0, 1):
        _model_folder(tmp_path / "cv" / f"fold-{k}" / "best")
    _finished(tmp_path / "cv")
    with pytest.raises(
        UserError,
        match=r"model.pretrained=.*cv: a finished cross-validation run \(2 folds\): one model per fold.*cv/fold-0/best",
    ):
        require_model(tmp_path / "cv", "model.pretrained=")
    assert require_model(tmp_path / "cv" / "fold-1", "model.pretrained=") == tmp_path / "cv" / "fold-1" / "best"


def test_a_folder_without_a_model_says_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a model folder"):
        pretrained_folder(tmp_path)


def test_a_missing_pretrained_folder_is_a_clear_error_even_with_the_tiny_model(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-run" / "best"
    with pytest.raises(UserError, match=r"no-such-run/best: no such folder"):
        resolve_model_source(ModelSettings(name="tiny", pretrained=str(missing), tiny={"vocab_size": 10}), tmp_path, [])


def test_pretrained_wins_over_building_the_tiny_model(tmp_path: Path) -> None:
    best = _model_folder(tmp_path / "run" / "best")
    source, local_only = resolve_model_source(
        ModelSettings(name="tiny", pretrained=str(best), tiny={"vocab_size": 10}), tmp_path / "cache", []
    )
    assert (source, local_only) == (str(best), True)
    assert not (tmp_path / "cache").exists()  # nothing was built


def test_no_pretrained_and_no_tiny_spec_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"model\.pretrained is not set"):
        resolve_model_source(ModelSettings(name="arabert_v02", pretrained=None, tiny=None), tmp_path, [])


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def stage1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stage 1 of the recipe on the tiny model: a few steps on external records alone."""
    from arastance.train import train

    tmp = tmp_path_factory.mktemp("stage1")
    rows = [
        {
            "doc_id": f"ext-{i // 5}",
            "sentence_id": i % 5,
            "tokens": ["قال", "محمد", "في", "دمشق"],
            "ner_tags": ["O", "B-PER", "O", "B-GPE"],
            "source": "ext",
        }
        for i in range(40)
    ]
    extra = tmp / "ext.jsonl"
    extra.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    run_dir = tmp / "run"
    cfg = compose_train(
        [
            "experiment=ner_two_stage_external",
            "model=tiny",
            "trainer=smoke",
            "trainer.max_steps=3",
            f"data.extra_records=[{extra}]",
            f"run_dir={run_dir}",
            f"paths.root={ROOT}",
            f"paths.cache_dir={tmp / 'cache'}",
        ]
    )
    metrics = train(cfg)
    assert metrics["data"] == {
        "train_docs": 0,
        "gold_train_sentences": 0,
        "extra_train_sentences": 40,
        "extra_sources": {"ext": 40},
    }
    assert metrics["split"]["train"] == [] and len(metrics["split"]["test"]) == 5  # every gold document held out
    return run_dir


def _classifier(folder: Path):
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))["classifier.weight"]


@pytest.mark.slow
def test_stage_two_keeps_the_head_when_the_labels_match(
    stage1: Path, schema: Schema, caplog: pytest.LogCaptureFixture
) -> None:
    import torch

    from arastance.models.factory import load_for_task

    with caplog.at_level(logging.INFO, logger="arastance.models.factory"):
        loaded = load_for_task(
            ModelSettings(name="tiny", pretrained=str(stage1 / "best")), "ner", schema.id2label("ner"), stage1, []
        )
    assert loaded.source == str(stage1 / "best")
    assert torch.equal(loaded.model.classifier.weight.detach(), _classifier(stage1 / "best"))
    assert "label head kept" in caplog.text


@pytest.mark.slow
def test_other_labels_reinitialise_the_head_with_a_warning(
    stage1: Path, schema: Schema, caplog: pytest.LogCaptureFixture
) -> None:
    import torch

    from arastance.models.factory import load_for_task

    ours = schema.id2label("ner")
    swapped = {**ours, 1: ours[2], 2: ours[1]}  # same count, two tags swapped: keeping the head would be wrong
    with caplog.at_level(logging.WARNING, logger="arastance.models.factory"):
        loaded = load_for_task(ModelSettings(name="tiny", pretrained=str(stage1 / "best")), "ner", swapped, stage1, [])
    assert not torch.equal(loaded.model.classifier.weight.detach(), _classifier(stage1 / "best"))
    assert "re-initialised" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="arastance.models.factory"):
        stance = load_for_task(
            ModelSettings(name="tiny", pretrained=str(stage1 / "best")), "stance", schema.id2label("stance"), stage1, []
        )
    assert stance.model.classifier.weight.shape[0] == len(schema.stance_classes)  # a different size: no traceback
    assert "it is a ner model and this run trains stance" in caplog.text


@pytest.mark.slow
def test_stage_two_fine_tunes_on_the_gold_from_stage_one(stage1: Path, tmp_path: Path) -> None:
    from arastance.train import train

    run_dir = tmp_path / "stage2"
    cfg = compose_train(
        [
            "experiment=ner_two_stage_gold",
            "model=tiny",
            "trainer=smoke",
            "trainer.max_steps=2",
            "data.folds=[0]",
            f"model.pretrained={stage1}",
            f"run_dir={run_dir}",
            f"paths.root={ROOT}",
            f"paths.cache_dir={tmp_path / 'cache'}",
        ]
    )
    metrics = train(cfg)
    assert metrics["data"]["extra_train_sentences"] == 0 and metrics["data"]["train_docs"] == 3
    assert (run_dir / "fold-0" / "best" / "config.json").is_file()
    assert not (tmp_path / "cache").exists()  # started from stage 1, no tiny model was built
