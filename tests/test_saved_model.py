"""A saved model folder that is not whole (no tokenizer, corrupt config.json, weights cut short) is
refused with the file named, by `load_saved` and by `arastance predict`, instead of predicting from
defaults or ending in an unexpected error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from arastance.cli import main
from arastance.errors import UserError
from arastance.models.factory import load_saved


@pytest.fixture(scope="module")
def saved_ner(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    """An untrained NER head on the tiny model, saved as training saves best/ (weights, config, tokenizer)."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from arastance.schema import load_schema

    id2label = load_schema().id2label("ner")
    out = tmp_path_factory.mktemp("saved") / "best"
    model = AutoModelForTokenClassification.from_pretrained(
        tiny_model_dir, num_labels=len(id2label), id2label=id2label, label2id={v: k for k, v in id2label.items()}
    )
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(out)
    return out


@pytest.fixture
def copy_of(saved_ner: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(saved_ner, folder)
    return folder


def test_a_whole_folder_loads_with_its_own_vocabulary(saved_ner: Path) -> None:
    loaded = load_saved(saved_ner, "arabert_v02", 128)
    assert len(loaded.tokenizer) == loaded.model.config.vocab_size


@pytest.mark.parametrize("removed", [["tokenizer.json"], ["tokenizer.json", "tokenizer_config.json"]])
def test_missing_tokenizer_files_are_named(copy_of: Path, removed: list[str]) -> None:
    for name in removed:
        (copy_of / name).unlink()
    with pytest.raises(UserError, match=r"no tokenizer files.*tokenizer\.json.*vocab\.txt"):
        load_saved(copy_of, "arabert_v02", 128)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"architectures": ["BertForTokenClassification"], "id2', "not valid JSON"),
        ("[1, 2]", "holds a JSON list"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_corrupt_config_json_is_named(copy_of: Path, content: str | bytes, expected: str) -> None:
    path = copy_of / "config.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(UserError, match=rf"config\.json: {expected}"):
        load_saved(copy_of, "arabert_v02", 128)


@pytest.mark.parametrize("keep", [0.5, 0.999, 16 / 850_000])
def test_truncated_weights_are_named(copy_of: Path, keep: float) -> None:
    weights = copy_of / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: max(4, int(len(data) * keep))])
    with pytest.raises(UserError, match=r"model\.safetensors: .*(truncated|too short)"):
        load_saved(copy_of, "arabert_v02", 128)


def test_missing_weights_are_named(copy_of: Path) -> None:
    (copy_of / "model.safetensors").unlink()
    with pytest.raises(UserError, match="no model weights"):
        load_saved(copy_of, "arabert_v02", 128)


@pytest.mark.parametrize("fault", ["no-tokenizer", "corrupt-config", "truncated-weights"])
def test_predict_names_the_file_and_exits_1(
    copy_of: Path, tmp_path: Path, fault: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if fault == "no-tokenizer":
        (copy_of / "tokenizer.json").unlink()
    elif fault == "corrupt-config":
        (copy_of / "config.json").write_text("{", encoding="utf-8")
    else:
        weights = copy_of / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[:-100])
    doc = tmp_path / "doc.txt"
    doc.write_text("قالت وزارة الدفاع إن 900 جندي في سوريا.", encoding="utf-8")
    assert main(["predict", "--ner", str(copy_of), "--device", "cpu", str(doc)]) == 1
    err = capsys.readouterr().err
    assert "unexpected error" not in err
    assert (
        str(copy_of) in err
        and {
            "no-tokenizer": "tokenizer.json",
            "corrupt-config": "config.json",
            "truncated-weights": "model.safetensors",
        }[fault]
        in err
    )


# --------------------------------------------------------------------------- exported variants: the same checks


def with_a_gated_export(folder: Path) -> Path:
    """`folder` as if published with an ONNX export that passed its gate and beat torch (the graph itself
    is not one: a folder check that let it through would fail on opening it, not with the check's message)."""
    import json

    from arastance.models.onnx_backend import GATE_FILE, ONNX_DIR

    (folder / ONNX_DIR).mkdir()
    (folder / ONNX_DIR / "model.onnx").write_bytes(b"not a graph")
    gate = {"torch": {"seconds": 1.0}, "variants": {"fp32": {"passed": True, "seconds": 0.5}}}
    (folder / ONNX_DIR / GATE_FILE).write_text(json.dumps(gate), encoding="utf-8")
    return folder


def predict_error(folder: Path, backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    doc = tmp_path / "doc.txt"
    doc.write_text("قالت وزارة الدفاع إن 900 جندي في سوريا.", encoding="utf-8")
    out = tmp_path / f"{backend}.jsonl"
    rc = main(["predict", "--ner", str(folder), "--backend", backend, "--device", "cpu", "--out", str(out), str(doc)])
    return rc, capsys.readouterr().err


@pytest.mark.parametrize("backend", ["auto", "onnx"])
def test_an_exported_variant_goes_through_the_torch_folder_checks(
    copy_of: Path, tmp_path: Path, backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("onnxruntime")
    from arastance.models.variants import choose_backend

    folder = with_a_gated_export(copy_of)
    assert choose_backend("auto", "cpu", folder) == ("onnx", "fp32")  # auto would run the export
    (folder / "tokenizer.json").unlink()
    torch_rc, torch_err = predict_error(folder, "torch", tmp_path, capsys)
    rc, err = predict_error(folder, backend, tmp_path, capsys)
    assert torch_rc == rc == 1 and "no tokenizer files" in err and "Traceback" not in err
    assert err == torch_err  # the same message, whichever backend would have run
    assert not (tmp_path / f"{backend}.jsonl").exists()


@pytest.mark.parametrize("backend", ["onnx", "openvino"])
def test_a_backend_asked_for_on_a_folder_without_its_export_says_so(
    copy_of: Path, tmp_path: Path, backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, err = predict_error(copy_of, backend, tmp_path, capsys)
    assert rc == 1 and f"{copy_of} has no {backend} export" in err and "arastance publish --onnx yes" in err
    assert "pip install 'arastance[onnx]'" not in err and "needs onnxruntime" not in err
