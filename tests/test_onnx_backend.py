"""The ONNX Runtime backend: export and gate at publish time, equal predictions, and `--backend auto`
falling back to torch whenever the gate did not pass."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers.publish_runs import trained_runs

from arastance.cli import main
from arastance.errors import UserError
from arastance.models.onnx_backend import GATE_FILE, ONNX_DIR, choose_backend, decide_backend, gated_variant, read_gate
from arastance.publish.onnx_gate import agreement, export_settings, gold_units

pytest.importorskip("onnxruntime")

PASSED = {"torch": {"seconds": 1.0}, "variants": {"fp32": {"passed": True, "seconds": 0.8}, "int8": {"passed": True, "seconds": 0.5}}}


# --------------------------------------------------------------------------- the decision (pure)


def test_auto_takes_the_fastest_gated_variant_on_the_cpu_only() -> None:
    assert decide_backend("auto", "cpu", PASSED, ["fp32", "int8"], {"onnx"}) == ("onnx", "int8")
    assert decide_backend("auto", "cuda", PASSED, ["fp32", "int8"], {"onnx"}) == ("torch", None)
    assert decide_backend("auto", "cpu", PASSED, ["fp32", "int8"], set()) == ("torch", None)  # onnxruntime missing
    assert decide_backend("auto", "cpu", PASSED, ["fp32"], {"onnx"}) == ("onnx", "fp32")  # int8 file gone


def test_auto_falls_back_to_torch_without_a_passed_gate() -> None:
    failed = {"torch": {"seconds": 1.0}, "variants": {"int8": {"passed": False, "seconds": 0.5}}}
    slower = {"torch": {"seconds": 0.1}, "variants": {"int8": {"passed": True, "seconds": 0.5}}}
    for gate in (None, {}, failed, slower, {"variants": {"int8": {"passed": "yes", "seconds": 0.1}}}):
        assert decide_backend("auto", "cpu", gate, ["fp32", "int8"], {"onnx"}) == ("torch", None)
    assert decide_backend("auto", "cpu", PASSED, [], {"onnx"}) == ("torch", None)  # no onnx/ folder
    assert gated_variant(failed, ["int8"]) is None


def test_onnx_asked_for_explicitly() -> None:
    assert decide_backend("onnx", "cpu", None, ["fp32", "int8"], {"onnx"}) == ("onnx", "fp32")
    assert decide_backend("torch", "cpu", PASSED, ["fp32", "int8"], {"onnx"}) == ("torch", None)
    with pytest.raises(UserError, match="publish the model again"):
        decide_backend("onnx", "cpu", None, [], {"onnx"})
    with pytest.raises(UserError, match="CPU only"):
        decide_backend("onnx", "cuda", PASSED, ["fp32"], {"onnx"})
    with pytest.raises(UserError, match="onnxruntime"):
        decide_backend("onnx", "cpu", PASSED, ["fp32"], set())
    with pytest.raises(UserError, match="use auto, torch, onnx"):
        decide_backend("tensorrt", "cpu", PASSED, ["fp32"], {"onnx"})


def test_agreement_counts_words() -> None:
    assert agreement([["O", "B-PER"], ["O"]], [["O", "B-PER"], ["B-ORG"]], per_word=True) == pytest.approx(2 / 3)
    assert agreement(["FAVOR", "NONE"], ["FAVOR", "NONE"], per_word=False) == 1.0


# --------------------------------------------------------------------------- export and gate on the tiny model


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = trained_runs(tmp_path_factory)
    out = tmp_path_factory.mktemp("onnx") / "ner"
    assert main(["publish", str(runs["ner_cv"]), "--out", str(out), "--onnx", "yes"]) == 0
    return out


@pytest.mark.slow
def test_publish_writes_both_variants_and_their_gate(published: Path) -> None:
    gate = read_gate(published)
    assert gate is not None and (published / ONNX_DIR / "model.onnx").is_file() and (published / ONNX_DIR / "model-int8.onnx").is_file()
    settings = export_settings()
    assert gate["units"] == len(gold_units("ner", {})) > 0 and gate["words"] > 0
    for name in ("fp32", "int8"):
        figures = gate["variants"][name]
        assert 0.0 <= figures["agreement"] <= 1.0
        expected = figures["agreement"] >= settings.min_word_agreement and figures["score_difference"] <= settings.max_f1_difference
        assert figures["passed"] is expected
    assert gate["variants"]["fp32"]["agreement"] == 1.0  # fp32 ONNX is the same computation as torch fp32


@pytest.mark.slow
def test_onnx_predictions_equal_torch_within_the_gate(published: Path) -> None:
    from arastance.models.predictor import predict_units
    from arastance.predict.documents import load_published_model
    from arastance.publish.onnx_gate import load_onnx_variant

    torch_model = load_published_model(published, "ner", "cpu", "torch")
    units = gold_units("ner", {})
    reference = predict_units(torch_model.loaded, units, torch_model.settings.inference, torch_model.schema, torch_model.precision)
    fp32 = load_onnx_variant(published, "ner", "fp32")
    same = predict_units(fp32.loaded, units, fp32.settings.inference, fp32.schema, fp32.precision)
    assert same.labels == reference.labels
    for a, b in zip(same.scores, reference.scores):
        np.testing.assert_allclose(a, b, atol=1e-4)
    int8 = load_onnx_variant(published, "ner", "int8")
    quantised = predict_units(int8.loaded, units, int8.settings.inference, int8.schema, int8.precision)
    assert agreement(reference.labels, quantised.labels, per_word=True) == read_gate(published)["variants"]["int8"]["agreement"]


@pytest.mark.slow
def test_predict_cli_backends_give_the_same_records(published: Path, tmp_path: Path) -> None:
    documents = sorted((Path(__file__).resolve().parents[1] / "annotations" / "documents").glob("*.txt"))[:2]
    outputs = {}
    for backend in ("torch", "onnx"):
        out = tmp_path / f"{backend}.jsonl"
        assert main(["predict", "--ner", str(published), "--backend", backend, "--device", "cpu", "--out", str(out), *map(str, documents)]) == 0
        outputs[backend] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["source"] for r in outputs["onnx"]] == [r["source"] for r in outputs["torch"]]
    spans = {b: [[(e["start"], e["end"], e["label"]) for e in r["entities"]] for r in rows] for b, rows in outputs.items()}
    if read_gate(published)["variants"]["fp32"]["passed"] and choose_backend("onnx", "cpu", published)[1] == "fp32":
        assert spans["onnx"] == spans["torch"]


@pytest.mark.slow
def test_a_corrupt_or_failed_gate_keeps_auto_on_torch(published: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(published, copy)
    gate_file = copy / ONNX_DIR / GATE_FILE
    gate = json.loads(gate_file.read_text(encoding="utf-8"))
    gate["torch"]["seconds"] = float("inf")  # whatever the timings, only the verdict decides here
    for figures in gate["variants"].values():
        figures["passed"] = True
    gate_file.write_text(json.dumps(gate), encoding="utf-8")
    assert choose_backend("auto", "cpu", copy)[0] == "onnx"
    for figures in gate["variants"].values():
        figures["passed"] = False
    gate_file.write_text(json.dumps(gate), encoding="utf-8")
    assert choose_backend("auto", "cpu", copy) == ("torch", None)
    gate_file.write_text("{not json", encoding="utf-8")
    assert choose_backend("auto", "cpu", copy) == ("torch", None)
    shutil.rmtree(copy / ONNX_DIR)
    assert choose_backend("auto", "cpu", copy) == ("torch", None)


@pytest.mark.slow
def test_a_stance_model_exports_and_gates_on_sentence_labels(tmp_path_factory: pytest.TempPathFactory) -> None:
    runs = trained_runs(tmp_path_factory)
    out = tmp_path_factory.mktemp("onnx-stance") / "stance"
    assert main(["publish", str(runs["stance_fixed"]), "--out", str(out), "--onnx", "yes"]) == 0
    gate = read_gate(out)
    assert gate["task"] == "stance" and gate["words"] is None and gate["units"] == len(gold_units("stance", {}))
    assert gate["variants"]["fp32"]["agreement"] == 1.0 and gate["variants"]["fp32"]["passed"] is True
