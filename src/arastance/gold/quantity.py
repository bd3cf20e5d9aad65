"""Normalising a QUANTITY span to (value, unit, approximate) (guidelines.md, "Quantities").

`parse_quantity(text_before, span_text, schema)` is a pure function of the span text and the text
right before it, so that prediction can fill the attributes of predicted spans exactly the way the
gold conventions define them:

- digits: Arabic-Indic (٠-٩) and Persian (۰-۹) digits become ASCII; thousands separators
  (`1,500`, `1٬500`, `1.500.000`) are dropped, a single `.`/`٫` (or a `,` not followed by a group of
  three digits) is a decimal point;
- number words and vague number words come from schema.yaml `quantity` (never from this file), also
  with an attached proclitic (`وعشرات`) and with hamza/diacritics variants (`الف` = `ألف`);
  a following magnitude word multiplies (`5 آلاف` = 5000, `ثلاثة آلاف` = 3000) and `عشر` after a unit
  digit word forms a teen (`ثلاثة عشر` = 13); a number word after the noun counts too (`مرة واحدة`);
- approximate: the span follows an approximator from the schema (`نحو 900 جندي`), starts with one
  (a predicted span may include it), starts with a vague number word (`عشرات`), or is a range (`3-4`);
- unit: the rest of the span after the number, as written.
"""

from __future__ import annotations

import re
from functools import lru_cache

from arastance.corpus.text import fold
from arastance.schema import Schema

DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
PROCLITICS = "وفبلك"
_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u0640]")  # harakat, superscript alef, tatweel
_ALEFS = str.maketrans("أإآٱ", "اااا")
# A number as written, after digit normalisation: groups joined by separators, optionally a range.
_NUMBER = re.compile(r"\d+(?:[.,٫٬]\d+)*")
_RANGE = re.compile(r"(\d+(?:[.,٫٬]\d+)*)\s*[-–]\s*(\d+(?:[.,٫٬]\d+)*)")

Number = int | float


def normalize_digits(text: str) -> str:
    """Arabic-Indic and Persian digits → ASCII; one character for one, so offsets do not move."""
    return text.translate(DIGITS)


def parse_number(written: str) -> Number | None:
    """A digit string with separators (ASCII digits) → int or float; None when it is not a number."""
    if not re.fullmatch(r"\d+(?:[.,٫٬]\d+)*", written):
        return None
    groups = re.split(r"[.,٫٬]", written)
    seps = re.findall(r"[.,٫٬]", written)
    if not seps:
        return int(written)
    tail_groups_of_three = all(len(g) == 3 for g in groups[1:])
    if "٫" in seps:
        # The Arabic decimal separator is unambiguous; anything before it groups thousands.
        whole, _, frac = written.rpartition("٫")
        return _to_number(re.sub(r"[.,٬]", "", whole) + "." + frac)
    if len(set(seps)) == 1 and tail_groups_of_three and (seps[0] in ",٬" or len(seps) > 1):
        return int("".join(groups))  # 1,500 / 1٬500 / 1.500.000
    if len(seps) == 1:
        return _to_number(groups[0] + "." + groups[1])  # 2.5 / 2,5
    # 1,500.25 or 1.500,25: the last separator, of the other kind, is the decimal point.
    thousands_then_decimal = all(s == seps[0] for s in seps[:-1]) and seps[-1] != seps[0]
    if thousands_then_decimal and all(len(g) == 3 for g in groups[1:-1]):
        return _to_number("".join(groups[:-1]) + "." + groups[-1])
    return None


def _to_number(text: str) -> Number:
    value = float(text)
    return int(value) if value.is_integer() else value


def _fold(word: str) -> str:
    """Spelling variants that should not change a number word: diacritics, tatweel, hamza on alef."""
    return _DIACRITICS.sub("", word).translate(_ALEFS)


@lru_cache(maxsize=16)
def _lexicon(
    number_words: tuple[tuple[str, int], ...], vague: tuple[tuple[str, int], ...]
) -> dict[str, tuple[int, bool]]:
    table: dict[str, tuple[int, bool]] = {}
    for word, value in number_words:
        table[_fold(word)] = (value, False)
    for word, value in vague:
        table[_fold(word)] = (value, True)
    return table


def _lookup(word: str, lexicon: dict[str, tuple[int, bool]]) -> tuple[int, bool] | None:
    """(value, vague) of a number word, trying it as written, then without one or two proclitics."""
    folded = _fold(word)
    for cut in range(0, 3):
        head, rest = folded[:cut], folded[cut:]
        if all(ch in PROCLITICS for ch in head) and rest in lexicon:
            return lexicon[rest]
    return None


def _strip_proclitic_digits(word: str) -> tuple[int, str]:
    """A proclitic glued to digits (`و900`): (characters to skip, the rest)."""
    match = re.match(rf"[{PROCLITICS}]{{1,2}}(?=\d)", word)
    return (match.end(), word[match.end() :]) if match else (0, word)


def _approximator_before(text_before: str, approximators: tuple[str, ...]) -> bool:
    """True when the last words before the span are an approximator (optionally with a proclitic)."""
    words = normalize_digits(text_before).split()
    for approx in approximators:
        parts = approx.split()
        if len(words) < len(parts):
            continue
        tail = words[len(words) - len(parts) :]
        # Punctuation between approximator and number (`نحو "900`) is not expected; compare words.
        if [_fold(w) for w in tail[1:]] != [_fold(p) for p in parts[1:]]:
            continue
        first, want = _fold(tail[0]), _fold(parts[0])
        if first == want or (first.endswith(want) and all(ch in PROCLITICS for ch in first[: -len(want)])):
            return True
    return False


def _leading_approximator(span: str, approximators: tuple[str, ...]) -> int:
    """Length of an approximator at the start of the span (0 if none), with the space after it."""
    for approx in sorted(approximators, key=len, reverse=True):
        match = re.match(re.escape(approx) + r"\s+", span)
        if match:
            return match.end()
    return 0


def parse_quantity(text_before: str, span_text: str, schema: Schema) -> tuple[Number | None, str | None, bool]:
    """(value, unit, approximate) of a QUANTITY span; value None when no number is found.

    `text_before` is the document text before the span (a few words are enough). Both are read as the
    letters they show (corpus/text.py `fold`): the unit of a span in presentation forms or with joiners
    inside is the plain word.
    """
    text_before, span_text = fold(text_before), fold(span_text)
    lexicon = _lexicon(tuple(schema.number_words.items()), tuple(schema.vague_numbers.items()))
    approximate = _approximator_before(text_before, schema.approximators)
    skip = _leading_approximator(span_text, schema.approximators)
    if skip:
        approximate = True
    # Digit normalisation keeps one character per character, so positions found in `normal` slice `span_text`.
    normal = normalize_digits(span_text)
    value, end, vague = _leading_number(normal, skip, lexicon)
    if value is not None:
        unit = span_text[end:].strip()
        return value, unit or None, approximate or vague
    trailing = _trailing_number_word(normal, skip, lexicon)
    if trailing is not None:
        # The cardinal follows the noun for one and two (مرة واحدة): the unit is what precedes it.
        value, start, vague = trailing
        return value, span_text[skip:start].strip() or None, approximate or vague
    unit = span_text[skip:].strip()
    return None, unit or None, approximate


def _trailing_number_word(text: str, pos: int, lexicon: dict[str, tuple[int, bool]]) -> tuple[int, int, bool] | None:
    """(value, start, vague) of a number word ending the span after at least one other word."""
    words = [m for m in re.finditer(r"\S+", text) if m.start() >= pos]
    if len(words) < 2:
        return None
    entry = _lookup(words[-1].group(), lexicon)
    return (entry[0], words[-1].start(), entry[1]) if entry else None


def _leading_number(text: str, pos: int, lexicon: dict[str, tuple[int, bool]]) -> tuple[Number | None, int, bool]:
    """The number at text[pos:]: (value, end position, approximate because vague or a range)."""
    words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text) if m.start() >= pos]
    if not words:
        return None, pos, False
    start, end, first = words[0]
    skip, rest = _strip_proclitic_digits(first)
    value: Number | None
    approximate = False
    ranged = _RANGE.match(text, start + skip)
    number = _NUMBER.match(rest)
    if ranged:
        # A range (`3-4 جنود`) has no single figure: its lower bound, marked approximate.
        value, end, approximate = parse_number(ranged.group(1)), ranged.end(), True
    elif number:
        value = parse_number(number.group())
        end = start + skip + number.end()
    else:
        entry = _lookup(first, lexicon)
        if entry is None:
            return None, pos, False
        value, approximate = entry
    if value is None:
        return None, pos, False
    # Following number words: a teen (ثلاثة عشر) or a multiplier (5 آلاف، ثلاث مئة).
    index = next((i for i, w in enumerate(words) if w[0] >= end), len(words))
    if index < len(words) and words[index - 1][1] != end:
        return value, end, approximate  # the number ended inside a word (`151هجوماً`): no more words
    while index < len(words):
        entry = _lookup(words[index][2], lexicon)
        if entry is None:
            break
        word_value, _vague = entry
        if word_value == 10 and 0 < value < 10 and not approximate:
            value += 10
        elif word_value >= 100 and value < word_value:
            # The vague plural (آلاف) is exact after a number: 5 آلاف = 5000. Rounding keeps
            # 1.1 ألف at 1100, not 1100.0000000000002.
            value = _to_number(str(round(value * word_value, 9)))
        else:
            break
        end = words[index][1]
        index += 1
    return value, end, approximate
