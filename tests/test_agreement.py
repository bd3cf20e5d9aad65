"""arastance.annotation.agreement: the agreement figures in annotations/adjudication.md are reproducible."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from arastance.annotation.agreement import cohen_kappa, compare
from arastance.cli import main
from arastance.gold.io import read_gold_dir

ROOT = Path(__file__).resolve().parents[1]


def load(folder: str) -> dict:
    result = read_gold_dir(ROOT / folder, ROOT / "annotations" / "documents")
    assert not result.problems
    return {item.doc.doc_id: item.doc for item in result.documents}


def test_the_double_annotation_reproduces_the_documented_agreement() -> None:
    figures, lines = compare(load("annotations/double/annotator_a"), load("annotations/double/annotator_b"))
    text = (ROOT / "annotations" / "adjudication.md").read_text(encoding="utf-8")
    assert f"F1 = {figures['entity_f1']:.3f}" in text
    assert f"κ = {figures['stance_kappa']:.3f}" in text
    assert figures["entities_both"] == 457 and len([line for line in lines if "\tentity\t" in line]) == 11


def test_identical_annotations_agree_fully_and_one_change_is_listed() -> None:
    gold = load("annotations/gold")
    figures, lines = compare(gold, gold)
    assert figures["entity_f1"] == 1.0 and figures["stance_kappa"] == 1.0 and lines == []
    doc_id = sorted(gold)[0]
    changed = dict(gold)
    first = changed[doc_id].sentences[0]
    flipped = "PRO_STAY" if first.stance != "PRO_STAY" else "NONE"
    changed[doc_id] = replace(
        changed[doc_id], sentences=(replace(first, stance=flipped), *changed[doc_id].sentences[1:])
    )
    figures, lines = compare(gold, changed)
    assert figures["stance_kappa"] < 1.0 and len(lines) == 1 and "sentence 0" in lines[0]


def test_kappa_of_chance_level_labels_is_zero() -> None:
    assert cohen_kappa(["a", "a", "b", "b"], ["a", "b", "a", "b"]) == 0.0


def test_command_prints_the_disagreements_and_the_documented_figures(capsys: pytest.CaptureFixture[str]) -> None:
    a, b = ROOT / "annotations/double/annotator_a", ROOT / "annotations/double/annotator_b"
    assert main(["agreement", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "entities A 462, B 463, both 457: F1 0.988" in out and "kappa 0.957" in out
    assert len([line for line in out.splitlines() if "\tentity\t" in line]) == 11


def test_command_refuses_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agreement", str(tmp_path / "nope"), str(ROOT / "annotations/gold")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("arastance agreement: ") and "nope" in err and "Traceback" not in err


def test_command_refuses_folders_without_a_common_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    gold = ROOT / "annotations" / "gold"
    assert main(["agreement", str(empty), str(gold)]) == 1
    err = capsys.readouterr().err
    assert "no document in common" in err and f"{empty} (0 documents)" in err


def test_command_names_the_documents_only_one_side_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    gold = ROOT / "annotations" / "gold"
    one = tmp_path / "one"
    one.mkdir()
    first, *rest = sorted(gold.glob("*.json"))
    shutil.copy(first, one / first.name)
    assert main(["agreement", str(one), str(gold)]) == 0
    err = capsys.readouterr().err
    assert f"not compared, only in {gold}: {', '.join(p.stem for p in rest)}" in err
