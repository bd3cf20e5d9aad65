"""Word and sentence segmentation keep offsets and follow annotations/guidelines.md §1 and §5."""

from __future__ import annotations

from pathlib import Path

import pytest

from arastance.corpus.segment import split_sentences, tokenize_words

DOCS = sorted((Path(__file__).resolve().parents[1] / "annotations" / "documents").glob("*.txt"))


def words(text: str) -> list[str]:
    return [t.text for t in tokenize_words(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('و"قسد"', ["و", '"', "قسد", '"']),
        ("لـ”التحالف الدولي”", ["لـ", "”", "التحالف", "الدولي", "”"]),
        ("لـداعش", ["لـ", "داعش"]),
        ("وسوريا،", ["وسوريا", "،"]),
        ("2024.01.24 | 13:01", ["2024.01.24", "|", "13:01"]),
        ("القـ.ـوات الأمريكية", ["القـ.ـوات", "الأمريكية"]),
        ("(الجيش الأميركي)", ["(", "الجيش", "الأميركي", ")"]),
        ("العراق..", ["العراق", ".", "."]),
    ],
)
def test_words_split_punctuation_but_keep_proclitics(text: str, expected: list[str]) -> None:
    assert words(text) == expected


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.stem)
def test_tokens_and_sentences_index_the_raw_text(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for token in tokenize_words(text):
        assert text[token.start : token.end] == token.text and token.text.strip() == token.text
    sentences = split_sentences(text)
    covered = set()
    for previous, sentence in zip([None, *sentences], sentences, strict=False):  # each with the one before
        assert text[sentence.start : sentence.end] == sentence.text
        assert previous is None or previous.end <= sentence.start
        covered.update(range(sentence.start, sentence.end))
    # Every non-space character belongs to a sentence.
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_sentences_end_at_terminators_and_line_breaks_not_inside_words() -> None:
    text = "قال المصدر: لا. هل تنسحب؟ نعم!\nالقـ.ـوات 2024.01.24 باقية"
    assert [s.text for s in split_sentences(text)] == [
        "قال المصدر: لا.",
        "هل تنسحب؟",
        "نعم!",
        "القـ.ـوات 2024.01.24 باقية",
    ]


def test_closing_quote_after_terminator_stays_in_the_sentence() -> None:
    text = 'وقال إن "القوات باقية." وأضاف'
    assert [s.text for s in split_sentences(text)] == ['وقال إن "القوات باقية."', "وأضاف"]


def test_empty_and_whitespace_text_have_no_words_or_sentences() -> None:
    assert tokenize_words("") == [] and split_sentences(" \n\t ") == []


@pytest.mark.parametrize("where", ["start", "middle"])
def test_a_byte_order_mark_is_not_text_and_offsets_still_count_it(where: str) -> None:
    plain = "قالت قسد إن القوات باقية. ووصل الرتل إلى الحسكة"
    cut = 0 if where == "start" else plain.index(" ووصل") + 1
    with_bom = plain[:cut] + "\ufeff" + plain[cut:]

    def shift(spans):
        return [(s.start + (s.start >= cut), s.end + (s.start >= cut), s.text) for s in spans]

    assert [(s.start, s.end, s.text) for s in tokenize_words(with_bom)] == shift(tokenize_words(plain))
    assert [(s.start, s.end, s.text) for s in split_sentences(with_bom)] == shift(split_sentences(plain))
    assert all("\ufeff" not in s.text for s in tokenize_words(with_bom) + split_sentences(with_bom))
