"""`arastance preannotate`: Label Studio tasks whose predictions have the exporter's shapes, fit the
labeling config, and come back through the importer (and `arastance gold import`) unchanged."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from arastance.annotation.labelstudio import labeling_config, tasks_to_documents
from arastance.cli import main
from arastance.errors import UserError
from arastance.gold.validate import validate_path
from arastance.predict.documents import load_published_model, predict_documents
from arastance.predict.preannotate import doc_id_for, predicted_document
from arastance.tasks import NER, STANCE
from helpers.publish_runs import biased_copy, schema, trained_runs


def predictions_as_annotations(tasks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """What an annotator who accepts every prediction submits: each task's prediction as its annotation."""
    return [{**task, "annotations": [{"result": task["predictions"][0]["result"]}]} for task in tasks]


TEXT = (
    "أميركا تعزز قواتها ولن تنسحب من سوريا\n"
    "وتنشر واشنطن نحو 900 عسكري في سوريا، وقالَت مصادر إن ٣٠٠ جندي وصلوا إلى الحسكة. وأكد قائد “قسد” ذلك؟"
)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    runs = trained_runs(tmp_path_factory)
    out = tmp_path_factory.mktemp("preannotate-models")
    assert main(["publish", str(runs["stance_fixed"]), "--out", str(out / "stance")]) == 0
    assert main(["publish", str(runs["ner_cv"]), "--out", str(out / "ner")]) == 0
    return {
        "stance": out / "stance",
        "ner_quantity": biased_copy(out / "ner", out / "ner-quantity", "B-QUANTITY"),  # every word a QUANTITY
        "ner_gpe": biased_copy(out / "ner", out / "ner-gpe", "B-GPE"),  # every word a GPE: valid gold
    }


@pytest.fixture
def docs(tmp_path: Path) -> list[Path]:
    a = tmp_path / "new_article.txt"
    a.write_text(TEXT, encoding="utf-8")
    b = tmp_path / "مقال ثان.txt"  # not a valid doc_id: gets a cleaned one with a content hash
    b.write_text("قسد في الحسكة.\nواشنطن باقية.", encoding="utf-8")
    return [a, b]


def config_names() -> dict[str, set[str]]:
    """Control name → its label/choice values, from the labeling config the annotators use."""
    root = ET.fromstring(labeling_config(schema()))
    names: dict[str, set[str]] = {}
    for element in root.iter():
        if "name" in element.attrib and element.tag != "Text":
            names[element.attrib["name"]] = {c.attrib["value"] for c in element if c.tag in ("Label", "Choice")}
    return names


def preannotate(argv: list[str], out: Path) -> list[dict]:
    assert main(["preannotate", *argv, "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_tasks_fit_the_labeling_config(models: dict[str, Path], docs: list[Path], tmp_path: Path) -> None:
    tasks = preannotate(
        [*map(str, docs), "--ner", str(models["ner_quantity"]), "--stance", str(models["stance"])],
        tmp_path / "tasks.json",
    )
    names = config_names()
    assert tasks[0]["data"]["doc_id"] == "new_article"
    assert tasks[1]["data"]["doc_id"].startswith("doc_") or tasks[1]["data"]["doc_id"].count("_") >= 1
    for task in tasks:
        assert set(task) == {"data", "predictions"} and task["data"]["schema_version"] == schema().version
        [prediction] = task["predictions"]
        assert (
            prediction["model_version"].startswith("ner:ner-quantity@")
            and "+stance:stance@" in prediction["model_version"]
        )
        assert 0.0 <= prediction["score"] <= 1.0
        for item in prediction["result"]:
            assert item["to_name"] == "text" and item["from_name"] in names
            value = item["value"]
            for key in ("labels", "choices"):
                if key in value and names[item["from_name"]]:
                    assert set(value[key]) <= names[item["from_name"]]
            if "start" in value and "text" in value and isinstance(value["text"], str):
                assert task["data"]["text"][value["start"] : value["end"]] == value["text"]
        kinds = {item["from_name"] for item in prediction["result"]}
        assert {"entities", "sentences", "stance", "doc_stance"} <= kinds
    quantities = [i for i in tasks[0]["predictions"][0]["result"] if i["from_name"] == "quantity_value"]
    assert {i["value"]["text"]: i["value"]["number"] for i in quantities}["٣٠٠"] == 300


@pytest.mark.slow
def test_accepted_predictions_round_trip_through_the_importer(
    models: dict[str, Path], docs: list[Path], tmp_path: Path
) -> None:
    tasks = preannotate(
        [*map(str, docs), "--ner", str(models["ner_quantity"]), "--stance", str(models["stance"])],
        tmp_path / "tasks.json",
    )
    imported, problems = tasks_to_documents(predictions_as_annotations(tasks), schema())
    assert problems == []
    ner = load_published_model(models["ner_quantity"], NER, "cpu")
    stance = load_published_model(models["stance"], STANCE, "cpu")
    texts = [d.read_text(encoding="utf-8") for d in docs]
    results = predict_documents(texts, ner, stance)
    for doc, task, text, result in zip(imported, tasks, texts, results, strict=True):
        expected = predicted_document(task["data"]["doc_id"], text, result, schema())
        assert doc == expected  # entities with QUANTITY value/unit/approximate, sentences, stances, doc stance
        assert len(doc.entities) == len(result["entities"]) > 0


@pytest.mark.slow
def test_ner_only_leaves_stances_to_the_annotator(models: dict[str, Path], docs: list[Path], tmp_path: Path) -> None:
    tasks = preannotate([str(docs[0]), "--ner", str(models["ner_gpe"])], tmp_path / "tasks.json")
    kinds = [item["from_name"] for item in tasks[0]["predictions"][0]["result"]]
    assert "sentences" in kinds and "stance" not in kinds and "doc_stance" not in kinds
    imported, problems = tasks_to_documents(predictions_as_annotations(tasks), schema())
    assert problems and {p.rule for p in problems} == {"ls-stance"}  # each sentence asks for its stance
    assert len(imported[0].sentences) == 3


@pytest.mark.slow
def test_stance_only_has_no_entity_regions(models: dict[str, Path], docs: list[Path], tmp_path: Path) -> None:
    tasks = preannotate([str(docs[0]), "--stance", str(models["stance"])], tmp_path / "tasks.json")
    kinds = {item["from_name"] for item in tasks[0]["predictions"][0]["result"]}
    # Holders come from the rules' text cues (reporting verbs, speaker nouns) even without entities.
    assert {"sentences", "stance", "doc_stance"} <= kinds <= {"sentences", "stance", "doc_stance", "holder"}


@pytest.mark.slow
def test_corrected_export_goes_through_gold_import(
    models: dict[str, Path], docs: list[Path], tmp_path: Path, project: Path
) -> None:
    """The whole loop: pre-annotate, the annotator submits (here: accepts), export, `arastance gold import`."""
    tasks = preannotate(
        [*map(str, docs), "--ner", str(models["ner_gpe"]), "--stance", str(models["stance"])], tmp_path / "tasks.json"
    )
    export = tmp_path / "export.json"
    export.write_text(json.dumps(predictions_as_annotations(tasks), ensure_ascii=False), encoding="utf-8")
    assert main(["gold", "import", str(export)]) == 0
    for task in tasks:
        doc_id = task["data"]["doc_id"]
        assert (project / "annotations" / "gold" / f"{doc_id}.json").is_file()
        assert (project / "annotations" / "documents" / f"{doc_id}.txt").read_text(encoding="utf-8") == task["data"][
            "text"
        ]
    report = validate_path(project / "annotations" / "gold", schema(), project / "annotations" / "documents")
    assert report.ok, report.problems
    assert len(report.documents) == 2


def test_doc_ids() -> None:
    assert doc_id_for("/x/000_1de9847addf50ec0.txt", "t") == "000_1de9847addf50ec0"
    odd = doc_id_for("/x/مقال ثان.txt", "نص")
    assert odd.startswith("doc_") and len(odd) == len("doc_") + 16
    assert doc_id_for("-", "a") != doc_id_for("-", "b")


@pytest.mark.slow
def test_two_files_with_one_doc_id_are_refused(
    models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "same.txt").write_text("قسد.", encoding="utf-8")
    rc = main(
        [
            "preannotate",
            str(tmp_path / "a" / "same.txt"),
            str(tmp_path / "b" / "same.txt"),
            "--stance",
            str(models["stance"]),
            "--out",
            str(tmp_path / "t.json"),
        ]
    )
    assert rc == 1 and "would both be document same" in capsys.readouterr().err
    assert not (tmp_path / "t.json").exists()


@pytest.mark.slow
def test_unreadable_file_is_refused_before_any_work(
    models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(
        [
            "preannotate",
            str(tmp_path / "missing.txt"),
            "--stance",
            str(models["stance"]),
            "--out",
            str(tmp_path / "t.json"),
        ]
    )
    assert rc == 1 and "no such file" in capsys.readouterr().err


def test_labelstudio_config_command_is_the_one_used(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gold", "labelstudio-config"]) == 0
    assert capsys.readouterr().out == labeling_config(schema())


def test_preannotate_needs_a_model(docs: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preannotate", str(docs[0]), "--out", str(tmp_path / "t.json")]) == 1
    assert "at least one model" in capsys.readouterr().err


def test_predicted_document_requires_nothing_from_the_model_it_lacks() -> None:
    doc = predicted_document("x", "قسد. واشنطن.", {"entities": None, "sentences": None, "doc_stance": None}, schema())
    assert doc.entities == () and [s.stance for s in doc.sentences] == ["", ""] and doc.doc_stance == ""
    with pytest.raises(UserError):
        from arastance.predict.preannotate import preannotation_tasks

        preannotation_tasks(["a/x.txt", "b/x.txt"], ["1", "2"], [{}, {}], schema(), "v")


def test_a_document_warning_goes_into_the_task_meta() -> None:
    from arastance.predict.preannotate import preannotation_tasks

    plain = {"entities": [], "sentences": None, "doc_stance": None}
    warned = {**plain, "warnings": ["5 of 5 words (100%) are unknown to the model ([UNK])"]}
    tasks = preannotation_tasks(["a.txt", "b.txt"], ["قسد.", "中文."], [plain, warned], schema(), "v")
    assert "meta" not in tasks[0] and tasks[1]["meta"] == {"warnings": warned["warnings"]}
