"""The text edge (corpus/text.py): invisible characters and presentation forms change no word, no
sentence and no model word, and every offset still indexes the raw text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arastance.corpus.normalize import get_normalizer
from arastance.corpus.segment import split_sentences, tokenize_words
from arastance.corpus.text import fold
from helpers.decorate import BOM, INVISIBLES, LRM, PRESENTATION, RLM, ZWJ, ZWNJ, decorate

PLAIN = (
    "قالت قسد إن القوات الأميركية لا تزال في سوريا، ونحو 2.5 ألف في العراق.\n"
    "وأكد “قسد” لـ”التحالف” أن البنتاغون لن ينسحب قريباً؟ القـ.ـوات باقية في 2024.01.24"
)


def inside_words(text: str) -> list[tuple[int, str]]:
    """A joiner between every two letters of every word, bidi marks around words, a BOM first."""
    inserts = [(0, BOM)]
    for token in tokenize_words(text):
        inserts.append((token.start, RLM))
        inserts += [(i, ZWJ if i % 2 else ZWNJ) for i in range(token.start + 1, token.end)]
        inserts.append((token.end, LRM))
    return inserts


def mapped(spans, decorated) -> list[tuple[int, int]]:
    return [decorated.span(s.start, s.end) for s in spans]


@pytest.mark.parametrize("presentation", [False, True], ids=["invisibles", "presentation-forms-too"])
def test_decorated_text_has_the_plain_words_and_sentences_at_raw_offsets(presentation: bool) -> None:
    decorated = decorate(PLAIN, inside_words(PLAIN), presentation)
    raw = decorated.text
    words, plain_words = tokenize_words(raw), tokenize_words(PLAIN)
    assert [(w.start, w.end) for w in words] == mapped(plain_words, decorated)
    assert all(raw[w.start : w.end] == w.text for w in words)
    assert [fold(w.text) for w in words] == [w.text for w in plain_words]
    sentences = split_sentences(raw)
    assert [(s.start, s.end) for s in sentences] == mapped(split_sentences(PLAIN), decorated)


def test_the_reported_cases() -> None:
    # «سوريا» with joiners inside was three words; a file of spaces and bidi marks was two sentences.
    assert [w.text for w in tokenize_words(f"في سو{ZWJ}ري{ZWJ}ا")] == ["في", f"سو{ZWJ}ري{ZWJ}ا"]
    assert split_sentences(f"  {RLM}{LRM} \n {BOM}\u202b\u202c  \u2067\u2069\n") == []
    assert tokenize_words(f" {RLM} {ZWJ} ") == []


def test_model_words_of_presentation_forms_are_the_plain_model_words() -> None:
    normalize = get_normalizer("arabert_v02")
    decorated = decorate(PLAIN, inside_words(PLAIN))
    assert any("\ufe70" <= ch <= "\ufefe" for ch in decorated.text)  # the decoration did something
    assert [normalize(w.text) for w in tokenize_words(decorated.text)] == [
        normalize(w.text) for w in tokenize_words(PLAIN)
    ]
    # before the fold every such word normalised to "" and reached the model as [UNK]
    assert all(normalize(form) for form in PRESENTATION.values())


def test_a_ligature_folds_to_more_letters_than_its_span() -> None:
    text = f"{PRESENTATION['لا']} \ufdf2 \ufdfa"
    words = tokenize_words(text)
    assert [(w.start, w.end) for w in words] == [(0, 1), (2, 3), (4, 5)]
    assert [fold(w.text) for w in words] == ["لا", "الله", "صلى الله عليه وسلم"]
    assert get_normalizer("none")(words[0].text) == "لا"


def test_compatibility_characters_outside_the_presentation_forms_stay() -> None:
    # AraBERT's vocabulary has them as they are: folding "…" to "..." would change what trained models see.
    assert fold("…²ﬁ") == "…²ﬁ"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, len(PLAIN)), st.text(st.sampled_from(INVISIBLES), min_size=1, max_size=3))),
    st.booleans(),
)
def test_invisible_characters_anywhere_change_no_word_and_no_sentence(inserts, presentation) -> None:
    decorated = decorate(PLAIN, inserts, presentation)
    words = tokenize_words(decorated.text)
    assert [(w.start, w.end) for w in words] == mapped(tokenize_words(PLAIN), decorated)
    assert [fold(w.text) for w in words] == [w.text for w in tokenize_words(PLAIN)]
    assert [(s.start, s.end) for s in split_sentences(decorated.text)] == mapped(split_sentences(PLAIN), decorated)


# --------------------------------------------------------------------------- unknown words


def tiny_loaded(tokenizer):
    from arastance.models.factory import LoadedModel

    return LoadedModel(tokenizer, None, get_normalizer("arabert_v02"), "tiny")


def test_a_document_of_unknown_words_gets_a_warning_with_the_share(tiny_tokenizer) -> None:
    from arastance.predict.unknown import unknown_words, unknown_words_warning

    loaded = tiny_loaded(tiny_tokenizer)
    known = [w.text for w in tokenize_words(PLAIN)]
    assert unknown_words_warning(known, loaded, 0.5) is None
    # Punctuation does not count: a document of unknown words with commas is still unknown.
    foreign = ["中文", "،", "שלום", "。", "русский", "ελληνικά"]
    assert unknown_words(foreign, loaded) == (4, 4)
    warning = unknown_words_warning(foreign, loaded, 0.5)
    assert warning is not None and "4 of 4 words (100%) are unknown to the model ([UNK])" in warning
    mixed = known[:3] + foreign
    assert unknown_words(mixed, loaded) == (4, 7)
    assert unknown_words_warning(mixed, loaded, 0.6) is None and unknown_words_warning(mixed, loaded, 0.5)


def test_a_document_without_words_says_so_instead_of_a_confident_empty_result(tiny_tokenizer) -> None:
    """Empty, spaces, punctuation or invisible characters only: a warning, not "no entities, NONE"."""
    from arastance.predict.unknown import unknown_words_warning

    loaded = tiny_loaded(tiny_tokenizer)
    for text in ("", "   \n\n", "... ،؟", "\u200f\u200d \u2067\u2069\n\u200b"):
        warning = unknown_words_warning([w.text for w in tokenize_words(text)], loaded, 0.5)
        assert warning is not None and warning.startswith("no words"), repr(text)


def test_presentation_forms_are_known_words(tiny_tokenizer) -> None:
    from arastance.predict.unknown import unknown_words

    decorated = decorate(PLAIN, inside_words(PLAIN))
    assert unknown_words([w.text for w in tokenize_words(decorated.text)], tiny_loaded(tiny_tokenizer))[0] == 0


@pytest.mark.parametrize("value", ["0", "1.5", "half", "true"])
def test_a_bad_warning_threshold_is_refused_naming_the_file(tmp_path, value: str) -> None:
    from arastance.errors import UserError
    from arastance.predict.unknown import KEY, _threshold_at

    path = tmp_path / "predict.yaml"
    path.write_text(f"{KEY}: {value}\n", encoding="utf-8")
    with pytest.raises(UserError, match=rf"{path}.*{KEY}"):
        _threshold_at(path)


def test_the_configured_threshold_is_read() -> None:
    from arastance.predict.unknown import warning_threshold

    assert 0.0 < warning_threshold() <= 1.0


def test_quantity_attributes_of_decorated_text_are_the_plain_ones(schema) -> None:
    from arastance.gold.quantity import parse_quantity

    before, span = "ونحو ", "٩٠٠ جندي"
    plain = parse_quantity(before, span, schema)
    assert plain == (900, "جندي", True)
    assert parse_quantity(decorate(before, [(1, ZWJ)]).text, decorate(span, [(5, ZWJ), (0, RLM)]).text, schema) == plain


def test_a_gold_span_that_takes_in_a_bidi_mark_is_named_by_its_code_point(schema) -> None:
    from arastance.gold.io import LoadedDocument
    from arastance.gold.model import Entity, GoldDocument, Sentence
    from arastance.gold.validate import validate

    text = f"قالت {RLM}قسد إن القوات باقية."
    mark = text.index(RLM)
    entity = Entity(mark, mark + 4, "ORG", text[mark : mark + 4])
    doc = GoldDocument("d", text, "NONE", (entity,), (Sentence(0, len(text), "NONE", None),), schema.version)
    problems = validate([LoadedDocument(doc, "d.json")], schema)
    assert [p.rule for p in problems] == ["word-boundary"]
    assert "starts on an invisible character (U+200F)" in problems[0].message
    fixed = GoldDocument("d", text, "NONE", (Entity(mark + 1, mark + 4, "ORG", "قسد"),), doc.sentences, schema.version)
    assert validate([LoadedDocument(fixed, "d.json")], schema) == []
