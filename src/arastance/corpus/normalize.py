"""Text normalisation as AraBERT v0.2 expects, applied one word at a time.

The `arastance` package's own preprocessor (arabert.preprocess.ArabertPreprocessor) works on whole
strings and shifts character offsets; we apply its v0.2 rules (no Farasa segmentation) to each word
produced by corpus.segment.tokenize_words, so a word's offsets into the raw text never change and
the model input for a word is `normalize_word(word)`. Rules, in the order the reference applies them:
diacritics and tatweel removed, Eastern Arabic digits to ASCII, repeated non-digit characters
capped at two, spaces around punctuation and between digits and letters, slash to dash, and
characters outside AraBERT's alphabet dropped.

Every normaliser `get_normalizer` returns folds the word first (corpus/text.py: invisible characters
removed, presentation forms to the letters they show), whatever the model's normalisation: a word
in presentation forms was all outside AraBERT's alphabet and reached the model as [UNK].
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from arastance.corpus.text import fold

TASHKEEL = re.compile("[\u064b-\u0652]")
TATWEEL = "\u0640"
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
REPEATED_NON_DIGIT = re.compile(r"(\D)\1{2,}")
# Everything that is not a digit, an Arabic letter, a Latin letter or a square bracket gets spaces.
SPACE_AROUND = re.compile("([^0-9\u0621-\u063a\u0641-\u064a\u0660-\u0669a-zA-Z\\[\\]])")
DIGIT_THEN_LETTER = re.compile("(\\d+)([\u0621-\u063a\u0641-\u064a\u0660-\u066c]+)")
LETTER_THEN_DIGIT = re.compile("([\u0621-\u063a\u0641-\u064a\u0660-\u066c]+)(\\d+)")
# AraBERT v0.2's accepted alphabet (its REJECTED_CHARS_REGEXV2, expressed as the accepted set).
ACCEPTED = (
    "0-9\u0621-\u063a\u0641-\u066c\u0671-\u0674a-zA-Z\\[\\]!\"#$%'()*+,.:;\\-<=·>?@\\\\^_`{|}~—٪’،؟"
    "\u0b4d“؛”\u06da»«–…‘/"
)
REJECTED = re.compile(f"[^{ACCEPTED}\\s]")


def normalize_arabert_v02(word: str) -> str:
    """AraBERT v0.2 normalisation of one word; may contain spaces (split punctuation) or be empty."""
    text = TASHKEEL.sub("", word).replace(TATWEEL, "")
    text = text.translate(DIGITS)
    text = REPEATED_NON_DIGIT.sub(r"\1\1", text)
    text = SPACE_AROUND.sub(r" \1 ", text)
    text = DIGIT_THEN_LETTER.sub(r" \1 \2 ", text)
    text = LETTER_THEN_DIGIT.sub(r" \1 \2 ", text)
    text = text.replace("/", "-")
    text = REJECTED.sub(" ", text)
    return " ".join(text.split())


def identity(word: str) -> str:
    return word


NORMALIZERS: dict[str, Callable[[str], str]] = {"arabert_v02": normalize_arabert_v02, "none": identity}


def get_normalizer(name: str) -> Callable[[str], str]:
    """raw word → model word: the text edge's fold, then the model's normalisation."""
    try:
        normalize = NORMALIZERS[name]
    except KeyError:
        raise ValueError(f"unknown normalization {name!r}; choose one of {sorted(NORMALIZERS)}") from None
    return partial(_folded, normalize)  # a partial, not a lambda: data-loader workers pickle it


def _folded(normalize: Callable[[str], str], word: str) -> str:
    return normalize(fold(word))
