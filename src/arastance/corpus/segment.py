"""Sentence and word segmentation that keeps character offsets into the raw text.

Rules (annotations/guidelines.md, "Words" and "Sentences"):
- Words: split at whitespace, then split punctuation off as tokens of its own. Quotes and brackets
  always split; `.,:/-` only split when not flanked by word characters on both sides, so
  "2024.01.24", "13:01" and the obfuscated "القـ.ـوات" stay one word. A tatweel that joins a
  proclitic to what follows ("لـ”التحالف”", "لـداعش") is split off together with the proclitic.
- Sentences: end after a run of . ! ? ؟ … followed by whitespace or the end of the text (closing
  quotes/brackets right after the terminator belong to the sentence), and at every line break.
- Invisible characters (corpus/text.py: zero-width joiners and spaces, bidi controls, soft hyphen, the
  byte-order mark a UTF-8 file saved by some Windows editors starts with) are not text: a token never
  starts or ends on one, one inside a word does not split it (the model never sees it: the word is
  folded before normalisation), and offsets still count them (they index the raw input). A span of
  them and whitespace alone is neither a word nor a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from arastance.corpus.text import is_blank, is_invisible, shown

TATWEEL = "\u0640"
# Always a token of its own, wherever it stands.
ALWAYS_SPLIT = set("\"'“”‘’«»()[]{}<>،؛,;!?؟…•|–—+")
# Split only where not flanked by word characters on both sides (decimals, times, "القـ.ـوات").
SPLIT_UNLESS_INNER = set(".:/-_%")
SENTENCE_TERMINATORS = set(".!?؟…")
CLOSERS = set("\"'”’»)]}")
PROCLITIC_JOINER = re.compile(rf"^[وفبلك]{{1,2}}{TATWEEL}+")
WORD_CHUNK = re.compile(r"\S+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == TATWEEL or "\u064b" <= ch <= "\u065f" or ch == "\u0670"


def _split_chunk(chunk: str, offset: int) -> list[Span]:
    """Split one whitespace-free chunk into word and punctuation tokens. The rules see the visible
    characters only, presentation forms as the letters they show (corpus/text.py `shown`), and each
    token is mapped back to its raw span, which keeps the invisible characters inside it."""
    visible = shown(chunk)
    if visible == chunk:
        return _split_visible(chunk, offset)
    positions = [i for i, ch in enumerate(chunk) if not is_invisible(ch)]
    return [
        Span(offset + positions[p.start], offset + positions[p.end - 1] + 1, "") for p in _split_visible(visible, 0)
    ]


def _split_visible(chunk: str, offset: int) -> list[Span]:
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
    """Word tokens of text[start:end] with offsets into `text`; each token's text is its raw slice."""
    end = len(text) if end is None else end
    return [
        Span(span.start, span.end, text[span.start : span.end])
        for match in WORD_CHUNK.finditer(text[start:end])
        for span in _split_chunk(match.group(), start + match.start())
    ]


def split_sentences(text: str) -> list[Span]:
    """Sentence spans, each trimmed of surrounding whitespace and invisible characters; together they
    cover all visible text."""
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
                after = j
                while after < len(line_text) and is_invisible(line_text[after]):
                    after += 1  # a mark between the terminator and what follows decides nothing
                if after == len(line_text) or line_text[after].isspace():
                    spans.extend(_trimmed(text, line_start + cut, line_start + j))
                    cut = j
                i = j
            else:
                i += 1
        spans.extend(_trimmed(text, line_start + cut, line_start + len(line_text)))
    return spans


def _trimmed(text: str, start: int, end: int) -> list[Span]:
    while start < end and is_blank(text[start]):
        start += 1
    while end > start and is_blank(text[end - 1]):
        end -= 1
    return [Span(start, end, text[start:end])] if start < end else []
