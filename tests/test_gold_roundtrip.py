"""Property tests: every format round-trips random valid gold documents unchanged.

The generator builds Arabic-ish text with punctuation, digits, line breaks, dotted words, tatweel
proclitics, diacritics and an emoji (astral character); sentences come from split_sentences and
entities/holders are random word-aligned, non-overlapping token ranges inside one sentence.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers.records import records_to_document

from arastance.annotation.doccano import dumps_doccano, loads_doccano
from arastance.annotation.labelstudio import documents_to_tasks, tasks_to_documents
from arastance.corpus.external import parse_conll
from arastance.corpus.segment import split_sentences, tokenize_words
from arastance.gold.convert import sentence_records, tags_to_spans, to_conll
from arastance.gold.io import dumps_jsonl, parse_jsonl, read_gold_dir, write_standoff
from arastance.gold.model import QUANTITY, Entity, GoldDocument, Holder, Sentence
from arastance.gold.validate import validate, validate_document
from arastance.schema import load_schema

SCHEMA = load_schema(Path(__file__).resolve().parents[1] / "annotations" / "schema.yaml")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويةىءأإآ"
WORDS = st.one_of(
    st.text(alphabet=LETTERS, min_size=1, max_size=7),
    st.text(alphabet=LETTERS, min_size=1, max_size=5).map(lambda w: w[0] + "\u064e" + w[1:]),  # a fatha
    st.integers(0, 100000).map(str),
    st.sampled_from(["2024.01.24", "13:01", "القـ.ـوات", "لـ", "١٥٠", "🙂", "و900"]),
)
PUNCT = st.sampled_from(["،", ".", "؟", "!", "«", "»", '"', ":", "(", ")", "…", "-", "–", "."])
SEPARATORS = st.sampled_from([" ", " ", " ", " ", "", "\n", "  ", " \n "])
LABELS = st.sampled_from(SCHEMA.entity_labels)


@st.composite
def texts(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.tuples(st.one_of(WORDS, WORDS, PUNCT), SEPARATORS), min_size=1, max_size=30))
    text = draw(st.sampled_from(["", " ", "\n"])) + "".join(p + s for p, s in pieces)
    return text if text.strip() else "نص"


@st.composite
def documents(draw: st.DrawFn, doc_id: str | None = None) -> GoldDocument:
    text = draw(texts())
    entities: list[Entity] = []
    sentences: list[Sentence] = []
    for span in split_sentences(text):
        tokens = tokenize_words(text, span.start, span.end)
        i = draw(st.integers(0, 2))
        while i < len(tokens):
            length = draw(st.integers(1, 3))
            last = min(i + length, len(tokens)) - 1
            start, end = tokens[i].start, tokens[last].end
            label = draw(LABELS)
            if label == QUANTITY:
                value = draw(st.one_of(st.integers(0, 10**6), st.floats(0, 1e6, allow_nan=False, allow_infinity=False)))
                unit = draw(st.text(alphabet=LETTERS, min_size=1, max_size=6))
                entities.append(Entity(start, end, label, text[start:end], value, unit, draw(st.booleans())))
            else:
                entities.append(Entity(start, end, label, text[start:end]))
            i = last + 1 + draw(st.integers(0, 3))
        holder = None
        if draw(st.booleans()):
            a = draw(st.integers(0, len(tokens) - 1))
            b = draw(st.integers(a, len(tokens) - 1))
            holder = Holder(tokens[a].start, tokens[b].end, text[tokens[a].start : tokens[b].end])
        sentences.append(Sentence(span.start, span.end, draw(st.sampled_from(SCHEMA.stance_classes)), holder))
    return GoldDocument(
        doc_id or draw(st.from_regex(r"[a-z0-9][a-z0-9_]{0,8}", fullmatch=True)),
        text,
        draw(st.sampled_from(SCHEMA.document_stance_classes)),
        tuple(entities),
        tuple(sentences),
        SCHEMA.version,
    )


@st.composite
def corpora(draw: st.DrawFn) -> list[GoldDocument]:
    n = draw(st.integers(1, 3))
    return [draw(documents(doc_id=f"doc{i}")) for i in range(n)]


@SETTINGS
@given(documents())
def test_generated_documents_are_valid(doc):
    # Guards the generator: the round trips below are only meaningful on valid gold.
    assert validate_document(doc, SCHEMA) == []


@SETTINGS
@given(corpora())
def test_jsonl_round_trip(docs):
    result = parse_jsonl(dumps_jsonl(docs, SCHEMA.version), "gold.jsonl")
    assert result.problems == []
    assert [d.doc for d in result.documents] == docs


@SETTINGS
@given(corpora())
def test_standoff_round_trip(docs):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_standoff(docs, root, SCHEMA.version)
        result = read_gold_dir(root / "gold")
        assert result.problems == []
        assert [d.doc for d in result.documents] == docs
        assert validate(result.documents, SCHEMA) == []


@SETTINGS
@given(corpora())
def test_labelstudio_round_trip(docs):
    back, problems = tasks_to_documents(documents_to_tasks(docs, SCHEMA.version), SCHEMA)
    assert problems == []
    assert back == docs


@SETTINGS
@given(corpora())
def test_doccano_round_trip(docs):
    back, problems = loads_doccano(dumps_doccano(docs, SCHEMA.version), SCHEMA)
    assert problems == []
    assert back == docs


@SETTINGS
@given(documents())
def test_iob2_round_trip(doc):
    records = sentence_records(doc)
    spans = sorted(span for r in records for span in tags_to_spans(r["ner_tags"], r["offsets"]))
    assert spans == sorted((e.start, e.end, e.label) for e in doc.entities)
    back = records_to_document(records, doc.text, doc.doc_stance, SCHEMA, SCHEMA.version)

    # spans, labels, sentences, stances and holders come back; QUANTITY attributes are re-derived
    def strip(d):
        return [(e.start, e.end, e.label, e.text) for e in d.entities]

    assert strip(back) == strip(doc)
    assert back.sentences == doc.sentences
    # CoNLL keeps tokens, tags and document grouping
    conll = parse_conll(to_conll(records), "gold.conll", "gold")
    assert [(s.doc_id, s.tokens, s.tags) for s in conll] == [(r["doc_id"], r["tokens"], r["ner_tags"]) for r in records]
