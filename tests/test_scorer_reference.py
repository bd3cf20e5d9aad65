"""score_sequences against independent oracles, exhaustively on short inputs and by property on long ones.

- conlleval mode vs. a line-by-line Python port of conlleval.pl (2004-01-26): its startOfChunk /
  endOfChunk and the `inCorrect` state machine that counts correct chunks, with blank lines read as
  the ("-X-", O, O) boundary token exactly as the script does.
- strict mode vs. a ten-line IOB2 definition written from the spec (B-X plus its maximal I-X run).
- The two modes must differ exactly where the spec says: strict's entities are conlleval's chunks
  that open with B-, so they coincide iff every I-X continues a B-X/I-X.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arastance.scoring.scorer import entity_spans, score_sequences

TAGS = ("O", "B-A", "I-A", "B-B", "I-B")


# ---- conlleval.pl, ported ---------------------------------------------------------------------


def _split(tag: str) -> tuple[str, str]:
    match = re.match(r"^([^-]*)-(.*)$", tag)  # "20040126 ET code which allows hyphens in the types"
    return (match.group(1), match.group(2)) if match else (tag, "")


def _end_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    end = (prev_tag, tag) in {
        ("B", "B"),
        ("B", "O"),
        ("I", "B"),
        ("I", "O"),
        ("E", "E"),
        ("E", "I"),
        ("E", "O"),
    }
    if prev_tag not in ("O", ".") and prev_type != type_:
        end = True
    return end or prev_tag in ("]", "[")


def _start_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    start = (prev_tag, tag) in {
        ("B", "B"),
        ("I", "B"),
        ("O", "B"),
        ("O", "I"),
        ("E", "E"),
        ("E", "I"),
        ("O", "E"),
    }
    if tag not in ("O", ".") and prev_type != type_:
        start = True
    return start or tag in ("[", "]")


def conlleval_counts(gold: list[list[str]], pred: list[list[str]]) -> tuple[Counter, Counter, Counter]:
    """(correctChunk, foundCorrect, foundGuessed) per type, as conlleval.pl computes them."""
    lines: list[tuple[str, str] | None] = []
    for g, p in zip(gold, pred, strict=True):
        lines += list(zip(g, p, strict=True))
        lines.append(None)  # the blank line after each sentence
    correct_chunk, found_correct, found_guessed = Counter(), Counter(), Counter()
    in_correct = False
    last_correct, last_correct_type, last_guessed, last_guessed_type = "O", "", "O", ""
    for item in lines:
        if item is None:  # @features = ($boundary, "O", "O"); guessed forced to O
            correct, correct_type, guessed, guessed_type = "O", "", "O", ""
        else:
            (correct, correct_type), (guessed, guessed_type) = _split(item[0]), _split(item[1])
        if in_correct:
            end_c = _end_of_chunk(last_correct, correct, last_correct_type, correct_type)
            end_g = _end_of_chunk(last_guessed, guessed, last_guessed_type, guessed_type)
            if end_c and end_g and last_guessed_type == last_correct_type:
                in_correct = False
                correct_chunk[last_correct_type] += 1
            elif end_c != end_g or guessed_type != correct_type:
                in_correct = False
        start_c = _start_of_chunk(last_correct, correct, last_correct_type, correct_type)
        start_g = _start_of_chunk(last_guessed, guessed, last_guessed_type, guessed_type)
        if start_c and start_g and guessed_type == correct_type:
            in_correct = True
        if start_c:
            found_correct[correct_type] += 1
        if start_g:
            found_guessed[guessed_type] += 1
        last_correct, last_correct_type, last_guessed, last_guessed_type = correct, correct_type, guessed, guessed_type
    if in_correct:
        correct_chunk[last_correct_type] += 1
    return correct_chunk, found_correct, found_guessed


def _prf(correct: int, guessed: int, gold: int) -> tuple[float, float, float]:
    # conlleval.pl's per-type block: 0 when the denominator is 0.
    p = correct / guessed if guessed else 0.0
    r = correct / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def assert_matches_conlleval(gold: list[list[str]], pred: list[list[str]]) -> None:
    correct, found_correct, found_guessed = conlleval_counts(gold, pred)
    result = score_sequences(gold, pred, "conlleval")
    assert list(result["labels"]) == sorted(found_correct.keys() | found_guessed.keys())
    for label, row in result["labels"].items():
        p, r, f = _prf(correct[label], found_guessed[label], found_correct[label])
        assert (row["precision"], row["recall"], row["f1"], row["support"]) == pytest.approx(
            (p, r, f, found_correct[label]), abs=1e-9
        )
    p, r, f = _prf(sum(correct.values()), sum(found_guessed.values()), sum(found_correct.values()))
    micro = result["micro"]
    assert (micro["precision"], micro["recall"], micro["f1"]) == pytest.approx((p, r, f), abs=1e-9)


def test_conlleval_port_on_textbook_cases() -> None:
    # Sanity of the oracle itself on the cases the brief names.
    def chunks(tags: list[str]) -> dict[str, int]:
        return dict(conlleval_counts([tags], [tags])[1])

    assert chunks(["I-PER", "I-LOC"]) == {"PER": 1, "LOC": 1}  # ends PER, starts LOC
    assert chunks(["B-PER", "I-PER"]) == {"PER": 1}
    assert chunks(["O", "I-PER", "I-PER"]) == {"PER": 1}
    assert chunks(["B-PER", "B-PER", "I-PER"]) == {"PER": 2}


def test_conlleval_mode_exhaustive_short_pairs() -> None:
    # Every (gold, pred) pair of length-3 sentences over two types: 125 x 125 pairs, which covers
    # every tag transition in gold and prediction jointly, at sentence start and end.
    sequences = [list(s) for s in itertools.product(TAGS, repeat=3)]
    for gold in sequences:
        for pred in sequences:
            correct, found_correct, found_guessed = conlleval_counts([gold], [pred])
            result = score_sequences([gold], [pred], "conlleval")
            assert set(result["labels"]) == found_correct.keys() | found_guessed.keys(), (gold, pred)
            for label in result["labels"]:
                row = result["labels"][label]
                assert row["support"] == found_correct[label], (gold, pred)
                expected = _prf(correct[label], found_guessed[label], found_correct[label])
                assert (row["precision"], row["recall"], row["f1"]) == pytest.approx(expected, abs=1e-9), (gold, pred)


sentence_pairs = st.integers(min_value=0, max_value=12).flatmap(
    lambda n: st.tuples(
        st.lists(st.sampled_from(TAGS), min_size=n, max_size=n),
        st.lists(st.sampled_from(TAGS), min_size=n, max_size=n),
    )
)


@settings(max_examples=150, deadline=None)
@given(st.lists(sentence_pairs, max_size=4))
def test_conlleval_mode_matches_conlleval_pl(pairs: list[tuple[list[str], list[str]]]) -> None:
    assert_matches_conlleval([g for g, _ in pairs], [p for _, p in pairs])


# ---- strict IOB2, from the definition ---------------------------------------------------------


def strict_reference(tags: list[str]) -> list[tuple[str, int, int]]:
    spans, i = [], 0
    while i < len(tags):
        if tags[i].startswith("B-"):
            label, j = tags[i][2:], i + 1
            while j < len(tags) and tags[j] == f"I-{label}":
                j += 1
            spans.append((label, i, j - 1))
            i = j
        else:
            i += 1  # O, or an I- that continues nothing: not part of any entity
    return spans


def _as_tuples(spans: list[dict]) -> list[tuple[str, int, int]]:
    return [(s["label"], s["start"], s["end"]) for s in spans]


def _well_formed(tags: list[str]) -> bool:
    return all(
        not tag.startswith("I-") or (i > 0 and tags[i - 1][2:] == tag[2:] and tags[i - 1] != "O")
        for i, tag in enumerate(tags)
    )


def test_strict_and_conlleval_entities_exhaustive() -> None:
    # All 5^1 + ... + 5^5 sequences: strict = the reference definition; strict = the conlleval
    # chunks that open with B-; the two coincide iff the sequence is well-formed IOB2.
    for n in range(1, 6):
        for tags in map(list, itertools.product(TAGS, repeat=n)):
            strict = _as_tuples(entity_spans(tags, "strict"))
            conll = _as_tuples(entity_spans(tags, "conlleval"))
            assert strict == strict_reference(tags), tags
            assert strict == [span for span in conll if tags[span[1]].startswith("B-")], tags
            assert (strict == conll) == _well_formed(tags), tags


@settings(max_examples=150, deadline=None)
@given(st.lists(sentence_pairs, max_size=4))
def test_strict_mode_matches_definition(pairs: list[tuple[list[str], list[str]]]) -> None:
    gold = [g for g, _ in pairs]
    pred = [p for _, p in pairs]
    gold_spans = {(s, *span) for s, tags in enumerate(gold) for span in strict_reference(tags)}
    pred_spans = {(s, *span) for s, tags in enumerate(pred) for span in strict_reference(tags)}
    result = score_sequences(gold, pred, "strict")
    labels = sorted({span[1] for span in gold_spans | pred_spans})
    assert list(result["labels"]) == labels
    for label in labels:
        g = {span for span in gold_spans if span[1] == label}
        p = {span for span in pred_spans if span[1] == label}
        row = result["labels"][label]
        assert (row["precision"], row["recall"], row["f1"]) == pytest.approx(_prf(len(g & p), len(p), len(g)), abs=1e-9)
        assert row["support"] == len(g)
    micro = result["micro"]
    expected = _prf(len(gold_spans & pred_spans), len(pred_spans), len(gold_spans))
    assert (micro["precision"], micro["recall"], micro["f1"]) == pytest.approx(expected, abs=1e-9)
