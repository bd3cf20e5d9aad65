"""A published model says where it comes from: the hub model behind a two-stage run, extra sentences."""

from __future__ import annotations

from pathlib import Path

import yaml

from arastance.publish.package import hub_base_model

ROOT = Path(__file__).resolve().parents[1]


def _run_with_best(root: Path, model: dict) -> Path:
    """A single-split run folder as training writes it: config.yaml beside best/ (a saved model)."""
    (root / "best").mkdir(parents=True)
    (root / "best" / "config.json").write_text("{}", encoding="utf-8")
    # Read through the same checked settings as any saved config: it names its task, as training's does.
    (root / "config.yaml").write_text(yaml.safe_dump({"task": {"name": "ner"}, "model": model}), encoding="utf-8")
    return root / "best"


def test_a_hub_id_is_the_base_model_itself() -> None:
    assert hub_base_model("aubmindlab/bert-base-arabertv02") == "aubmindlab/bert-base-arabertv02"
    assert hub_base_model(None) is None


def test_a_two_stage_run_names_the_hub_model_stage_one_started_from(tmp_path: Path) -> None:
    stage1 = _run_with_best(
        tmp_path / "stage1", {"name": "arabert_v02", "pretrained": "aubmindlab/bert-base-arabertv02"}
    )
    assert hub_base_model(str(stage1)) == "aubmindlab/bert-base-arabertv02"
    stage2 = _run_with_best(tmp_path / "stage2", {"name": "arabert_v02", "pretrained": str(stage1)})
    assert hub_base_model(str(stage2)) == "aubmindlab/bert-base-arabertv02"


def test_a_chain_that_starts_from_the_tiny_model_or_nowhere_known_has_no_hub_model(tmp_path: Path) -> None:
    spec = yaml.safe_load((ROOT / "configs" / "model" / "tiny.yaml").read_text(encoding="utf-8"))["tiny"]
    tiny = _run_with_best(tmp_path / "tiny", {"name": "tiny", "pretrained": None, "tiny": spec})
    assert hub_base_model(str(tiny)) is None
    bare = tmp_path / "bare"
    bare.mkdir()
    assert hub_base_model(str(bare)) is None
