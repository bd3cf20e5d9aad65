"""Gold → word-level IOB2 records, CoNLL, and tags back to character spans."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from tests.helpers.records import records_to_document

from arastance.corpus.external import parse_conll
from arastance.gold.convert import (
    ConversionError,
    sentence_records,
    spans_to_tags,
    tags_to_spans,
    to_conll,
    to_records,
)
from arastance.gold.io import read_gold
from arastance.gold.model import Entity, GoldDocument, Sentence

FIXTURES = Path(__file__).parent / "fixtures" / "gold"


@pytest.fixture
def base() -> GoldDocument:
    return read_gold(FIXTURES / "gold").documents[0].doc


def test_sentence_records_of_the_fixture(base):
    records = sentence_records(base)
    assert [r["sentence_id"] for r in records] == [0, 1, 2]
    first = records[0]
    assert first["doc_id"] == "base"
    assert first["tokens"][:3] == ["مصادر", "أمنية", ":"]  # punctuation is split off
    tagged = [(tok, tag) for tok, tag in zip(first["tokens"], first["ner_tags"], strict=True) if tag != "O"]
    assert tagged == [("القوات", "B-ORG"), ("الأميركية", "I-ORG"), ("سوريا", "B-GPE")]
    assert first["stance"] == "PRO_STAY" and first["holder"] is None
    third = records[2]
    assert third["holder"] == {"start": 133, "end": 143, "text": "مظلوم عبدي"}
    # "قسد" between quotes: the quotes are tokens of their own and stay O
    i = third["tokens"].index("قسد")
    assert third["ner_tags"][i - 1 : i + 2] == ["O", "B-ORG", "O"]
    # offsets index the document text
    for record in records:
        for token, (start, end) in zip(record["tokens"], record["offsets"], strict=True):
            assert base.text[start:end] == token


def test_entity_boundary_inside_a_word_is_a_clear_error(base):
    bad = dataclasses.replace(base, entities=(Entity(28, 34, "ORG", "القوات"), Entity(48, 52, "GPE", "سوري")))
    with pytest.raises(
        ConversionError, match=r"doc base, sentence 0 .*GPE span 48-52: its end is not on a token boundary"
    ):
        sentence_records(bad)


def test_entity_outside_every_sentence_is_a_clear_error(base):
    bad = dataclasses.replace(base, sentences=base.sentences[:2])
    with pytest.raises(ConversionError, match=r"doc base: PER entity at offset 133-143 is not inside one sentence"):
        sentence_records(bad)


def test_spans_to_tags_and_back():
    offsets = [[0, 3], [4, 8], [9, 12], [13, 15], [16, 20]]
    spans = [(0, 8, "ORG"), (13, 20, "GPE")]
    tags = spans_to_tags(spans, offsets)
    assert tags == ["B-ORG", "I-ORG", "O", "B-GPE", "I-GPE"]
    assert tags_to_spans(tags, offsets) == spans


def test_spans_to_tags_rejects_overlap_and_misalignment():
    offsets = [[0, 3], [4, 8]]
    with pytest.raises(ValueError, match="overlaps"):
        spans_to_tags([(0, 8, "ORG"), (4, 8, "GPE")], offsets)
    with pytest.raises(ValueError, match="start is not on a token boundary"):
        spans_to_tags([(1, 3, "ORG")], offsets)


def test_tags_to_spans_is_strict_iob2():
    offsets = [[i * 2, i * 2 + 1] for i in range(8)]
    tags = ["I-ORG", "I-ORG", "B-PER", "I-PER", "I-GPE", "B-LOC", "B-LOC", "I-LOC"]
    # leading I- without B- is dropped; I-GPE after PER starts nothing; B- after B- splits
    assert tags_to_spans(tags, offsets) == [(4, 7, "PER"), (10, 11, "LOC"), (12, 15, "LOC")]
    with pytest.raises(ValueError, match="not an IOB2 tag"):
        tags_to_spans(["X-ORG"], [[0, 1]])
    with pytest.raises(ValueError, match="2 tags for 1 tokens"):
        tags_to_spans(["O", "O"], [[0, 1]])


def test_records_back_to_document(schema, base):
    back = records_to_document(sentence_records(base), base.text, base.doc_stance, schema, "1.0")
    assert back == base  # the fixture's QUANTITY attributes are what parse_quantity gives


def test_conll_round_trip(base):
    records = to_records([base, dataclasses.replace(base, doc_id="second")])
    text = to_conll(records)
    lines = text.splitlines()
    assert lines[0] == "-DOCSTART- O base" and lines[1] == ""
    assert "القوات B-ORG" in lines
    assert text.count("-DOCSTART-") == 2
    assert text.endswith("\n\n")  # blank line after the last sentence
    back = parse_conll(text, "gold.conll", "gold")  # the reader of `arastance corpus`
    assert [(s.doc_id, s.tokens, s.tags) for s in back] == [(r["doc_id"], r["tokens"], r["ner_tags"]) for r in records]


def test_sentence_without_entities_is_all_o():
    text = "لا شيء هنا."
    doc = GoldDocument("d", text, "NONE", (), (Sentence(0, len(text), "NONE"),), "1.0")
    (record,) = sentence_records(doc)
    assert record["ner_tags"] == ["O"] * len(record["tokens"]) and record["tokens"][-1] == "."
