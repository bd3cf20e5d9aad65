"""Word-level units → model inputs, and model outputs → word-level predictions.

One machinery for both tasks. A *unit* is one sentence: its words (with character offsets into the
document), NER tags per word and/or a stance, and for stance optional context words (title,
previous sentence) encoded as the second segment. A unit longer than `max_length` sub-words is cut
into overlapping *windows* at word boundaries; every word is *owned* by exactly one window (the one
where it has most context on both sides), NER labels are set only on owned words, and predictions are
stitched from the owners — so no word is ever dropped or counted twice. Stance averages the logits of
a unit's windows.

Alignment follows word_ids(): the first sub-word of a word carries its label, the rest -100. A word
whose normalised form is empty (a stray diacritic) is fed as the unknown token so it still gets a
prediction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from arastance.corpus.text import fold
from arastance.tasks import TaskSpec

IGNORE_INDEX = -100


@dataclass(frozen=True)
class Unit:
    doc_id: str
    sentence_id: int
    words: tuple[str, ...]
    offsets: tuple[tuple[int, int], ...]
    ner_tags: tuple[str, ...] | None = None
    stance: str | None = None
    context: tuple[str, ...] = ()


@dataclass
class Window:
    unit_index: int
    input_ids: list[int]
    token_type_ids: list[int]
    word_ids: list[int | None]  # per token: index into the unit's words; None for specials/context
    owned: tuple[int, int]  # [lo, hi) of the unit's words this window predicts
    labels: list[int] = field(default_factory=list)  # NER: per token; stance: one class id

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass(frozen=True)
class EncodingConfig:
    task: TaskSpec
    max_length: int
    stride: int  # sub-words of overlap between consecutive windows
    label2id: dict[str, int]
    min_context_tokens: int = 0  # stance: below this many free tokens, context is left out


# ----------------------------------------------------------------------------- units


def units_from_records(
    records: Sequence[dict[str, Any]], task: TaskSpec, context: dict[str, Any] | None = None
) -> list[Unit]:
    """Sentence records (gold.convert) → units; stance units get title / previous-sentence context."""
    context = context or {}
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_doc.setdefault(record["doc_id"], []).append(record)
    units = []
    for doc_records in by_doc.values():
        doc_records = sorted(doc_records, key=lambda r: r["sentence_id"])
        title = _title_words(doc_records, int(context.get("title_min_words", 4))) if context.get("title") else ()
        for i, record in enumerate(doc_records):
            ctx: tuple[str, ...] = ()
            if not task.per_word:
                previous = tuple(doc_records[i - 1]["tokens"]) if context.get("previous") and i > 0 else ()
                own_title = tuple(record["tokens"]) == title
                ctx = (() if own_title else title) + previous
            units.append(
                Unit(
                    doc_id=record["doc_id"],
                    sentence_id=int(record["sentence_id"]),
                    words=tuple(record["tokens"]),
                    offsets=tuple((int(s), int(e)) for s, e in record["offsets"]),
                    ner_tags=tuple(record["ner_tags"]) if record.get("ner_tags") is not None else None,
                    stance=record.get("stance"),
                    context=ctx,
                )
            )
    return units


def _title_words(doc_records: Sequence[dict[str, Any]], min_words: int) -> tuple[str, ...]:
    """The first sentence with at least `min_words` Arabic words: skips site names and bylines."""
    for record in doc_records:
        arabic_words = [w for w in record["tokens"] if any("\u0621" <= ch <= "\u064a" for ch in fold(w))]
        if len(arabic_words) >= min_words:
            return tuple(record["tokens"])
    return ()


# ----------------------------------------------------------------------------- encoding


def model_words(words: Sequence[str], normalize: Callable[[str], str], unk_token: str) -> list[str]:
    return [normalize(w) or unk_token for w in words]


def plan_windows(counts: Sequence[int], budget: int, stride: int) -> list[tuple[int, int, int, int]]:
    """Split words with `counts` sub-words into windows of at most `budget` sub-words.

    Returns (start, end, owned_lo, owned_hi) per window, word indices. Consecutive windows overlap by
    about `stride` sub-words; a word is owned by the window where it is farthest from an edge.
    """
    n = len(counts)
    if n == 0:
        return [(0, 0, 0, 0)]
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        end, used = start, 0
        while end < n and (used + counts[end] <= budget or end == start):
            used += counts[end]
            end += 1
        spans.append((start, end))
        if end >= n:
            break
        next_start, overlap = end, 0
        while next_start - 1 > start and overlap + counts[next_start - 1] <= stride:
            next_start -= 1
            overlap += counts[next_start]
        start = next_start
    # The owner boundary between two windows is the middle of their overlap: each word is owned by
    # exactly one window, the one where it has the most context on both sides.
    cuts = [0] + [(spans[k + 1][0] + spans[k][1]) // 2 for k in range(len(spans) - 1)] + [n]
    return [(s, e, cuts[k], cuts[k + 1]) for k, (s, e) in enumerate(spans)]


def encode_units(
    units: Sequence[Unit], tokenizer: Any, normalize: Callable[[str], str], cfg: EncodingConfig
) -> list[Window]:
    """Tokenise units into windows with labels. Deterministic and independent of batch order."""
    words = [model_words(u.words, normalize, tokenizer.unk_token) for u in units]
    first_pass = tokenizer(words, is_split_into_words=True, add_special_tokens=False)
    windows: list[Window] = []
    for index, unit in enumerate(units):
        word_ids = first_pass.word_ids(index)
        counts = np.bincount([w for w in word_ids if w is not None], minlength=len(unit.words)).tolist()
        context = model_words(unit.context, normalize, tokenizer.unk_token) if unit.context else []
        windows.extend(_encode_unit(index, unit, words[index], counts, context, tokenizer, cfg))
    return windows


def _encode_unit(
    index: int,
    unit: Unit,
    words: list[str],
    counts: list[int],
    context: list[str],
    tokenizer: Any,
    cfg: EncodingConfig,
) -> list[Window]:
    single_budget = cfg.max_length - 2
    total = sum(counts)
    use_context = bool(context) and cfg.max_length - 3 - total >= max(1, cfg.min_context_tokens)
    out = []
    for start, end, lo, hi in plan_windows(counts, single_budget, cfg.stride):
        piece = words[start:end]
        if use_context:
            enc = tokenizer(
                piece, context, is_split_into_words=True, truncation="only_second", max_length=cfg.max_length
            )
            seq_ids = enc.sequence_ids()
        else:
            enc = tokenizer(piece, is_split_into_words=True)
            seq_ids = enc.sequence_ids()
        # Only the first segment's word ids refer to the unit's words.
        word_ids = [
            None if sid != 0 or w is None else start + w for w, sid in zip(enc.word_ids(), seq_ids, strict=True)
        ]
        token_type_ids = enc.get("token_type_ids") or [0] * len(enc["input_ids"])
        window = Window(index, list(enc["input_ids"]), list(token_type_ids), word_ids, (lo, hi))
        window.labels = _labels(unit, window, cfg)
        out.append(window)
    return out


def _labels(unit: Unit, window: Window, cfg: EncodingConfig) -> list[int]:
    if not cfg.task.per_word:
        return [cfg.label2id[unit.stance]] if unit.stance is not None else []
    if unit.ner_tags is None:
        return []
    labels, previous = [], None
    lo, hi = window.owned
    for w in window.word_ids:
        owned_first_subword = w is not None and w != previous and lo <= w < hi
        labels.append(cfg.label2id[unit.ner_tags[w]] if w is not None and owned_first_subword else IGNORE_INDEX)
        previous = w
    return labels


# ----------------------------------------------------------------------------- decoding


def stitch_word_scores(
    windows: Sequence[Window], token_scores: Sequence[np.ndarray], n_words: Sequence[int]
) -> list[np.ndarray]:
    """Per unit, a (n_words, n_labels) array: each word's first-sub-word scores from its owner window."""
    n_labels = token_scores[0].shape[-1] if len(token_scores) else 0
    out = [np.zeros((n, n_labels), dtype=np.float32) for n in n_words]
    for window, scores in zip(windows, token_scores, strict=True):
        lo, hi = window.owned
        previous = None
        for position, w in enumerate(window.word_ids):
            if w is not None and w != previous and lo <= w < hi:
                out[window.unit_index][w] = scores[position]
            previous = w
    return out


def pool_unit_scores(windows: Sequence[Window], window_scores: Sequence[np.ndarray], n_units: int) -> np.ndarray:
    """Per unit, the mean of its windows' sequence-level scores (stance of a long sentence)."""
    n_labels = window_scores[0].shape[-1] if len(window_scores) else 0
    sums = np.zeros((n_units, n_labels), dtype=np.float64)
    counts = np.zeros(n_units, dtype=np.int64)
    for window, scores in zip(windows, window_scores, strict=True):
        sums[window.unit_index] += scores
        counts[window.unit_index] += 1
    return (sums / np.maximum(counts, 1)[:, None]).astype(np.float32)
