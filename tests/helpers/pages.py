"""Small documents for the page tests: every error kind once, and text that looks like markup."""

from __future__ import annotations

from typing import Any

from arastance.corpus.segment import tokenize_words
from arastance.evaluation.analysis import TaskAnalysis
from arastance.gold.convert import spans_to_tags
from arastance.gold.model import Entity, GoldDocument, Holder, Sentence
from arastance.scoring.align import ScoredSentence

# Markup and an entity in the text: the page must show them as the characters they are.
FIRST = "قال بايدن إن واشنطن وأنقرة اتفقتا في مدينة دمشق <script>alert(1)</script> &amp; غزة."
SECOND = "وأضاف أن القوات باقية."
TEXT = FIRST + " " + SECOND


def span(word: str, text: str = TEXT, base: int = 0) -> tuple[int, int]:
    start = text.index(word, base)
    return start, start + len(word)


def _spans(pairs: list[tuple[str, str]]) -> list[tuple[int, int, str]]:
    return [(*span(word), label) for word, label in pairs]


GOLD = _spans([("بايدن", "PER"), ("واشنطن", "GPE"), ("مدينة دمشق", "GPE"), ("غزة", "GPE")])
# correct, wrong label, wrong extent (دمشق inside مدينة دمشق), spurious (وأنقرة), missed (غزة)
PRED = _spans([("بايدن", "PER"), ("واشنطن", "ORG"), ("دمشق", "GPE"), ("وأنقرة", "GPE")])
KINDS = ("correct", "type", "boundary", "missed", "spurious")


def gold_document(doc_id: str = "doc<1>&") -> GoldDocument:
    second = TEXT.index(SECOND)
    sentences = (
        Sentence(0, len(FIRST), "PRO_STAY", Holder(*span("بايدن"), "بايدن")),
        Sentence(second, len(TEXT), "NONE", None),
    )
    entities = tuple(Entity(a, b, label, TEXT[a:b]) for a, b, label in GOLD)
    return GoldDocument(doc_id, TEXT, "PRO_STAY", entities, sentences)


def _scored(doc: GoldDocument, index: int, **fields: Any) -> ScoredSentence:
    sentence = doc.sentences[index]
    words = tokenize_words(doc.text, sentence.start, sentence.end)
    offsets = [[w.start, w.end] for w in words]
    return ScoredSentence(doc.doc_id, index, [w.text for w in words], offsets, **fields)


def analyses(doc: GoldDocument) -> dict[str, TaskAnalysis]:
    """An NER and a stance analysis of the one document, with known predictions."""
    ner = []
    for i, sentence in enumerate(doc.sentences):
        inside = [s for s in GOLD if sentence.start <= s[0] < sentence.end]
        predicted = [s for s in PRED if sentence.start <= s[0] < sentence.end]
        scored = _scored(doc, i)
        ner.append(
            _scored(
                doc,
                i,
                gold_tags=spans_to_tags(inside, scored.offsets),
                pred_tags=spans_to_tags(predicted, scored.offsets),
            )
        )
    stance = [
        _scored(doc, 0, gold_stance="PRO_STAY", pred_stance="PRO_STAY"),
        _scored(doc, 1, gold_stance="NONE", pred_stance="PRO_WITHDRAWAL"),
    ]
    return {
        "ner": TaskAnalysis("ner", {}, ("PER", "ORG", "GPE"), sentences=ner),
        "stance": TaskAnalysis(
            "stance", {}, ("PRO_STAY", "PRO_WITHDRAWAL", "NONE"), sentences=stance, doc_stances={doc.doc_id: "NONE"}
        ),
    }


def prediction_record(source: str) -> dict[str, Any]:
    """An `arastance predict` record of TEXT with the PRED entities and two stance sentences."""
    second = TEXT.index(SECOND)
    holder = span("بايدن")
    return {
        "source": source,
        "entities": [{"start": a, "end": b, "label": label, "score": 0.9, "text": TEXT[a:b]} for a, b, label in PRED],
        "sentences": [
            {
                "start": 0,
                "end": len(FIRST),
                "stance": "PRO_STAY",
                "scores": {},
                "holder": {"start": holder[0], "end": holder[1], "text": "بايدن"},
            },
            {"start": second, "end": len(TEXT), "stance": "NONE", "scores": {}, "holder": None},
        ],
        "doc_stance": "PRO_STAY",
    }
