"""The holder interface: a method looks at one stance sentence and its entities and returns a span or None.

A learned scorer plugs in by implementing `HolderMethod.choose` (e.g. score `candidate` spans and keep
the best above a threshold); evaluation and prediction only ever call `sentence_holders`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from arastance.gold.model import Holder


@dataclass(frozen=True)
class Mention:
    """An entity mention, gold or predicted; offsets into the document text."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class SentenceContext:
    """What a holder method may look at: the document text, one sentence's span and the entity mentions
    inside it (sorted by start)."""

    text: str
    start: int
    end: int
    mentions: tuple[Mention, ...]


class HolderMethod(Protocol):
    def choose(self, context: SentenceContext) -> Holder | None:
        """The holder of a sentence known to carry a stance, or None for the article's own voice."""
        ...


def mentions_from(entities: Sequence[Any]) -> list[Mention]:
    """Mentions from gold `Entity` records or prediction dicts ({"start", "end", "label", ...})."""
    out = []
    for e in entities:
        if isinstance(e, Mapping):
            out.append(Mention(int(e["start"]), int(e["end"]), str(e["label"])))
        else:
            out.append(Mention(int(e.start), int(e.end), str(e.label)))
    return sorted(out, key=lambda m: (m.start, m.end))


def sentence_holders(
    text: str,
    sentences: Sequence[tuple[int, int, str]],
    entities: Sequence[Any],
    method: HolderMethod,
    no_stance: str,
) -> list[Holder | None]:
    """One holder (or None) per (start, end, stance) sentence; a `no_stance` sentence always gets None."""
    mentions = mentions_from(entities)
    starts = [m.start for m in mentions]
    holders: list[Holder | None] = []
    for start, end, stance in sentences:
        if stance == no_stance:
            holders.append(None)
            continue
        holders.append(method.choose(SentenceContext(text, start, end, mentions_inside(mentions, starts, start, end))))
    return holders


def mentions_inside(mentions: Sequence[Mention], starts: Sequence[int], start: int, end: int) -> tuple[Mention, ...]:
    """The mentions within [start, end), from mentions sorted by start (`starts` their starts): a
    bisection instead of a scan, so a document costs its mentions once, not once per sentence."""
    candidates = mentions[bisect_left(starts, start) : bisect_right(starts, end)]
    return tuple(m for m in candidates if m.end <= end)


def holder_json(holder: Holder | None) -> dict[str, Any] | None:
    return holder.to_json() if holder is not None else None
