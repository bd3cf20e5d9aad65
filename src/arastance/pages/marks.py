"""Running text cut into segments at every span boundary, so overlapping spans can all be marked.

A gold span and a predicted span may overlap without being equal (a boundary error); HTML elements
cannot cross, so the text is cut wherever any span starts or ends and each segment lists the spans
that cover it. Offsets are character offsets into the document, kept on every segment so a reader
(and the browser test) can check that what the page shows is the raw text at those offsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise


@dataclass(frozen=True)
class Mark:
    """One span to show: `kind` picks its look (an error kind, or `entity`), `label` is what it says."""

    start: int
    end: int
    kind: str
    label: str
    title: str = ""  # the tooltip: what the span is, in words
    key: str = ""  # the label the page's filter matches (default: `label`)

    @property
    def tag(self) -> str:
        """ "kind:label", what a sentence lists for the filter."""
        return f"{self.kind}:{self.key or self.label}"


@dataclass(frozen=True)
class Segment:
    start: int
    end: int
    text: str
    marks: tuple[int, ...] = ()  # indices into the sentence's marks
    ends: tuple[int, ...] = field(default=())  # marks that end with this segment (their label follows it)


def segments(text: str, start: int, end: int, marks: Sequence[Mark]) -> list[Segment]:
    """text[start:end] as consecutive segments; each mark (clipped to the range) covers whole segments."""
    inside = [(i, max(m.start, start), min(m.end, end)) for i, m in enumerate(marks) if m.start < end and m.end > start]
    cuts = sorted({start, end, *(a for _, a, _ in inside), *(b for _, _, b in inside)})
    out = []
    for a, b in pairwise(cuts):
        covering = tuple(i for i, s, e in inside if s <= a and b <= e)
        ending = tuple(i for i, _, e in inside if e == b and i in covering)
        out.append(Segment(a, b, text[a:b], covering, ending))
    return out
