"""Plain Arabic text decorated the way PDF extraction and web copy decorate it, with the map back.

Presentation forms come from the Unicode names (the isolated form of each letter, the lam-alef
ligature for «لا»), not from the code under test; invisible characters are inserted where a caller says.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

BOM = "\ufeff"
ZWJ, ZWNJ, ZWSP, WORD_JOINER, SOFT_HYPHEN = "\u200d", "\u200c", "\u200b", "\u2060", "\u00ad"
LRM, RLM, ALM, LRE, PDF, LRI, PDI = "\u200e", "\u200f", "\u061c", "\u202a", "\u202c", "\u2066", "\u2069"
INVISIBLES = (BOM, ZWJ, ZWNJ, ZWSP, WORD_JOINER, SOFT_HYPHEN, LRM, RLM, ALM, LRE, PDF, LRI, PDI)


def _isolated_forms() -> dict[str, str]:
    forms: dict[str, str] = {}
    for code in range(0xFE70, 0xFEFF):
        name = unicodedata.name(chr(code), "")
        shows = unicodedata.normalize("NFKC", chr(code))
        if name.endswith("ISOLATED FORM") and "LIGATURE" not in name and len(shows) == 1:
            forms.setdefault(shows, chr(code))
        if name == "ARABIC LIGATURE LAM WITH ALEF ISOLATED FORM":
            forms["لا"] = chr(code)
    return forms


PRESENTATION = _isolated_forms()


@dataclass(frozen=True)
class Decorated:
    text: str
    starts: tuple[int, ...]  # plain character index → raw index of the character showing it
    ends: tuple[int, ...]  # plain end index (1..n) → raw end of the character showing the one before

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.starts[start], self.ends[end]


def decorate(plain: str, inserts: Iterable[tuple[int, str]] = (), presentation: bool = True) -> Decorated:
    """`plain` with each (position, invisible characters) inserted before that plain character (len(plain):
    at the end) and, with `presentation`, every letter that has one in its isolated presentation form."""
    before: dict[int, str] = {}
    for position, chars in inserts:
        before[position] = before.get(position, "") + chars
    raw: list[str] = []
    starts, ends = [0] * len(plain), [0] * (len(plain) + 1)
    i = 0
    while i < len(plain):
        raw.append(before.get(i, ""))
        at = sum(map(len, raw))
        pair = plain[i : i + 2]
        if presentation and pair == "لا" and i + 1 not in before:
            raw.append(PRESENTATION[pair])
            starts[i] = starts[i + 1] = at
            ends[i + 1] = ends[i + 2] = at + 1
            i += 2
            continue
        raw.append(PRESENTATION.get(plain[i], plain[i]) if presentation else plain[i])
        starts[i], ends[i + 1] = at, at + 1
        i += 1
    raw.append(before.get(len(plain), ""))
    return Decorated("".join(raw), tuple(starts), tuple(ends))
