"""The one prediction path (models/predictor.py): it grows linearly with its input whatever the
input's shape, and a sentence past the model's window is labelled word by word through the windows.

Growth is measured by counting operations (reads of a unit's offsets, of its document id, tokens
fed to the model) on inputs of size n and 4n, never by timing: a scan per entity or per document
makes the count grow ~16× for 4× the input, a linear path ~4×.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from arastance.corpus.segment import tokenize_words
from arastance.features.encode import Unit, units_from_records
from arastance.features.predictions import TaskPredictions
from arastance.gold.model import GoldDocument
from arastance.holders.base import Mention, SentenceContext, sentence_holders
from arastance.models.onnx_backend import INPUT_NAMES, ExportedModel
from arastance.models.predictor import Predictor, prediction_records
from arastance.predict.documents import raw_sentence_records
from arastance.schema import Schema
from arastance.settings import InferenceSettings, TaskSettings
from arastance.tasks import NER, STANCE

WORDS = ("قسد", "الحسكة", "٣٠٠", "مقاتل", "واشنطن", "،")
SLACK = 1.25  # 4× the input may cost up to 4 × 1.25 × the operations: linear with constant overheads, not 16×


def grows_linearly(count: Callable[[int], int], n: int) -> bool:
    small, large = count(n), count(4 * n)
    return 0 < small and large <= 4 * SLACK * small


class CountingOffsets(tuple):
    """A unit's offsets that count every element read (index, slice or iteration)."""

    reads = 0

    def __getitem__(self, index: Any) -> Any:
        item = super().__getitem__(index)
        CountingOffsets.reads += len(item) if isinstance(index, slice) else 1
        return item

    def __iter__(self) -> Iterator[Any]:
        for item in super().__iter__():
            CountingOffsets.reads += 1
            yield item


class CountingUnit(Unit):
    """A unit that counts the reads of its document id."""

    doc_id_reads = 0

    def __getattribute__(self, name: str) -> Any:
        if name == "doc_id":
            CountingUnit.doc_id_reads += 1
        return super().__getattribute__(name)


def one_long_sentence(n: int) -> tuple[str, Unit]:
    """A document of n words and no sentence punctuation: one unit of n words."""
    text = " ".join(WORDS[i % len(WORDS)] for i in range(n))
    words = tokenize_words(text)
    return text, Unit("d0", 0, tuple(w.text for w in words), CountingOffsets((w.start, w.end) for w in words))


def every_word_an_entity(unit: Unit, schema: Schema) -> TaskPredictions:
    tags = schema.iob_tags
    scores = np.full((len(unit.words), len(tags)), 0.5, dtype=np.float32)
    return TaskPredictions(NER, [unit], [scores], [["B-PER"] * len(unit.words)])


def test_ner_records_are_linear_in_a_sentence_with_one_entity_per_word(schema: Schema) -> None:
    def reads(n: int) -> int:
        text, unit = one_long_sentence(n)
        CountingOffsets.reads = 0
        [record] = prediction_records(
            every_word_an_entity(unit, schema), TaskSettings(name="ner"), schema, [GoldDocument("d0", text, "")]
        )
        assert len(record["entities"]) == n
        return CountingOffsets.reads

    assert grows_linearly(reads, 500)


def test_stance_records_are_linear_in_the_number_of_documents(schema: Schema) -> None:
    classes = schema.stance_classes

    def reads(n_docs: int) -> int:
        units = [CountingUnit(f"d{i}", 0, ("قسد",), ((0, 3),)) for i in range(n_docs)]
        scores = [np.eye(len(classes), dtype=np.float32)[i % len(classes)] for i in range(n_docs)]
        predictions = TaskPredictions(STANCE, list(units), scores, [classes[i % len(classes)] for i in range(n_docs)])
        docs = [GoldDocument(f"d{i}", "قسد", classes[0]) for i in range(n_docs)]
        CountingUnit.doc_id_reads = 0
        records = prediction_records(predictions, TaskSettings(name="stance"), schema, docs)
        assert [r["doc_stance"] for r in records] == [classes[i % len(classes)] for i in range(n_docs)]
        return CountingUnit.doc_id_reads

    assert grows_linearly(reads, 300)


class CountingMention(Mention):
    """A mention that counts the reads of its offsets (the holder search's comparisons)."""

    reads = 0

    def __getattribute__(self, name: str) -> Any:
        if name in ("start", "end"):
            CountingMention.reads += 1
        return super().__getattribute__(name)


class MentionsSeen:
    """A holder method that records the mentions each sentence is shown, and picks none."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def choose(self, context: SentenceContext) -> None:
        self.seen.append(len(context.mentions))


def test_holders_cost_each_mention_once_not_once_per_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    from arastance.holders import base

    monkeypatch.setattr(base, "Mention", CountingMention)

    def reads(n: int) -> int:
        sentences = [(10 * i, 10 * i + 9, "FAVOR") for i in range(n)]
        entities = [{"start": 10 * i + 1, "end": 10 * i + 4, "label": "PER"} for i in range(n)]
        method = MentionsSeen()
        CountingMention.reads = 0
        sentence_holders("x" * 10 * n, sentences, entities, method, "NONE")
        assert method.seen == [1] * n  # each sentence is shown exactly its own mention
        return CountingMention.reads

    assert grows_linearly(reads, 400)


def test_mentions_inside_keeps_what_the_scan_kept() -> None:
    from arastance.holders.base import mentions_from, mentions_inside

    entities = [{"start": s, "end": e, "label": "PER"} for s, e in [(0, 3), (2, 9), (5, 5), (5, 7), (9, 12), (12, 12)]]
    mentions = mentions_from(entities)
    starts = [m.start for m in mentions]
    for start in range(14):
        for end in range(start, 14):
            scanned = tuple(m for m in mentions if m.start >= start and m.end <= end)
            assert mentions_inside(mentions, starts, start, end) == scanned


# --------------------------------------------------------------------------- through the model's windows


class TaggingModel(ExportedModel):
    """An exported model that tags every token with one label and counts the tokens it is fed."""

    def __init__(self, label: int, labels: int) -> None:
        super().__init__(Path("not-on-disk"), "tagging")
        self.input_names = set(INPUT_NAMES)
        self.label, self.labels = label, labels
        self.tokens = 0

    def logits(self, batch: dict[str, Any]) -> np.ndarray:
        ids = self.feed(batch)["input_ids"]
        self.tokens += int(ids.size)
        logits = np.zeros((*ids.shape, self.labels), dtype=np.float32)
        logits[..., self.label] = 5.0
        return logits


def tagging_predictor(tiny_tokenizer: Any, schema: Schema) -> Predictor:
    from arastance.corpus.normalize import normalize_arabert_v02
    from arastance.models.factory import LoadedModel

    label2id = schema.label2id("ner")
    model = TaggingModel(label2id["B-LOC"], len(label2id))
    settings = InferenceSettings(
        TaskSettings(name="ner"), stride=16, eval_batch_tokens=512, max_rows=8, pool_factor=8, pad_to_multiple_of=1
    )
    return Predictor(LoadedModel(tiny_tokenizer, model, normalize_arabert_v02, "test"), NER, settings, schema, "fp32")


def predict_text(predictor: Predictor, text: str) -> dict[str, Any]:
    units = units_from_records(raw_sentence_records("d0", text), NER, {})
    [record] = predictor.records(predictor.predict(units), [GoldDocument("d0", text, "")])
    return record


def test_a_sentence_past_the_window_gets_every_word_labelled_at_its_offsets(
    tiny_tokenizer: Any, schema: Schema
) -> None:
    predictor = tagging_predictor(tiny_tokenizer, schema)
    window = int(tiny_tokenizer.model_max_length)
    text = " ".join(WORDS[i % len(WORDS)] for i in range(3 * window))  # no sentence punctuation
    units = units_from_records(raw_sentence_records("d0", text), NER, {})
    assert len(units) == 1 and len(predictor.windows(units)) > 1  # one sentence, several windows
    record = predict_text(predictor, text)
    words = tokenize_words(text)
    assert [(e["start"], e["end"], e["text"], e["label"]) for e in record["entities"]] == [
        (w.start, w.end, w.text, "LOC") for w in words
    ]


def test_prediction_feeds_the_model_linearly_in_a_long_sentence(tiny_tokenizer: Any, schema: Schema) -> None:
    predictor = tagging_predictor(tiny_tokenizer, schema)

    def tokens(n: int) -> int:
        model = predictor.loaded.model
        model.tokens = 0
        text = " ".join(WORDS[i % len(WORDS)] for i in range(n))
        assert len(predict_text(predictor, text)["entities"]) == n
        return int(model.tokens)

    assert grows_linearly(tokens, 400)


@pytest.mark.parametrize("n", [0, 1])
def test_tiny_inputs_still_give_a_record_or_none(tiny_tokenizer: Any, schema: Schema, n: int) -> None:
    predictor = tagging_predictor(tiny_tokenizer, schema)
    units = units_from_records(raw_sentence_records("d0", "قسد" if n else ""), NER, {})
    records = predictor.records(predictor.predict(units), [GoldDocument("d0", "قسد", "")])
    assert len(records) == n and all(len(r["entities"]) == 1 for r in records)
