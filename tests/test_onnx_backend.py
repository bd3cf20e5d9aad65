"""The ONNX Runtime backend: export and gate at publish time, equal predictions, and `--backend auto`
falling back to torch whenever the gate did not pass."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from arastance.cli import main
from arastance.errors import UserError
from arastance.models.onnx_backend import GATE_FILE, INPUT_NAMES, ONNX_DIR, ExportedModel
from arastance.models.variants import choose_backend, decide_backend, gated_variant, read_gate
from arastance.publish.onnx_gate import agreement, export_settings, gold_units
from arastance.tasks import NER, STANCE
from helpers.publish_runs import trained_runs

pytest.importorskip("onnxruntime")

PASSED = {
    "torch": {"seconds": 1.0},
    "variants": {"fp32": {"passed": True, "seconds": 0.8}, "int8": {"passed": True, "seconds": 0.5}},
}


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
    with pytest.raises(UserError, match=r"the model folder has no onnx export .*`arastance publish --onnx yes`"):
        decide_backend("onnx", "cpu", None, [], {"onnx"})
    with pytest.raises(UserError, match="CPU only"):
        decide_backend("onnx", "cuda", PASSED, ["fp32"], {"onnx"})
    with pytest.raises(UserError, match="onnxruntime"):
        decide_backend("onnx", "cpu", PASSED, ["fp32"], set())
    with pytest.raises(UserError, match="use auto, torch, onnx"):
        decide_backend("tensorrt", "cpu", PASSED, ["fp32"], {"onnx"})


def test_a_folder_without_the_export_says_so_before_asking_for_a_package() -> None:
    """Installing the runtime cannot help a folder published without its export: the message names
    the folder and the re-publish, whether or not the runtime is installed."""
    for installed in ({"onnx", "openvino"}, set()):
        for backend in ("onnx", "openvino"):
            with pytest.raises(UserError, match=rf"^pub/ner has no {backend} export") as caught:
                decide_backend(backend, "cpu", None, [], installed, "pub/ner")
            assert "--onnx yes" in str(caught.value) and "onnxruntime" not in str(caught.value)


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
    assert (
        gate is not None
        and (published / ONNX_DIR / "model.onnx").is_file()
        and (published / ONNX_DIR / "model-int8.onnx").is_file()
    )
    settings = export_settings()
    assert gate["units"] == len(gold_units(NER, {})) > 0 and gate["words"] > 0
    for name in ("fp32", "int8"):
        figures = gate["variants"][name]
        assert 0.0 <= figures["agreement"] <= 1.0
        expected = (
            figures["agreement"] >= settings.min_word_agreement
            and figures["score_difference"] <= settings.max_f1_difference
        )
        assert figures["passed"] is expected
    assert gate["variants"]["fp32"]["agreement"] == 1.0  # fp32 ONNX is the same computation as torch fp32


@pytest.mark.slow
def test_onnx_predictions_equal_torch_within_the_gate(published: Path) -> None:
    from arastance.predict.documents import load_published_model
    from arastance.publish.onnx_gate import load_onnx_variant

    torch_model = load_published_model(published, NER, "cpu", "torch")
    units = gold_units(NER, {})
    reference = torch_model.predictor.predict(units)
    fp32 = load_onnx_variant(published, NER, "fp32")
    same = fp32.predictor.predict(units)
    assert same.labels == reference.labels
    for a, b in zip(same.scores, reference.scores, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)
    int8 = load_onnx_variant(published, NER, "int8")
    quantised = int8.predictor.predict(units)
    assert (
        agreement(reference.labels, quantised.labels, per_word=True)
        == read_gate(published)["variants"]["int8"]["agreement"]
    )


@pytest.mark.slow
def test_predict_cli_backends_give_the_same_records(published: Path, tmp_path: Path) -> None:
    documents = sorted((Path(__file__).resolve().parents[1] / "annotations" / "documents").glob("*.txt"))[:2]
    outputs = {}
    for backend in ("torch", "onnx"):
        out = tmp_path / f"{backend}.jsonl"
        assert (
            main(
                [
                    "predict",
                    "--ner",
                    str(published),
                    "--backend",
                    backend,
                    "--device",
                    "cpu",
                    "--out",
                    str(out),
                    *map(str, documents),
                ]
            )
            == 0
        )
        outputs[backend] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["source"] for r in outputs["onnx"]] == [r["source"] for r in outputs["torch"]]
    spans = {
        b: [[(e["start"], e["end"], e["label"]) for e in r["entities"]] for r in rows] for b, rows in outputs.items()
    }
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
    assert gate["task"] == "stance" and gate["words"] is None and gate["units"] == len(gold_units(STANCE, {}))
    assert gate["variants"]["fp32"]["agreement"] == 1.0 and gate["variants"]["fp32"]["passed"] is True
    if importlib.util.find_spec("openvino") and importlib.util.find_spec("nncf"):
        # The OpenVINO variant is calibrated on the stance model's own batches (with context) and gated
        # on sentence labels as well; it then predicts one stance class per sentence.
        from arastance.predict.documents import predict_documents
        from arastance.publish.onnx_gate import load_onnx_variant

        figures = gate["variants"]["openvino-int8"]
        settings = export_settings()
        assert figures["passed"] is (
            figures["agreement"] >= settings.min_word_agreement
            and figures["score_difference"] <= settings.max_f1_difference
        )
        model = load_onnx_variant(out, STANCE, "openvino-int8")
        document = sorted((Path(__file__).resolve().parents[1] / "annotations" / "documents").glob("*.txt"))[
            0
        ].read_text(encoding="utf-8")
        [predicted] = predict_documents([document], stance=model)
        stances = [sentence["stance"] for sentence in predicted["sentences"]]
        assert stances and set(stances) <= set(model.schema.stance_classes)


# --------------------------------------------------------------------------- the OpenVINO variant

WITH_OPENVINO = {
    "torch": {"seconds": 1.0},
    "variants": {"int8": {"passed": True, "seconds": 0.5}, "openvino-int8": {"passed": True, "seconds": 0.3}},
}
ALL = ["fp32", "int8", "openvino-int8"]


def test_auto_takes_openvino_only_when_it_is_installed_gated_and_fastest() -> None:
    assert decide_backend("auto", "cpu", WITH_OPENVINO, ALL, {"onnx", "openvino"}) == ("openvino", "openvino-int8")
    assert decide_backend("auto", "cpu", WITH_OPENVINO, ALL, {"onnx"}) == ("onnx", "int8")  # openvino missing
    assert decide_backend("auto", "cpu", WITH_OPENVINO, ["fp32", "int8"], {"onnx", "openvino"}) == (
        "onnx",
        "int8",
    )  # file gone
    failed = {
        **WITH_OPENVINO,
        "variants": {**WITH_OPENVINO["variants"], "openvino-int8": {"passed": False, "seconds": 0.1}},
    }
    assert decide_backend("auto", "cpu", failed, ALL, {"onnx", "openvino"}) == ("onnx", "int8")
    assert decide_backend("auto", "cuda", WITH_OPENVINO, ALL, {"onnx", "openvino"}) == ("torch", None)


def test_openvino_and_onnx_asked_for_explicitly_stay_in_their_runtime() -> None:
    assert decide_backend("openvino", "cpu", None, ALL, {"onnx", "openvino"}) == ("openvino", "openvino-int8")
    assert decide_backend("onnx", "cpu", WITH_OPENVINO, ALL, {"onnx", "openvino"}) == ("onnx", "int8")
    with pytest.raises(UserError, match=r"pip install 'arastance\[openvino\]'"):
        decide_backend("openvino", "cpu", WITH_OPENVINO, ALL, {"onnx"})
    with pytest.raises(UserError, match=r"has no openvino export \(none of openvino/model-int8.xml\)"):
        decide_backend("openvino", "cpu", WITH_OPENVINO, ["fp32", "int8"], {"onnx", "openvino"})
    with pytest.raises(UserError, match="CPU only"):
        decide_backend("openvino", "cuda", WITH_OPENVINO, ALL, {"onnx", "openvino"})


def hide_package(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make `import name` fail as it does when the package is not installed."""
    import sys

    monkeypatch.setitem(sys.modules, name, None)


def test_a_missing_openvino_is_seen_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from arastance.models.openvino_backend import openvino_available, require_openvino
    from arastance.models.variants import installed_runtimes

    hide_package(monkeypatch, "nncf")
    assert openvino_available() is ("openvino" in installed_runtimes()) and not openvino_available(for_export=True)
    hide_package(monkeypatch, "openvino")
    assert "openvino" not in installed_runtimes()
    with pytest.raises(UserError, match=r"pip install 'arastance\[openvino\]'"):
        require_openvino()


@pytest.mark.slow
def test_a_missing_openvino_is_a_message_for_predict(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hide_package(monkeypatch, "openvino")
    document = sorted((Path(__file__).resolve().parents[1] / "annotations" / "documents").glob("*.txt"))[0]
    rc = main(
        [
            "predict",
            "--ner",
            str(published),
            "--backend",
            "openvino",
            "--device",
            "cpu",
            "--out",
            str(tmp_path / "out.jsonl"),
            str(document),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 1 and "pip install 'arastance[openvino]'" in err and "Traceback" not in err
    assert choose_backend("auto", "cpu", published)[0] != "openvino"


@pytest.mark.slow
def test_a_missing_nncf_skips_the_openvino_export_and_keeps_the_onnx_ones(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hide_package(monkeypatch, "nncf")
    runs = trained_runs(tmp_path_factory)
    out = tmp_path_factory.mktemp("onnx-no-openvino") / "ner"
    assert main(["publish", str(runs["ner_cv"]), "--out", str(out), "--onnx", "yes"]) == 0
    assert "openvino-int8: not exported" in capsys.readouterr().err
    assert not (out / "openvino").exists() and set(read_gate(out)["variants"]) == {"fp32", "int8"}


@pytest.mark.slow
def test_publish_exports_and_gates_the_openvino_variant(published: Path) -> None:
    pytest.importorskip("openvino")
    pytest.importorskip("nncf")
    from arastance.models.openvino_backend import COMPILE_FILE, saved_compile_settings, saved_pad_multiple

    assert (published / "openvino" / "model-int8.xml").is_file() and (published / "openvino" / COMPILE_FILE).is_file()
    figures = read_gate(published)["variants"]["openvino-int8"]
    settings = export_settings()
    assert saved_pad_multiple(saved_compile_settings(published / "openvino")) == settings.openvino_pad_to_multiple_of
    assert figures["passed"] is (
        figures["agreement"] >= settings.min_word_agreement
        and figures["score_difference"] <= settings.max_f1_difference
    )


@pytest.mark.slow
def test_openvino_predictions_are_the_gated_ones(published: Path, tmp_path: Path) -> None:
    pytest.importorskip("openvino")
    from arastance.predict.documents import load_published_model
    from arastance.publish.onnx_gate import load_onnx_variant

    torch_model = load_published_model(published, NER, "cpu", "torch")
    units = gold_units(NER, {})
    reference = torch_model.predictor.predict(units)
    model = load_onnx_variant(published, NER, "openvino-int8")
    assert model.backend == "openvino"
    quantised = model.predictor.predict(units)
    assert (
        agreement(reference.labels, quantised.labels, per_word=True)
        == read_gate(published)["variants"]["openvino-int8"]["agreement"]
    )
    documents = sorted((Path(__file__).resolve().parents[1] / "annotations" / "documents").glob("*.txt"))[:2]
    out = tmp_path / "openvino.jsonl"
    assert (
        main(
            [
                "predict",
                "--ner",
                str(published),
                "--backend",
                "openvino",
                "--device",
                "cpu",
                "--out",
                str(out),
                *map(str, documents),
            ]
        )
        == 0
    )
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [Path(r["source"]).name for r in records] == [d.name for d in documents]
    for record, document in zip(records, documents, strict=True):
        text = document.read_text(encoding="utf-8")
        assert all(text[e["start"] : e["end"]] == e["text"] for e in record["entities"])


# --------------------------------------------------------------------------- a runtime's own batch width multiple


class ShapeRecordingModel(ExportedModel):
    """An exported model that records the widths of the batches it is fed and scores every label alike."""

    def __init__(self, pad_to_multiple_of: int | None, labels: int) -> None:
        super().__init__(Path("not-on-disk"), "recording")
        self.pad_to_multiple_of = pad_to_multiple_of
        self.input_names = set(INPUT_NAMES)
        self.labels = labels
        self.widths: list[int] = []

    def logits(self, batch: dict) -> np.ndarray:
        ids = self.feed(batch)["input_ids"]
        self.widths.append(int(ids.shape[1]))
        return np.zeros((*ids.shape, self.labels), dtype=np.float32)


def predicted_widths(tiny_tokenizer, pad_to_multiple_of: int | None) -> tuple[list[int], list]:
    from arastance.corpus.normalize import normalize_arabert_v02
    from arastance.models.factory import LoadedModel
    from arastance.models.predictor import Predictor
    from arastance.paths import schema_path
    from arastance.schema import load_schema
    from arastance.settings import InferenceSettings, TaskSettings

    schema = load_schema(schema_path())
    settings = InferenceSettings(
        TaskSettings(name="ner"), stride=16, eval_batch_tokens=512, max_rows=8, pool_factor=8, pad_to_multiple_of=1
    )
    model = ShapeRecordingModel(pad_to_multiple_of, len(schema.label2id("ner")))
    units = gold_units(NER, {})
    loaded = LoadedModel(tiny_tokenizer, model, normalize_arabert_v02, "test")
    predictions = Predictor(loaded, NER, settings, schema, "fp32").predict(units)
    return model.widths, predictions.labels


def test_an_exported_model_with_its_own_pad_multiple_gets_batches_of_that_width(tiny_tokenizer) -> None:
    widths, labels = predicted_widths(tiny_tokenizer, 8)
    assert widths and all(width % 8 == 0 for width in widths)
    plain_widths, plain_labels = predicted_widths(tiny_tokenizer, None)
    assert any(
        width % 8 for width in plain_widths
    )  # the settings' multiple (1) otherwise: the test can tell them apart
    assert labels == plain_labels and sum(len(tags) for tags in labels) > 0  # every word still gets exactly one tag


def test_the_openvino_pad_multiple_is_read_back_as_recorded(tmp_path: Path) -> None:
    from arastance.models.openvino_backend import (
        COMPILE_FILE,
        saved_compile_settings,
        saved_pad_multiple,
        saved_precision,
    )

    assert saved_compile_settings(tmp_path) == {}  # exported before compile.json: the defaults
    (tmp_path / COMPILE_FILE).write_text(
        json.dumps({"inference_precision": "f32", "pad_to_multiple_of": 8}), encoding="utf-8"
    )
    recorded = saved_compile_settings(tmp_path)
    assert (saved_pad_multiple(recorded), saved_precision(recorded, "bf16")) == (8, "f32")
    # Older folders recorded the precision only: they were gated with the settings' multiple.
    assert saved_pad_multiple({"inference_precision": "bf16"}) is None
    assert (
        saved_pad_multiple({"pad_to_multiple_of": 0}) is None
        and saved_pad_multiple({"pad_to_multiple_of": True}) is None
    )
    (tmp_path / COMPILE_FILE).write_text("{not json", encoding="utf-8")
    assert saved_compile_settings(tmp_path) == {}


def test_export_settings_out_of_range_are_named_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export_settings()  # the project's configs/onnx/export.yaml passes (its defaults: test_config_validation.py)
    config = tmp_path / "configs" / "onnx" / "export.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(
        "openvino_pad_to_multiple_of: 0\nopenvino_inference_precision: fp16\nmin_word_agreement: 99\nint8: maybe\n",
        encoding="utf-8",
    )
    monkeypatch.setattr("arastance.paths.project_root", lambda: tmp_path)
    with pytest.raises(UserError) as err:
        export_settings()
    message = str(err.value)
    assert str(config) in message
    for key in (
        "openvino_pad_to_multiple_of=0",
        "openvino_inference_precision='fp16'",
        "min_word_agreement=99",
        "int8='maybe'",
    ):
        assert key in message
    config.write_text("- opset\n- 17\n", encoding="utf-8")  # a list, not keys: an error, not the defaults
    with pytest.raises(UserError, match="a mapping of keys to values expected"):
        export_settings()
