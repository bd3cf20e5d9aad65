"""Label Studio export/import and the labeling config generated from the schema."""

from __future__ import annotations

import copy
import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from arastance.annotation.labelstudio import document_to_task, labeling_config, loads_tasks, tasks_to_documents
from arastance.gold.io import read_gold
from arastance.gold.model import GoldDocument

FIXTURES = Path(__file__).parent / "fixtures" / "gold"


@pytest.fixture
def base() -> GoldDocument:
    return read_gold(FIXTURES / "gold").documents[0].doc


def _results(task):
    return task["annotations"][0]["result"]


def test_export_shape(base):
    task = document_to_task(base, "1.0")
    assert task["data"] == {"text": base.text, "doc_id": "base", "schema_version": "1.0"}
    entities = [r for r in _results(task) if r["from_name"] == "entities"]
    assert len(entities) == 10
    assert entities[0]["value"] == {"start": 28, "end": 44, "text": "القوات الأميركية", "labels": ["ORG"]}
    assert all(r["to_name"] == "text" and r["type"] == "labels" for r in entities)
    stances = [r for r in _results(task) if r["from_name"] == "stance"]
    sentences = [r for r in _results(task) if r["from_name"] == "sentences"]
    assert [s["id"] for s in stances] == [s["id"] for s in sentences]  # per-region: same id as the region
    assert [s["value"]["choices"] for s in stances] == [["PRO_STAY"], ["NONE"], ["PRO_STAY"]]
    (doc_stance,) = [r for r in _results(task) if r["from_name"] == "doc_stance"]
    assert doc_stance["value"] == {"choices": ["PRO_STAY"]}


def test_round_trip_fixture(schema, base):
    docs, problems = tasks_to_documents([document_to_task(base, "1.0")], schema)
    assert problems == []
    assert docs == [base]


def test_offset_mismatch_is_reported_with_task_and_offset(schema, base):
    task = document_to_task(base, "1.0")
    task["id"] = 42
    region = next(r for r in _results(task) if r["value"].get("text") == "قسد")
    region["value"]["start"] += 1
    region["value"]["end"] += 1
    docs, problems = tasks_to_documents([task], schema, "export.json")
    assert [p.rule for p in problems] == ["ls-offset"]
    message = str(problems[0])
    assert "export.json" in message and "task 42" in message and "offset 149" in message
    # the shifted region is not imported
    assert all(e.text != "قسد" for e in docs[0].entities)


def test_utf16_offsets_are_recognised_in_the_message(schema):
    text = "🙂 قالت واشنطن"
    start = text.index("واشنطن")
    task = {
        "id": 7,
        "data": {"text": text, "doc_id": "emoji"},
        "annotations": [
            {
                "result": [
                    # the browser counted the emoji as two UTF-16 code units
                    {
                        "id": "a",
                        "from_name": "entities",
                        "to_name": "text",
                        "type": "labels",
                        "value": {"start": start + 1, "end": start + 7, "text": "واشنطن", "labels": ["GPE"]},
                    },
                ]
            }
        ],
    }
    _, problems = tasks_to_documents([task], schema)
    assert problems[0].rule == "ls-offset"
    assert "UTF-16" in problems[0].message and f"{start}-{start + 6}" in problems[0].message


def test_latest_non_cancelled_annotation_wins(schema, base):
    task = document_to_task(base, "1.0")
    good = task["annotations"][0]
    older = copy.deepcopy(good)
    for r in older["result"]:
        if r["from_name"] == "doc_stance":
            r["value"]["choices"] = ["NONE"]
    cancelled = copy.deepcopy(older)
    good["updated_at"] = "2024-05-02T10:00:00Z"
    older["updated_at"] = "2024-05-01T10:00:00Z"
    cancelled["updated_at"] = "2024-06-01T10:00:00Z"
    cancelled["was_cancelled"] = True
    task["annotations"] = [older, cancelled, good]
    docs, problems = tasks_to_documents([task], schema)
    assert problems == [] and docs[0].doc_stance == "PRO_STAY"


def test_quantity_attributes_are_filled_when_missing(schema, base):
    task = document_to_task(base, "1.0")
    task["annotations"][0]["result"] = [r for r in _results(task) if not r["from_name"].startswith("quantity_")]
    docs, _ = tasks_to_documents([task], schema)
    quantity = next(e for e in docs[0].entities if e.label == "QUANTITY")
    assert (quantity.value, quantity.unit, quantity.approximate) == (900, "جندي", True)  # "نحو" before it


def test_explicit_quantity_attributes_win(schema, base):
    entities = tuple(
        dataclasses.replace(e, value=950, approximate=False) if e.label == "QUANTITY" else e for e in base.entities
    )
    changed = dataclasses.replace(base, entities=entities)
    docs, _ = tasks_to_documents([document_to_task(changed, "1.0")], schema)
    assert docs == [changed]


def test_structural_problems_are_problems_not_exceptions(schema):
    _, problems = loads_tasks("", schema, "x.json")
    assert [p.rule for p in problems] == ["empty-file"]
    _, problems = loads_tasks("[{", schema, "x.json")
    assert [p.rule for p in problems] == ["json"]
    _, problems = loads_tasks('{"data": {}}', schema, "x.json")
    assert [p.rule for p in problems] == ["ls-format"]
    tasks = [
        "not a task",
        {"id": 2, "data": {"text": 5}},
        {"id": 3, "data": {"text": "نص"}},  # no annotations
        {
            "id": 4,
            "data": {"text": "نص"},
            "annotations": [{"result": [{"from_name": "entities", "value": {"start": "0", "end": 2}}]}],
        },
        {
            "id": 5,
            "data": {"text": "نص"},
            "annotations": [{"result": [{"from_name": "entities", "value": {"start": 0, "end": 9}}]}],
        },
    ]
    _, problems = tasks_to_documents(tasks, schema, "x.json")
    assert [p.rule for p in problems] == ["ls-format", "ls-format", "ls-no-annotation", "ls-format", "ls-offset"]
    assert [p.message.split(":")[0] for p in problems] == ["task 0", "task 2", "task 3", "task 4", "task 5"]
    # without require_annotation, an unfinished task is skipped silently
    _, problems = tasks_to_documents(tasks[2:3], schema, require_annotation=False)
    assert problems == []


def test_holder_outside_sentences_and_missing_stance(schema):
    text = "قال المصدر إن القوات باقية."
    task = {
        "id": 1,
        "data": {"text": text, "doc_id": "d"},
        "annotations": [
            {
                "result": [
                    {
                        "id": "s0",
                        "from_name": "sentences",
                        "to_name": "text",
                        "type": "labels",
                        "value": {"start": 0, "end": 10, "text": text[:10], "labels": ["SENTENCE"]},
                    },
                    {
                        "id": "h0",
                        "from_name": "holder",
                        "to_name": "text",
                        "type": "labels",
                        "value": {"start": 14, "end": 20, "text": text[14:20], "labels": ["HOLDER"]},
                    },
                ]
            }
        ],
    }
    _, problems = tasks_to_documents([task], schema)
    assert sorted(p.rule for p in problems) == ["ls-holder", "ls-stance"]


def test_new_document_gets_an_id_from_task_and_text(schema, base):
    task = document_to_task(base, "1.0")
    del task["data"]["doc_id"]
    task["id"] = 12
    docs, _ = tasks_to_documents([task], schema)
    assert docs[0].doc_id.startswith("ls12_") and len(docs[0].doc_id) == len("ls12_") + 16


def test_labeling_config_is_generated_from_the_schema(schema):
    xml = labeling_config(schema)
    root = ET.fromstring(xml)
    labels = {el.get("name"): [lab.get("value") for lab in el] for el in root.iter("Labels")}
    assert labels["entities"] == list(schema.entity_labels)
    assert labels["holder"] == ["HOLDER"]
    assert labels["sentences"] == ["SENTENCE"]
    choices = {el.get("name"): el for el in root.iter("Choices")}
    assert [c.get("value") for c in choices["stance"]] == list(schema.stance_classes)
    assert choices["stance"].get("perRegion") == "true"
    assert [c.get("value") for c in choices["doc_stance"]] == list(schema.document_stance_classes)
    assert choices["doc_stance"].get("perRegion") is None
    # a changed schema changes the config: nothing is hard-coded
    renamed = dataclasses.replace(schema, entity_labels=(*schema.entity_labels, "EVENT"))
    assert 'value="EVENT"' in labeling_config(renamed)


def test_exported_tasks_are_json_serialisable(base):
    assert json.loads(json.dumps(document_to_task(base, "1.0"), ensure_ascii=False))["data"]["doc_id"] == "base"


@pytest.mark.parametrize("from_name", ["entities", "sentences"])
def test_duplicate_region_id_is_a_problem_naming_task_and_id(schema, base, from_name):
    task = document_to_task(base, "1.0")
    task["id"] = 7
    regions = [r for r in _results(task) if r["from_name"] == from_name]
    regions[1]["id"] = regions[0]["id"]
    _, problems = tasks_to_documents([task], schema, "export.json")
    duplicate = [p for p in problems if p.rule == "ls-duplicate-id"]
    assert len(duplicate) == 1
    message = str(duplicate[0])
    assert "task 7" in message and repr(regions[0]["id"]) in message and "export.json" in message


def test_an_unknown_approximate_choice_is_a_problem_not_a_guess(schema, base):
    task = document_to_task(base, "1.0")
    for result in _results(task):
        if result["from_name"] == "quantity_approximate":
            result["value"]["choices"] = ["roughly"]
    _, problems = tasks_to_documents([task], schema)
    assert [p.rule for p in problems] == ["ls-format"] and "'roughly' is not approximate or exact" in problems[
        0
    ].message


def test_a_control_mapping_reads_another_template(schema, base):
    task = document_to_task(base, "1.0")
    for result in _results(task):
        result["from_name"] = {"entities": "label", "doc_stance": "document"}.get(
            result["from_name"], result["from_name"]
        )
    docs, problems = tasks_to_documents([task, copy.deepcopy(task)], schema)
    assert docs[0].entities == () and docs[0].doc_stance == ""
    # once each, not once per task; named with the known controls and the way to map it
    assert [p.rule for p in problems] == ["ls-control", "ls-control"]
    for problem, name in zip(problems, ["label", "document"], strict=True):
        assert (
            f"control {name!r} is not one of ours (entities, sentences, holder, stance, doc_stance" in problem.message
        )
        assert f"--control {name}=OURS" in problem.message and f"--control {name}=-" in problem.message
    docs, problems = tasks_to_documents([task], schema, controls={"label": "entities", "document": "doc_stance"})
    assert problems == [] and docs == [base]
