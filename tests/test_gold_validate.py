"""The validator: one malformed fixture per rule, every problem reported, and the problem format."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from arastance.corpus import segment
from arastance.gold import validate as validate_module
from arastance.gold.io import Problem, read_gold
from arastance.gold.model import Entity, GoldDocument, Holder, Sentence
from arastance.gold.validate import validate, validate_document, validate_path

FIXTURES = Path(__file__).parent / "fixtures" / "gold"
BASE_TEXT = (FIXTURES / "documents" / "base.txt").read_text(encoding="utf-8")

# (fixture in invalid/, name it is copied as into gold/, rule, offset in the message or None)
STANDOFF_CASES = [
    ("offset-range.json", "base.json", "offset-range", 187),
    ("span-text.json", "base.json", "span-text", 28),
    ("word-boundary.json", "base.json", "word-boundary", 52),
    ("entity-label.json", "base.json", "entity-label", 148),
    ("entity-overlap.json", "base.json", "entity-overlap", 108),
    ("entity-sentence.json", "base.json", "entity-sentence", 48),
    ("quantity-attributes.json", "base.json", "quantity-attributes", 86),
    ("stance-label.json", "base.json", "stance-label", 55),
    ("doc-stance.json", "base.json", "doc-stance", None),
    ("holder-span.json", "base.json", "holder-span", 133),
    ("sentence-order.json", "base.json", "sentence-order", 55),
    ("sentence-overlap.json", "base.json", "sentence-overlap", 48),
    ("sentence-coverage.json", "base.json", "sentence-coverage", 53),
    ("schema-version.json", "base.json", "schema-version", None),
    ("file-name.json", "other.json", "file-name", None),
    ("missing-text.json", "nosuch.json", "missing-text", None),
    ("format.json", "base.json", "format", None),
    ("json.json", "base.json", "json", None),
    ("empty-file.json", "base.json", "empty-file", None),
]

JSONL_CASES = [
    ("doc-id-duplicate.jsonl", "doc-id-duplicate", ":2"),
    ("document-text.jsonl", "document-text", "offset 18"),
    ("doc-id.jsonl", "doc-id", ":1"),
    ("format.jsonl", "json", ":2"),
    ("format.jsonl", "format", ":3"),
]


def _standoff_root(tmp_path: Path, fixture: str, name: str) -> Path:
    shutil.copytree(FIXTURES / "documents", tmp_path / "documents")
    (tmp_path / "gold").mkdir()
    shutil.copy(FIXTURES / "invalid" / fixture, tmp_path / "gold" / name)
    return tmp_path / "gold"


def test_valid_fixture_has_no_problems(schema):
    report = validate_path(FIXTURES / "gold", schema)
    assert report.problems == []
    assert report.summary() == "1 documents, 10 entities, 3 sentences: 0 errors"


def test_valid_jsonl_fixture_has_no_problems(schema):
    report = validate_path(FIXTURES / "valid.jsonl", schema, FIXTURES / "documents")
    assert report.problems == []
    assert [d.doc.doc_id for d in report.documents] == ["base"]


@pytest.mark.parametrize(("fixture", "name", "rule", "offset"), STANDOFF_CASES, ids=[c[2] for c in STANDOFF_CASES])
def test_standoff_rule(tmp_path, schema, fixture, name, rule, offset):
    gold = _standoff_root(tmp_path, fixture, name)
    report = validate_path(gold, schema)
    matching = [p for p in report.problems if p.rule == rule]
    assert matching, [str(p) for p in report.problems]
    message = str(matching[0])
    assert f"[{rule}]" in message
    assert str(gold / name) in message
    if offset is not None:
        assert f"offset {offset}" in message
        assert matching[0].offset == offset
    # Each fixture breaks one rule: nothing else is reported.
    assert {p.rule for p in report.problems} == {rule}
    assert "\n" not in message


@pytest.mark.parametrize(("fixture", "rule", "place"), JSONL_CASES, ids=[f"{c[0]}-{c[1]}" for c in JSONL_CASES])
def test_jsonl_rule(schema, fixture, rule, place):
    path = FIXTURES / "invalid" / fixture
    report = validate_path(path, schema, FIXTURES / "documents")
    matching = [str(p) for p in report.problems if p.rule == rule]
    assert matching, [str(p) for p in report.problems]
    assert str(path) in matching[0]
    assert place in matching[0]


def test_missing_path_is_a_problem_not_an_exception(tmp_path, schema):
    report = validate_path(tmp_path / "nowhere", schema)
    assert [p.rule for p in report.problems] == ["read"]
    assert str(tmp_path / "nowhere") in str(report.problems[0])


def _doc(**changes) -> GoldDocument:
    base = read_gold(FIXTURES / "gold").documents[0].doc
    return dataclasses.replace(base, **changes)


def test_every_error_is_reported_not_only_the_first(schema):
    doc = _doc()
    entities = list(doc.entities)
    entities[0] = dataclasses.replace(entities[0], label="NOPE")
    entities[1] = dataclasses.replace(entities[1], text="wrong")
    entities[2] = dataclasses.replace(entities[2], start=71, text=doc.text[71:76])
    sentences = list(doc.sentences)
    sentences[0] = dataclasses.replace(sentences[0], stance="MAYBE")
    problems = validate_document(
        dataclasses.replace(doc, entities=tuple(entities), sentences=tuple(sentences), doc_stance=""), schema
    )
    rules = sorted(p.rule for p in problems)
    assert rules == ["doc-stance", "entity-label", "span-text", "stance-label", "word-boundary"]
    # Sorted by offset, document-level problems first.
    assert problems[0].rule == "doc-stance"
    assert [p.offset for p in problems[1:]] == sorted(p.offset for p in problems[1:])


def test_offsets_of_the_wrong_type_from_memory(schema):
    doc = _doc()
    bad = dataclasses.replace(doc.entities[0], start="28")  # type: ignore[arg-type]  # the wrong type on purpose
    also_bad = dataclasses.replace(doc.entities[1], end=True)  # booleans are not offsets
    problems = validate_document(dataclasses.replace(doc, entities=(bad, also_bad, *doc.entities[2:])), schema)
    assert [p.rule for p in problems] == ["offset-type", "offset-type"]
    assert "'28'" in str(problems[0]) and "True" in str(problems[1])


def test_start_not_before_end(schema):
    doc = _doc()
    empty = Entity(28, 28, "ORG", "")
    problems = validate_document(dataclasses.replace(doc, entities=(empty, *doc.entities[1:])), schema)
    assert [(p.rule, p.offset) for p in problems] == [("offset-range", 28)]
    assert "start >= end" in problems[0].message


def test_holder_checks(schema):
    doc = _doc()
    sentence = doc.sentences[1]
    holder = Holder(61, 66, doc.text[61:66])  # inside the word المصدر
    problems = validate_document(
        dataclasses.replace(
            doc, sentences=(doc.sentences[0], dataclasses.replace(sentence, holder=holder), doc.sentences[2])
        ),
        schema,
    )
    assert [(p.rule, p.offset) for p in problems] == [("word-boundary", 61)]
    assert "holder" in problems[0].message
    wrong_text = Holder(60, 66, "مصدر")
    problems = validate_document(
        dataclasses.replace(
            doc, sentences=(doc.sentences[0], dataclasses.replace(sentence, holder=wrong_text), doc.sentences[2])
        ),
        schema,
    )
    assert [(p.rule, p.offset) for p in problems] == [("span-text", 60)]


def test_sentence_boundaries_must_be_word_aligned(schema):
    doc = _doc()
    first = doc.sentences[0]
    problems = validate_document(
        dataclasses.replace(doc, sentences=(Sentence(1, first.end, first.stance), *doc.sentences[1:])), schema
    )
    rules = {(p.rule, p.offset) for p in problems}
    assert ("word-boundary", 1) in rules
    assert ("sentence-coverage", 0) in rules


def test_quantity_value_must_be_a_number(schema):
    doc = _doc()
    entities = [dataclasses.replace(e, value=True) if e.label == "QUANTITY" else e for e in doc.entities]
    problems = validate_document(dataclasses.replace(doc, entities=tuple(entities)), schema)
    assert [p.rule for p in problems] == ["quantity-attributes"]
    assert "value must be a number" in problems[0].message


def test_attributes_only_on_quantity(schema):
    doc = _doc()
    entities = [dataclasses.replace(e, unit="x") if e.label == "PER" else e for e in doc.entities]
    problems = validate_document(dataclasses.replace(doc, entities=tuple(entities)), schema)
    assert [(p.rule, p.offset) for p in problems] == [("quantity-attributes", 133)]


def test_missing_schema_version(schema):
    problems = validate_document(_doc(schema_version=None), schema)
    assert [p.rule for p in problems] == ["schema-version"]


def test_duplicate_ids_in_memory(schema):
    doc = _doc()
    problems = validate([doc, doc], schema)
    assert [p.rule for p in problems] == ["doc-id-duplicate"]


def test_token_boundaries_computed_once_per_document(schema, monkeypatch):
    calls = []
    real = segment.tokenize_words

    def counting(text, start=0, end=None):
        calls.append((start, end))
        return real(text, start, end)

    monkeypatch.setattr(validate_module, "tokenize_words", counting)
    validate_document(_doc(), schema)
    assert len(calls) == 1


def test_problem_str_is_one_line_with_place():
    problem = Problem("gold/x.json", "x", 12, 'a "b"\nc', "span-text", "stored text differs", None)
    assert str(problem) == 'gold/x.json: doc x: offset 12: [span-text] stored text differs "a \\"b\\"\\nc"'
    jsonl = Problem("gold.jsonl", None, None, None, "json", "malformed JSON", 3)
    assert str(jsonl) == "gold.jsonl:3: [json] malformed JSON"


REPO_ANNOTATIONS = Path(__file__).resolve().parents[1] / "annotations"


def test_a_document_resaved_with_crlf_is_one_line_endings_problem(tmp_path: Path) -> None:
    shutil.copytree(REPO_ANNOTATIONS, tmp_path / "annotations")
    docs = sorted((tmp_path / "annotations" / "documents").glob("*.txt"))
    docs[0].write_bytes(docs[0].read_bytes().replace(b"\n", b"\r\n"))
    report = validate_path(tmp_path / "annotations" / "gold", validate_module_schema())
    assert [p.rule for p in report.problems] == ["line-endings"]
    assert str(docs[0]) in report.problems[0].message and "CRLF" in report.problems[0].message


def test_a_text_annotated_with_crlf_but_stored_with_lf_is_named_too() -> None:
    from arastance.gold.io import LoadedDocument

    doc = read_gold(REPO_ANNOTATIONS / "gold").documents[0].doc

    def shift(offset):
        return offset + doc.text.count("\n", 0, offset)  # where CRLF puts the offset

    on_crlf = dataclasses.replace(
        doc,
        entities=tuple(dataclasses.replace(e, start=shift(e.start), end=shift(e.end)) for e in doc.entities),
        sentences=tuple(
            dataclasses.replace(
                s,
                start=shift(s.start),
                end=shift(s.end),
                holder=s.holder and dataclasses.replace(s.holder, start=shift(s.holder.start), end=shift(s.holder.end)),
            )
            for s in doc.sentences
        ),
    )
    problems = validate([LoadedDocument(on_crlf, "x.json")], validate_module_schema())
    assert [p.rule for p in problems] == ["line-endings"] and "LF line endings but was annotated with CRLF" in problems[
        0
    ].message


def test_crlf_that_the_annotations_do_not_fit_either_way_is_not_called_line_endings() -> None:
    from arastance.gold.io import LoadedDocument

    doc = read_gold(REPO_ANNOTATIONS / "gold").documents[0].doc
    broken = dataclasses.replace(doc, text="x" + doc.text.replace("\n", "\r\n"))
    problems = validate([LoadedDocument(broken, "x.json")], validate_module_schema())
    assert "line-endings" not in {p.rule for p in problems} and len(problems) > 1


def validate_module_schema():
    from arastance.schema import load_schema

    return load_schema(REPO_ANNOTATIONS / "schema.yaml")
