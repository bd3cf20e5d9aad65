"""Hand-checked entity-level scores (score_sequences) and CoNLL parsing (read_conll).

Every expected number is derived in the comment above it from the entity lists of the two modes:
  strict    = seqeval strict IOB2: an entity is B-X plus its run of I-X; a stray I- is no entity.
  conlleval = conlleval.pl: additionally an I- after O / after another type starts an entity.
Per label: P = correct/predicted, R = correct/gold, F = 2PR/(P+R), 0/0 = 0.
"""

from __future__ import annotations

import math
import warnings

import pytest

from arastance.scoring.scorer import ConllFormatError, entity_spans, read_conll, score_sequences

TOL = 1e-6


def assert_prf(row: dict, p: float, r: float, f: float, support: int | None = None) -> None:
    assert row["precision"] == pytest.approx(p, abs=TOL)
    assert row["recall"] == pytest.approx(r, abs=TOL)
    assert row["f1"] == pytest.approx(f, abs=TOL)
    if support is not None:
        assert row["support"] == support


def assert_well_formed(result: dict, mode: str) -> None:
    assert set(result) == {"mode", "labels", "micro", "macro", "weighted"}
    assert result["mode"] == mode
    assert list(result["labels"]) == sorted(result["labels"])
    rows = [*result["labels"].values(), result["micro"], result["macro"], result["weighted"]]
    for row in rows:
        assert set(row) == {"precision", "recall", "f1", "support"}
        for key in ("precision", "recall", "f1"):
            assert isinstance(row[key], float) and not math.isnan(row[key]) and 0.0 <= row[key] <= 1.0
        assert isinstance(row["support"], int)


BOTH = ("strict", "conlleval")


@pytest.mark.parametrize("mode", BOTH)
def test_perfect_match(mode: str) -> None:
    # gold = pred: PER(0-1), LOC(3) in sentence 0, ORG(0) in sentence 1 -> every label 1/1.
    tags = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    result = score_sequences(tags, [list(s) for s in tags], mode)
    assert_well_formed(result, mode)
    assert list(result["labels"]) == ["LOC", "ORG", "PER"]
    for row in result["labels"].values():
        assert_prf(row, 1, 1, 1, 1)
    for avg in ("micro", "macro", "weighted"):
        assert_prf(result[avg], 1, 1, 1, 3)


@pytest.mark.parametrize("mode", BOTH)
def test_type_error(mode: str) -> None:
    # gold PER(0-1) LOC(3); pred ORG(0-1) LOC(3).
    # LOC 1/1/1 sup 1; PER: correct 0, pred 0, gold 1 -> 0,0,0 sup 1; ORG: correct 0, pred 1, gold 0 -> 0 sup 0.
    # micro: correct 1, pred 2, gold 2 -> .5 .5 .5.  macro over LOC,ORG,PER: 1/3 each.
    # weighted (sup LOC 1, ORG 0, PER 1): P = (1*1 + 0 + 0)/2 = .5, same for R, F.
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    pred = [["B-ORG", "I-ORG", "O", "B-LOC"]]
    result = score_sequences(gold, pred, mode)
    assert_well_formed(result, mode)
    assert list(result["labels"]) == ["LOC", "ORG", "PER"]
    assert_prf(result["labels"]["LOC"], 1, 1, 1, 1)
    assert_prf(result["labels"]["ORG"], 0, 0, 0, 0)
    assert_prf(result["labels"]["PER"], 0, 0, 0, 1)
    assert_prf(result["micro"], 0.5, 0.5, 0.5, 2)
    assert_prf(result["macro"], 1 / 3, 1 / 3, 1 / 3, 2)
    assert_prf(result["weighted"], 0.5, 0.5, 0.5, 2)


@pytest.mark.parametrize("mode", BOTH)
def test_boundary_error(mode: str) -> None:
    # gold PER(0-2) GPE(4); pred PER(0-1) GPE(4): the truncated PER is wrong (no partial credit).
    # PER: 0/1 pred, 0/1 gold -> 0 sup 1; GPE 1 sup 1. micro: 1 correct / 2 pred / 2 gold -> .5.
    # macro (GPE, PER): P = R = F = (1 + 0)/2 = .5; weighted: (1*1 + 0*1)/2 = .5.
    gold = [["B-PER", "I-PER", "I-PER", "O", "B-GPE"]]
    pred = [["B-PER", "I-PER", "O", "O", "B-GPE"]]
    result = score_sequences(gold, pred, mode)
    assert_well_formed(result, mode)
    assert_prf(result["labels"]["PER"], 0, 0, 0, 1)
    assert_prf(result["labels"]["GPE"], 1, 1, 1, 1)
    for avg in ("micro", "macro", "weighted"):
        assert_prf(result[avg], 0.5, 0.5, 0.5, 2)


def test_ill_formed_i_after_o_in_prediction() -> None:
    gold = [["O", "B-PER", "I-PER", "O"]]
    pred = [["O", "I-PER", "I-PER", "O"]]
    # strict: the prediction has no entity at all -> PER correct 0, pred 0, gold 1 -> 0,0,0 sup 1.
    strict = score_sequences(gold, pred, "strict")
    assert_well_formed(strict, "strict")
    assert_prf(strict["labels"]["PER"], 0, 0, 0, 1)
    assert_prf(strict["micro"], 0, 0, 0, 1)
    # conlleval: "O I-PER I-PER" is one PER chunk at 1-2 = the gold chunk -> 1,1,1.
    conll = score_sequences(gold, pred, "conlleval")
    assert_prf(conll["labels"]["PER"], 1, 1, 1, 1)
    assert_prf(conll["micro"], 1, 1, 1, 1)


def test_ill_formed_i_after_o_in_gold() -> None:
    gold = [["I-LOC", "O"]]
    pred = [["B-LOC", "O"]]
    # strict: gold has no entity, pred has LOC(0): LOC correct 0, pred 1, gold 0 -> 0 sup 0 (listed).
    # micro: 0 correct/1 pred/0 gold -> 0; weighted: no gold -> 0.
    strict = score_sequences(gold, pred, "strict")
    assert_well_formed(strict, "strict")
    assert_prf(strict["labels"]["LOC"], 0, 0, 0, 0)
    for avg in ("micro", "macro", "weighted"):
        assert_prf(strict[avg], 0, 0, 0, 0)
    # conlleval: gold I-LOC at sentence start is a LOC chunk at 0 = pred -> 1 sup 1.
    conll = score_sequences(gold, pred, "conlleval")
    assert_prf(conll["labels"]["LOC"], 1, 1, 1, 1)


def test_i_after_different_type() -> None:
    gold = [["B-PER", "I-LOC", "I-LOC", "O"]]
    pred = [["B-PER", "B-LOC", "I-LOC", "O"]]
    # strict: gold = {PER(0)} (the I-LOC run continues nothing of its type); pred = {PER(0), LOC(1-2)}.
    #   PER 1/1/1 sup 1; LOC correct 0, pred 1, gold 0 -> 0 sup 0.
    #   micro: 1 correct / 2 pred / 1 gold -> P .5, R 1, F 2*.5*1/1.5 = 2/3.
    #   macro (LOC, PER): P (0+1)/2 = .5, R .5, F .5;  weighted (sup PER 1, LOC 0): 1, 1, 1.
    strict = score_sequences(gold, pred, "strict")
    assert_well_formed(strict, "strict")
    assert_prf(strict["labels"]["PER"], 1, 1, 1, 1)
    assert_prf(strict["labels"]["LOC"], 0, 0, 0, 0)
    assert_prf(strict["micro"], 0.5, 1, 2 / 3, 1)
    assert_prf(strict["macro"], 0.5, 0.5, 0.5, 1)
    assert_prf(strict["weighted"], 1, 1, 1, 1)
    # conlleval: "B-PER I-LOC" ends PER and starts LOC, so gold = {PER(0), LOC(1-2)} = pred -> all 1.
    conll = score_sequences(gold, pred, "conlleval")
    assert_prf(conll["labels"]["PER"], 1, 1, 1, 1)
    assert_prf(conll["labels"]["LOC"], 1, 1, 1, 1)
    for avg in ("micro", "macro", "weighted"):
        assert_prf(conll[avg], 1, 1, 1, 2)


def test_i_after_i_of_different_type_conlleval_splits() -> None:
    # "I-PER I-LOC" (conlleval): PER(0) then LOC(1); strict: neither is an entity.
    gold = [["I-PER", "I-LOC"]]
    pred = [["B-PER", "B-LOC"]]
    conll = score_sequences(gold, pred, "conlleval")
    assert_prf(conll["micro"], 1, 1, 1, 2)
    strict = score_sequences(gold, pred, "strict")
    # strict: gold none, pred PER(0), LOC(1): 0 correct / 2 pred / 0 gold.
    assert_prf(strict["micro"], 0, 0, 0, 0)
    assert {lab: row["support"] for lab, row in strict["labels"].items()} == {"LOC": 0, "PER": 0}


@pytest.mark.parametrize("mode", BOTH)
def test_label_only_in_predictions(mode: str) -> None:
    # gold PER(0); pred PER(0) DATE(2). DATE: 0 correct / 1 pred / 0 gold -> 0, support 0, still listed.
    # micro: 1/2 pred, 1/1 gold -> P .5 R 1 F 2/3. macro (DATE, PER): .5 .5 .5. weighted (PER only): 1 1 1.
    result = score_sequences([["B-PER", "O", "O"]], [["B-PER", "O", "B-DATE"]], mode)
    assert_well_formed(result, mode)
    assert list(result["labels"]) == ["DATE", "PER"]
    assert_prf(result["labels"]["DATE"], 0, 0, 0, 0)
    assert_prf(result["micro"], 0.5, 1, 2 / 3, 1)
    assert_prf(result["macro"], 0.5, 0.5, 0.5, 1)
    assert_prf(result["weighted"], 1, 1, 1, 1)


@pytest.mark.parametrize("mode", BOTH)
@pytest.mark.parametrize(
    "gold,pred", [([["O", "O"]], [["O", "O"]]), ([], []), ([[]], [[]]), ([[], ["O"]], [[], ["O"]])]
)
def test_no_entities_or_empty_input_gives_zeros(mode: str, gold: list, pred: list) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no UndefinedMetricWarning / RuntimeWarning leaks out
        result = score_sequences(gold, pred, mode)
    assert_well_formed(result, mode)
    assert result["labels"] == {}
    for avg in ("micro", "macro", "weighted"):
        assert result[avg] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}


@pytest.mark.parametrize("mode", BOTH)
def test_predictions_without_gold_entities(mode: str) -> None:
    # gold has no entity; pred ORG(0): ORG 0 sup 0, every average 0 (weighted: no gold weight at all).
    result = score_sequences([["O", "O"]], [["B-ORG", "O"]], mode)
    assert_well_formed(result, mode)
    assert_prf(result["labels"]["ORG"], 0, 0, 0, 0)
    for avg in ("micro", "macro", "weighted"):
        assert_prf(result[avg], 0, 0, 0, 0)


def test_sentence_break_ends_entities() -> None:
    # An I-PER opening sentence 1 never continues the B-PER closing sentence 0.
    tags = [["O", "B-PER"], ["I-PER", "O"]]
    # conlleval: PER(s0,1) and PER(s1,0) -> support 2.  strict: only PER(s0,1) -> support 1.
    assert score_sequences(tags, tags, "conlleval")["labels"]["PER"]["support"] == 2
    assert score_sequences(tags, tags, "strict")["labels"]["PER"]["support"] == 1


def test_modes_differ_exactly_on_ill_formed_i() -> None:
    # Same well-formed IOB2 input -> identical results in both modes.
    gold = [["B-PER", "I-PER", "O", "B-LOC", "B-LOC"], ["O", "B-ORG", "I-ORG"]]
    pred = [["B-PER", "O", "O", "B-LOC", "I-LOC"], ["B-ORG", "I-ORG", "I-ORG"]]
    strict, conll = score_sequences(gold, pred, "strict"), score_sequences(gold, pred, "conlleval")
    assert {k: v for k, v in strict.items() if k != "mode"} == {k: v for k, v in conll.items() if k != "mode"}
    # Predicting "O I-PER I-PER" for gold "B-PER I-PER O": conlleval credits the chunk, strict does not.
    gold, pred = [["B-PER", "I-PER", "O"]], [["I-PER", "I-PER", "O"]]
    assert score_sequences(gold, pred, "conlleval")["micro"]["f1"] == pytest.approx(1.0, abs=TOL)
    assert score_sequences(gold, pred, "strict")["micro"]["f1"] == pytest.approx(0.0, abs=TOL)


def test_entity_spans_per_mode() -> None:
    tags = ["B-PER", "I-PER", "I-LOC", "O", "I-ORG", "B-GPE"]
    assert entity_spans(tags, "strict") == [
        {"label": "PER", "start": 0, "end": 1},
        {"label": "GPE", "start": 5, "end": 5},
    ]
    assert entity_spans(tags, "conlleval") == [
        {"label": "PER", "start": 0, "end": 1},
        {"label": "LOC", "start": 2, "end": 2},
        {"label": "ORG", "start": 4, "end": 4},
        {"label": "GPE", "start": 5, "end": 5},
    ]


# seqeval is the reference for both modes: where its own functions work, our numbers must be its numbers.
SEQEVAL_CASES = [
    ([["B-PER", "I-PER", "O", "B-LOC"]], [["B-ORG", "I-ORG", "O", "B-LOC"]]),
    ([["B-PER", "I-LOC", "I-LOC", "O"]], [["B-PER", "B-LOC", "I-LOC", "O"]]),
    ([["O", "B-PER", "I-PER", "O"], ["B-GPE"]], [["O", "I-PER", "I-PER", "O"], ["B-GPE"]]),
    ([["B-PER", "O", "O"]], [["B-PER", "O", "B-DATE"]]),
    (
        [["I-PER", "B-LOC", "I-LOC", "I-PER"], ["B-DATE", "I-DATE"]],
        [["B-PER", "I-LOC", "I-LOC", "O"], ["B-DATE", "B-DATE"]],
    ),
]


@pytest.mark.parametrize("gold,pred", SEQEVAL_CASES)
@pytest.mark.parametrize("mode", BOTH)
def test_agrees_with_seqeval_where_seqeval_is_defined(gold: list, pred: list, mode: str) -> None:
    from seqeval.metrics.sequence_labeling import precision_recall_fscore_support as default_prfs
    from seqeval.metrics.v1 import precision_recall_fscore_support as strict_prfs
    from seqeval.scheme import IOB2

    def reference(average: str | None):
        if mode == "strict":
            return strict_prfs(gold, pred, average=average, scheme=IOB2, zero_division=0)
        return default_prfs(gold, pred, average=average, zero_division=0)

    result = score_sequences(gold, pred, mode)
    p, r, f, s = reference(None)
    for i, label in enumerate(result["labels"]):
        assert_prf(result["labels"][label], p[i], r[i], f[i], int(s[i]))
    for avg in ("micro", "macro", "weighted"):
        p, r, f, s = reference(avg)
        assert_prf(result[avg], p, r, f, int(s))


@pytest.mark.parametrize(
    "gold,pred,message",
    [
        ([["O"]], [], "1 sentences but predictions have 0"),
        ([["O", "O"]], [["O"]], "sentence 0: gold has 2 tags"),
        ([["E-PER"]], [["O"]], "gold sentence 0, token 0: tag 'E-PER'"),
        ([["O"]], [["PER"]], "predicted sentence 0, token 0: tag 'PER'"),
        ([["O"]], [["B-"]], "tag 'B-'"),
        ([["O"]], [["B-PER-"]], "tag 'B-PER-'"),
        ([["O"]], [["B-PER\n"]], "is not an IOB2 tag"),
    ],
)
def test_invalid_input_raises_clear_value_error(gold: list, pred: list, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        score_sequences(gold, pred, "strict")


def test_unknown_mode() -> None:
    with pytest.raises(ValueError, match="unknown mode 'loose'"):
        score_sequences([["O"]], [["O"]], "loose")  # type: ignore[arg-type]  # an unknown mode on purpose


# --------------------------------------------------------------------------------------------------
# read_conll


def test_read_conll_tabs_spaces_docstart_and_blank_runs() -> None:
    text = (
        "\ufeff-DOCSTART- -X- O\n\n"
        "ترامب\tB-PER\tB-PER\r\n"
        "قال  O   O\n"
        "\n\n  \n"
        "سوريا B-GPE O\n"
        "-DOCSTART- O O\n"  # closes the sentence even without a blank line
        "واشنطن B-GPE B-GPE"  # no final newline
    )
    assert read_conll(text) == [
        [("ترامب", "B-PER", "B-PER"), ("قال", "O", "O")],
        [("سوريا", "B-GPE", "O")],
        [("واشنطن", "B-GPE", "B-GPE")],
    ]


def test_read_conll_empty() -> None:
    assert read_conll("") == []
    assert read_conll("\n\n-DOCSTART- O O\n\n") == []


@pytest.mark.parametrize(
    "text,line,fragment",
    [
        ("a O O\nb O\n", 2, "expected 3 columns (token gold pred), found 2"),
        ("a O O\n\nb O O extra\n", 3, "found 4"),
        ("a O O\nb X-PER O\n", 2, "gold tag 'X-PER'"),
        ("a O O\nb O S-PER\n", 2, "predicted tag 'S-PER'"),
    ],
)
def test_read_conll_names_the_bad_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(ConllFormatError) as info:
        read_conll(text)
    assert info.value.line == line
    assert str(info.value).startswith(f"line {line}: ")
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)
