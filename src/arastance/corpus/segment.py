"""Sentence and word segmentation that keeps character offsets into the raw text.

Rules (annotations/guidelines.md, "Words" and "Sentences"):
- Words: split at whitespace, then split punctuation off as tokens of its own. Quotes and brackets
  always split; `.,:/-` only split when not flanked by word characters on both sides, so
  "2024.01.24", "13:01" and the obfuscated "القـ.ـوات" stay one word. A tatweel that joins a
  proclitic to what follows ("لـ”التحالف”", "لـداعش") is split off together with the proclitic.
- Sentences: end after a run of . ! ? ؟ … followed by whitespace or the end of the text (closing
  quotes/brackets right after the terminator belong to the sentence), and at every line break.
- A byte-order mark (U+FEFF, which a UTF-8 file saved by some Windows editors starts with) is not
  text: it separates like whitespace, so it is never a word or part of one, and offsets still count
  it (they index the raw input, BOM included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TATWEEL = "\u0640"
# Always a token of its own, wherever it stands.
ALWAYS_SPLIT = set("\"'“”‘’«»()[]{}<>،؛,;!?؟…•|–—+")
# Split only where not flanked by word characters on both sides (decimals, times, "القـ.ـوات").
SPLIT_UNLESS_INNER = set(".:/-_%")
SENTENCE_TERMINATORS = set(".!?؟…")
CLOSERS = set("\"'”’»)]}")
PROCLITIC_JOINER = re.compile(rf"^[وفبلك]{{1,2}}{TATWEEL}+")
BOM = "\ufeff"
WORD_CHUNK = re.compile(rf"[^\s{BOM}]+")


def _is_blank(ch: str) -> bool:
    return ch.isspace() or ch == BOM


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == TATWEEL or "\u064b" <= ch <= "\u065f" or ch == "\u0670"


def _split_chunk(chunk: str, offset: int) -> list[Span]:
    """Split one whitespace-free chunk into word and punctuation tokens."""
    pieces: list[Span] = []
    current_start: int | None = None
    for i, ch in enumerate(chunk):
        inner = (
            ch in SPLIT_UNLESS_INNER
            and 0 < i < len(chunk) - 1
            and _is_word_char(chunk[i - 1])
            and _is_word_char(chunk[i + 1])
        )
        is_punct = (ch in ALWAYS_SPLIT or ch in SPLIT_UNLESS_INNER or not _is_word_char(ch)) and not inner
        if is_punct:
            if current_start is not None:
                pieces.append(Span(offset + current_start, offset + i, chunk[current_start:i]))
                current_start = None
            pieces.append(Span(offset + i, offset + i + 1, ch))
        elif current_start is None:
            current_start = i
    if current_start is not None:
        pieces.append(Span(offset + current_start, offset + len(chunk), chunk[current_start:]))
    return [p for piece in pieces for p in _split_proclitic_joiner(piece)]


def _split_proclitic_joiner(token: Span) -> list[Span]:
    match = PROCLITIC_JOINER.match(token.text)
    if not match or match.end() == len(token.text):
        return [token]
    cut = token.start + match.end()
    return [Span(token.start, cut, token.text[: match.end()]), Span(cut, token.end, token.text[match.end() :])]


def tokenize_words(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Word tokens of text[start:end] with offsets into `text`."""
    end = len(text) if end is None else end
    return [
        span
        for match in WORD_CHUNK.finditer(text[start:end])
        for span in _split_chunk(match.group(), start + match.start())
    ]


def split_sentences(text: str) -> list[Span]:
    """Sentence spans, each trimmed of surrounding whitespace; together they cover all non-space text."""
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text):
        line_start = line.start()
        line_text = line.group()
        cut = 0
        i = 0
        while i < len(line_text):
            if line_text[i] in SENTENCE_TERMINATORS:
                j = i
                while j < len(line_text) and line_text[j] in SENTENCE_TERMINATORS:
                    j += 1
                while j < len(line_text) and line_text[j] in CLOSERS:
                    j += 1
                if j == len(line_text) or _is_blank(line_text[j]):
                    spans.extend(_trimmed(text, line_start + cut, line_start + j))
                    cut = j
                i = j
            else:
                i += 1
        spans.extend(_trimmed(text, line_start + cut, line_start + len(line_text)))
    return spans


def _trimmed(text: str, start: int, end: int) -> list[Span]:
    while start < end and _is_blank(text[start]):
        start += 1
    while end > start and _is_blank(text[end - 1]):
        end -= 1
    return [Span(start, end, text[start:end])] if start < end else []
