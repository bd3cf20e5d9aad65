"""errors.md: error classification and grouping on a hand-built prediction set."""

from __future__ import annotations

from arastance.evaluation.errors_report import (
    ErrorSentence,
    StanceItem,
    classify_spans,
    group_ner_errors,
    group_stance_errors,
    mark,
    ner_errors,
    render_errors_md,
)

LABELS = ("PER", "ORG", "GPE")
#          0123456789012345678901234567
TEXT_1 = "قال مظلوم عبدي إن قسد باقية"
#          مظلوم عبدي = 4..14, قسد = 18..21, باقية = 22..27
TEXT_2 = "واشنطن تدعم قوات سوريا الديمقراطية"
#          واشنطن = 0..6, قوات سوريا الديمقراطية = 12..34, سوريا = 17..22


def _sentences() -> list[ErrorSentence]:
    return [
        ErrorSentence(
            "doc-a",
            0,
            TEXT_1,
            gold=((4, 14, "PER"), (18, 21, "ORG")),
            pred=((4, 9, "PER"), (18, 21, "GPE"), (22, 27, "ORG")),
        ),
        ErrorSentence(
            "doc-b",
            3,
            TEXT_2,
            gold=((0, 6, "GPE"), (12, 34, "ORG")),
            pred=((0, 6, "GPE"), (17, 22, "GPE")),
        ),
    ]


def test_classification_of_each_kind() -> None:
    s1, s2 = _sentences()
    assert classify_spans(s1.gold, s1.pred) == [
        ("boundary", (4, 14, "PER"), (4, 9, "PER")),
        ("type", (18, 21, "ORG"), (18, 21, "GPE")),
        ("false_positive", None, (22, 27, "ORG")),
    ]
    # Overlapping with another label and another extent: neither boundary nor type → FN + FP.
    assert classify_spans(s2.gold, s2.pred) == [
        ("false_negative", (12, 34, "ORG"), None),
        ("false_positive", None, (17, 22, "GPE")),
    ]
    assert classify_spans([(0, 3, "PER")], [(0, 3, "PER")]) == []


def test_one_prediction_is_the_boundary_error_of_one_gold_span_only() -> None:
    errors = classify_spans([(0, 5, "ORG"), (6, 10, "ORG")], [(0, 10, "ORG")])
    assert errors == [("boundary", (0, 5, "ORG"), (0, 10, "ORG")), ("false_negative", (6, 10, "ORG"), None)]


def test_grouping_by_kind_and_label() -> None:
    errors = ner_errors(_sentences())
    grouped = group_ner_errors(errors, LABELS)
    assert list(grouped) == ["false_negative", "false_positive", "boundary", "type"]
    assert {k: {label: len(v) for label, v in by.items()} for k, by in grouped.items()} == {
        "false_negative": {"ORG": 1},
        "false_positive": {"ORG": 1, "GPE": 1},
        "boundary": {"PER": 1},
        "type": {"ORG": 1},  # grouped by the gold label
    }
    assert list(grouped["false_positive"]) == ["ORG", "GPE"]  # schema order
    fn = grouped["false_negative"]["ORG"][0]
    assert fn.doc_id == "doc-b" and fn.sentence_id == 3 and fn.overlaps == ((17, 22, "GPE"),)


def test_mark_brackets_spans() -> None:
    assert mark(TEXT_1, [(18, 21, "ORG")]) == "قال مظلوم عبدي إن ⟦قسد⟧ باقية"
    assert mark("a\nb c", [(4, 5, "X")]) == "a b ⟦c⟧"  # one line for markdown


def test_rendered_errors_md() -> None:
    stance = [
        StanceItem(
            "doc-a",
            0,
            "أميركا لن تنسحب من سوريا",
            "PRO_STAY",
            "NONE",
            {"PRO_STAY": 0.2, "PRO_WITHDRAWAL": 0.1, "NONE": 0.7},
        ),
        StanceItem("doc-a", 1, "الحسكة – خاص", "NONE", "NONE"),
        StanceItem("doc-b", 2, "مطالب بالانسحاب", "PRO_WITHDRAWAL", "NONE"),
        StanceItem("doc-b", 4, "تعزيزات جديدة", "NONE", "PRO_STAY"),
    ]
    classes = ("PRO_STAY", "PRO_WITHDRAWAL", "NONE")
    grouped = group_stance_errors(stance, classes)
    assert list(grouped) == [("PRO_STAY", "NONE"), ("PRO_WITHDRAWAL", "NONE"), ("NONE", "PRO_STAY")]

    md = render_errors_md(
        "t",
        ner_errors(_sentences()),
        LABELS,
        stance,
        classes,
        [{"doc_id": "doc-a", "text": "900 جندي", "gold_value": 900, "pred_value": 90}],
    )
    assert "### Boundary errors" in md and "#### PER (1)" in md
    assert "> gold: قال ⟦مظلوم عبدي⟧ إن قسد باقية" in md
    assert "> predicted: قال ⟦مظلوم⟧ عبدي إن قسد باقية" in md
    assert "gold **ORG** «قسد» → predicted **GPE** «قسد»" in md
    assert "(overlaps GPE «سوريا»)" in md
    assert "`doc-b` sentence 3" in md
    assert "### PRO_STAY → NONE (1)" in md and "### NONE → PRO_STAY (1)" in md
    assert "3 of 4 sentences wrong." in md
    assert "> أميركا لن تنسحب من سوريا" in md and "PRO_STAY 0.20" in md
    assert "gold value 900, predicted value 90" in md
    assert "| false negative | 0 | 1 | 0 | 1 |" in md


def test_no_errors() -> None:
    md = render_errors_md("t", [], LABELS, [], ("A", "B"))
    assert md.count("None.") == 5  # four NER kinds and stance
