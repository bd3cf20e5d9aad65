"""Baselines that say what the model adds: a training-set gazetteer for NER and the majority class
for stance. Both are built from a fold's training documents only and produce the same kind of output
as the model (IOB2 tags per sentence, a class per sentence), so the same scoring functions apply.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from arastance.scoring.scorer import entity_spans

# Entity surface form (its words) → label.
Gazetteer = dict[tuple[str, ...], str]


def entity_mentions(tokens: Sequence[str], tags: Sequence[str]) -> list[tuple[tuple[str, ...], str]]:
    """(words, label) of each strict-IOB2 entity in one sentence."""
    return [(tuple(tokens[e["start"] : e["end"] + 1]), e["label"]) for e in entity_spans(list(tags), "strict")]


def build_gazetteer(mentions: Iterable[tuple[Sequence[str], str]]) -> Gazetteer:
    """Each surface form with its most frequent label; ties go to the alphabetically first label so
    that the result does not depend on document order."""
    counts: dict[tuple[str, ...], Counter[str]] = {}
    for words, label in mentions:
        if words:
            counts.setdefault(tuple(words), Counter())[label] += 1
    return {words: min(c, key=lambda label: (-c[label], label)) for words, c in counts.items()}


def gazetteer_tags(tokens: Sequence[str], gazetteer: Mapping[tuple[str, ...], str]) -> list[str]:
    """IOB2 tags from exact, word-aligned, longest-first, left-to-right matching.

    Matching whole words (tokens) is what makes it word-aligned: "سوريا" never matches inside
    "لسوريا" because the tokenizer keeps that one word. At each position the longest known form wins
    and matching resumes after it, so matches never overlap.
    """
    longest = max((len(words) for words in gazetteer), default=0)
    tags = ["O"] * len(tokens)
    i = 0
    while i < len(tokens):
        for length in range(min(longest, len(tokens) - i), 0, -1):
            label = gazetteer.get(tuple(tokens[i : i + length]))
            if label is not None:
                tags[i] = f"B-{label}"
                tags[i + 1 : i + length] = [f"I-{label}"] * (length - 1)
                i += length
                break
        else:
            i += 1
    return tags


def majority_class(labels: Iterable[str], classes: Sequence[str]) -> str:
    """The most frequent training label; ties (and an empty training set) resolve in `classes` order,
    so NONE only wins a tie if it is listed first."""
    counts = Counter(labels)
    if not counts:
        return "NONE" if "NONE" in classes else classes[0]
    order = {c: i for i, c in enumerate(classes)}
    return min(counts, key=lambda c: (-counts[c], order.get(c, len(order)), c))
