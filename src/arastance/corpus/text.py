"""The text edge: which raw characters count as text, and the letters a word shows.

Every path that reads raw text (gold validation and conversion, corpus conversion, predict,
pre-annotation, the Label Studio and doccano imports) segments it with corpus.segment, which asks this
module what is invisible, and every model word is `get_normalizer(name)(word)`, which folds the word
here first. Offsets always index the raw text: nothing here rewrites a document, only the words it
is cut into, so `text[start:end]` stays the raw slice whatever a word's folded form is.

- Invisible characters (zero-width space/joiners, word joiner, soft hyphen, the byte-order mark and
  the bidi controls LRM, RLM, ALM, LRE…PDF, LRI…PDI) are not text: a word's span never starts or ends
  on one, one inside a word neither splits it nor reaches the model, and a span of them alone is
  neither a word nor a sentence. PDF extraction and web copy put them inside words (ZWJ in «سوريا»).
- Arabic presentation forms (U+FB50–U+FDFF, U+FE70–U+FEFE: the contextual glyph code points that
  PDF extraction often yields) fold to the letters they show, by NFKC. A lam-alef ligature is two
  letters and «ﷺ» a phrase, so a folded word can be longer than its raw span; the map from words to
  raw offsets stays exact because it is kept per word. Other compatibility characters (…, ², ﬁ) are
  left alone: AraBERT's vocabulary has them as they are, and folding them would change what trained
  models see.
"""

from __future__ import annotations

import unicodedata

INVISIBLE = frozenset(
    "\u00ad"  # soft hyphen
    "\u034f"  # combining grapheme joiner
    "\u061c"  # Arabic letter mark (ALM)
    "\u180e"  # Mongolian vowel separator (zero-width in current Unicode)
    "\u200b\u200c\u200d"  # zero-width space, non-joiner, joiner
    "\u200e\u200f"  # LRM, RLM
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
    "\ufeff"  # byte-order mark / zero-width no-break space
)
PRESENTATION_FORMS = ((0xFB50, 0xFDFF), (0xFE70, 0xFEFE))


def _presentation_folds() -> dict[int, str]:
    table = {}
    for low, high in PRESENTATION_FORMS:
        for code in range(low, high + 1):
            folded = unicodedata.normalize("NFKC", chr(code))
            if folded != chr(code):
                # The isolated forms of the short vowels decompose to a space and the mark: keep the mark.
                table[code] = folded.strip() or folded
    return table


# str.translate tables: C speed on the 187k-word documents predict must handle in linear time.
_FOLD = {**_presentation_folds(), **{ord(ch): None for ch in INVISIBLE}}
# One character per visible character: a presentation form that shows one letter becomes it, a
# ligature stays (it is a letter either way), so positions map back to the raw text one to one.
_SHOWN = {code: folded if folded is None or len(folded) == 1 else chr(code) for code, folded in _FOLD.items()}


def is_invisible(ch: str) -> bool:
    return ch in INVISIBLE


def shown(text: str) -> str:
    """`text` without invisible characters, each presentation form that shows one letter as that
    letter: for rules that look at single characters (segmentation). One character per visible one."""
    return text.translate(_SHOWN)


def is_blank(ch: str) -> bool:
    """Whitespace or invisible: what separates or surrounds text without being any."""
    return ch.isspace() or ch in INVISIBLE


def fold(text: str) -> str:
    """`text` as the letters it shows: invisible characters removed, presentation forms folded."""
    return text.translate(_FOLD)
