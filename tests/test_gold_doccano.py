"""doccano JSONL export/import."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from arastance.annotation.doccano import document_to_line, dumps_doccano, loads_doccano
from arastance.gold.io import read_gold
from arastance.gold.model import GoldDocument

FIXTURES = Path(__file__).parent / "fixtures" / "gold"


@pytest.fixture
def base() -> GoldDocument:
    return read_gold(FIXTURES / "gold").documents[0].doc


def test_export_shape(base):
    line = document_to_line(base, "1.0")
    assert line["text"] == base.text
    assert line["label"][0] == [28, 44, "ORG"]
    assert len(line["label"]) == 10
    assert line["doc_id"] == "base" and line["doc_stance"] == "PRO_STAY"
    assert line["quantities"] == [{"start": 86, "end": 94, "value": 900, "unit": "جندي", "approximate": True}]
    assert line["sentences"][1]["holder"]["text"] == "المصدر"


def test_round_trip_fixture(schema, base):
    docs, problems = loads_doccano(dumps_doccano([base], "1.0"), schema)
    assert problems == [] and docs == [base]


def test_newer_export_with_entities_and_meta(schema, base):
    line = document_to_line(base, "1.0")
    newer = {
        "id": 3,
        "text": line["text"],
        "entities": [
            {"id": i, "label": lab, "start_offset": s, "end_offset": e} for i, (s, e, lab) in enumerate(line["label"])
        ],
        "meta": {k: line[k] for k in ("doc_id", "schema_version", "doc_stance", "sentences", "quantities")},
    }
    docs, problems = loads_doccano(json.dumps(newer, ensure_ascii=False), schema)
    assert problems == [] and docs == [base]


def test_missing_quantity_attributes_are_parsed(schema, base):
    line = document_to_line(base, "1.0")
    del line["quantities"]
    docs, _ = loads_doccano(json.dumps(line, ensure_ascii=False), schema)
    assert docs == [base]  # parse_quantity gives the fixture's annotated attributes
    changed = dataclasses.replace(
        base, entities=tuple(dataclasses.replace(e, value=1) if e.label == "QUANTITY" else e for e in base.entities)
    )
    docs, _ = loads_doccano(dumps_doccano([changed], "1.0"), schema)
    assert docs == [changed]  # annotated attributes are kept as they are


def test_problems_name_the_line(schema, base):
    good = json.dumps(document_to_line(base, "1.0"), ensure_ascii=False)
    bad_label = json.dumps({"text": "نص", "doc_id": "x", "label": [[0, 9, "ORG"], [0, "1", "ORG"]], "sentences": []})
    content = "\n".join(
        [good, "{oops", bad_label, json.dumps({"no": "text"}), json.dumps({"text": "نص", "doc_id": "y"})]
    )
    docs, problems = loads_doccano(content, schema, "d.jsonl")
    assert [(p.rule, p.line) for p in problems] == [
        ("json", 2),
        ("doccano-format", 3),
        ("doccano-format", 3),
        ("doccano-format", 4),
        ("doccano-format", 5),  # no entity list
        ("doccano-format", 5),  # no sentences
    ]
    assert "d.jsonl:3" in str(problems[1]) and "outside the text" in str(problems[1])
    assert [d.doc_id for d in docs] == ["base", "x", "y"]
    assert loads_doccano("  \n", schema)[1][0].rule == "empty-file"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda line: line.update(labels=line.pop("label")), 'no entity list: expected "label"'),
        (lambda line: line.update(relations=[{"from_id": 0, "to_id": 1, "type": "says"}]), '"relations": this project'),
    ],
    ids=["entities-under-another-key", "relations"],
)
def test_what_the_importer_does_not_know_is_refused_not_skipped(schema, base, change, expected):
    line = document_to_line(base, "1.0")
    change(line)
    _, problems = loads_doccano(json.dumps(line, ensure_ascii=False), schema, "d.jsonl")
    assert [p.rule for p in problems] == ["doccano-format"] and expected in str(problems[0])
    assert "d.jsonl:1" in str(problems[0])
