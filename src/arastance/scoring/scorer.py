"""Pure scoring functions: entity-level NER scores (strict IOB2 and conlleval), nervaluate's
partial-match scores, and stance classification scores.

Nothing here reads files or prints; `arastance.scoring.cli` does that. Every function validates its
input and raises ValueError with a message that names the offending sentence/line, and no function
ever returns NaN: an undefined ratio (0/0) is reported as 0.0, which is what conlleval.pl prints and
what seqeval/sklearn give with ``zero_division=0``.

Entity extraction is delegated to seqeval (the reference implementation everyone compares against);
the arithmetic on top of it is done here, because seqeval's own averaging crashes or yields NaN on
inputs we must support (see `_entity_spans` and `score_sequences`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
from nervaluate import Evaluator
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import IOB2, Entities

Mode = Literal["strict", "conlleval"]
MODES: tuple[str, ...] = ("strict", "conlleval")
NERVALUATE_STRATEGIES: tuple[str, ...] = ("strict", "exact", "partial", "ent_type")
STANCE_EVAL_CLASSES: tuple[str, str] = ("PRO_STAY", "PRO_WITHDRAWAL")

# (sentence index, entity type, start, end exclusive)
_Span = tuple[int, str, int, int]

# IOB2 only: "O", or "B-"/"I-" + a type that has no whitespace and does not start or end with "-".
# E-/S- (IOBES) are rejected because conlleval.pl and seqeval disagree on them, and the project's
# tag set (schema.iob_tags) never produces them. The "-" rule exists because seqeval strict strips
# dashes from the type ("B-PER-" -> "PER") while its default mode keeps them ("PER-"), so such a tag
# would silently score differently in the two modes.
_TAG_RE = re.compile(r"O|[BI]-[^\s-](?:\S*[^\s-])?")  # used with fullmatch


# --------------------------------------------------------------------------------------------------
# CoNLL reading


class ConllFormatError(ValueError):
    """A malformed CoNLL line; `line` is 1-based so the CLI can point at it."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def read_conll(text: str) -> list[list[tuple[str, str, str]]]:
    """Parse ``token gold pred`` lines into sentences of (token, gold, pred).

    Columns are separated by any run of spaces/tabs. Blank lines separate sentences; runs of blank
    lines never produce empty sentences. A ``-DOCSTART-`` line is dropped and also closes the current
    sentence, so an entity can never run across a document boundary (conlleval.pl gets the same
    effect because the line's O tags end any open chunk).
    """
    sentences: list[list[tuple[str, str, str]]] = []
    current: list[tuple[str, str, str]] = []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0] == "-DOCSTART-":
            if current:
                sentences.append(current)
                current = []
            continue
        if len(fields) != 3:
            raise ConllFormatError(
                number, f"expected 3 columns (token gold pred), found {len(fields)}: {line.strip()!r}"
            )
        token, gold, pred = fields
        for column, tag in (("gold", gold), ("predicted", pred)):
            if not _TAG_RE.fullmatch(tag):
                raise ConllFormatError(number, f"{column} tag {tag!r} is not an IOB2 tag (O, B-TYPE or I-TYPE)")
        current.append((token, gold, pred))
    if current:
        sentences.append(current)
    return sentences


# --------------------------------------------------------------------------------------------------
# Entity-level NER scores


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")


def _check_tags(sequences: Sequence[Sequence[str]], side: str) -> None:
    for s, sentence in enumerate(sequences):
        for t, tag in enumerate(sentence):
            if not isinstance(tag, str) or not _TAG_RE.fullmatch(tag):
                raise ValueError(
                    f"{side} sentence {s}, token {t}: tag {tag!r} is not an IOB2 tag (O, B-TYPE or I-TYPE)"
                )


def _check_aligned(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> None:
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} sentences but predictions have {len(pred)}")
    for s, (g, p) in enumerate(zip(gold, pred, strict=True)):
        if len(g) != len(p):
            raise ValueError(f"sentence {s}: gold has {len(g)} tags but predictions have {len(p)}")
    _check_tags(gold, "gold")
    _check_tags(pred, "predicted")


def _entity_spans(sequences: Sequence[Sequence[str]], mode: str) -> set[_Span]:
    """Entities of already-validated IOB2 sequences, as (sentence, type, start, end-exclusive).

    strict: seqeval's `Entities(..., IOB2)` (what ``mode="strict", scheme=IOB2`` uses): an entity is
    a B-X followed by its maximal run of I-X; an I- that does not continue a B-/I- of the same type
    belongs to no entity. Called directly rather than through seqeval's metric functions because
    those raise TypeError on an empty corpus, return NaN macro averages when there are no entities,
    crash in `classification_report` (``max()`` of an empty label list, or scheme auto-detection on
    all-O input), and `f1_score`/`precision_score`/`recall_score` silently fall back to non-strict
    chunking when ``mode="strict"`` is passed without ``scheme``. Malformed tags make `Entities`
    raise KeyError/IndexError rather than ValueError, hence our own `_TAG_RE` check first. seqeval's strict end
    offset is exclusive.

    conlleval: seqeval's `get_entities`, whose `start_of_chunk`/`end_of_chunk` are a transcription
    of conlleval.pl's startOfChunk/endOfChunk. For B-/I-/O tags (all that `_TAG_RE` admits) they
    agree rule for rule: a chunk starts at any B-, at an I- after O, and at any tag whose type
    differs from the previous one; it ends before a B- or O and before a type change. Hence
    "O I-PER I-PER" is one PER chunk and "B-PER I-LOC" is PER then LOC. The two differ only on
    tags we reject: seqeval adds S-/E- (IOBES) rules that conlleval.pl lacks, conlleval.pl has
    "[", "]" and "." rules, and seqeval silently turns a prefix-less tag like "PER" into type "ER".
    It is called per sentence so that a sentence break ends every chunk, as conlleval.pl's blank
    line (read as an O token) does. Its end offset is inclusive; +1 makes it exclusive.
    """
    if mode == "strict":
        return {
            (entity.sent_id, entity.tag, entity.start, entity.end)
            for sentence in Entities([list(s) for s in sequences], IOB2).entities
            for entity in sentence
        }
    return {
        (s, label, start, end + 1)
        for s, sentence in enumerate(sequences)
        for label, start, end in get_entities(list(sentence))
    }


def entity_spans(tags: Sequence[str], mode: Mode = "strict") -> list[dict[str, Any]]:
    """One sentence's entities as nervaluate-style dicts ``{"label", "start", "end"}`` (end inclusive,
    as nervaluate counts it), in sentence order. Bridges CoNLL tags to `partial_match_scores`."""
    _check_mode(mode)
    _check_tags([tags], "input")
    spans = sorted(_entity_spans([tags], mode), key=lambda span: (span[2], span[3]))
    return [{"label": label, "start": start, "end": end - 1} for _, label, start, end in spans]


def _prf(correct: float, predicted: float, gold: float) -> dict[str, float]:
    """Precision/recall/F1 with 0/0 := 0 (conlleval.pl's and seqeval ``zero_division=0``'s choice)."""
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1)}


def score_sequences(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], mode: Mode = "strict"
) -> dict[str, Any]:
    """Entity-level precision/recall/F1 for IOB2 tag sequences (one inner list per sentence).

    Returns ``{"mode", "labels": {LABEL: {precision, recall, f1, support}}, "micro", "macro",
    "weighted"}`` where support is the number of gold entities. Labels are every entity type found in
    gold *or* predictions, sorted; a type only predicted is listed with support 0 (and precision 0).

    - micro: from the summed counts (conlleval.pl's "overall" line).
    - macro: unweighted mean of the per-label precision, recall and F1 over *all listed labels*,
      i.e. those with support > 0 or with predictions. This is seqeval's (and sklearn's) convention,
      so a spurious type drags macro down. With no labels at all it is 0.
    - weighted: per-label values averaged with support as weight; predicted-only types weigh 0.
      With no gold entities it is 0 (seqeval returns the same with ``zero_division=0``).
    The averages' "support" is the total number of gold entities, as in seqeval's report.
    """
    _check_mode(mode)
    _check_aligned(gold, pred)
    gold_spans = _entity_spans(gold, mode)
    pred_spans = _entity_spans(pred, mode)

    n_gold = Counter(span[1] for span in gold_spans)
    n_pred = Counter(span[1] for span in pred_spans)
    n_correct = Counter(span[1] for span in gold_spans & pred_spans)
    labels = sorted(n_gold.keys() | n_pred.keys())
    per_label = {
        label: {**_prf(n_correct[label], n_pred[label], n_gold[label]), "support": n_gold[label]} for label in labels
    }
    total = len(gold_spans)
    micro = {**_prf(len(gold_spans & pred_spans), len(pred_spans), total), "support": total}

    metrics = ("precision", "recall", "f1")
    macro = {m: float(np.mean([per_label[lab][m] for lab in labels])) if labels else 0.0 for m in metrics}
    weighted = {m: (sum(per_label[lab][m] * n_gold[lab] for lab in labels) / total) if total else 0.0 for m in metrics}
    return {
        "mode": mode,
        "labels": per_label,
        "micro": micro,
        "macro": {**macro, "support": total},
        "weighted": {**{m: float(v) for m, v in weighted.items()}, "support": total},
    }


# --------------------------------------------------------------------------------------------------
# nervaluate partial-match scores


def _nervaluate_row(result: Any) -> dict[str, float | int]:
    return {
        "precision": float(result.precision),
        "recall": float(result.recall),
        "f1": float(result.f1),
        "correct": int(result.correct),
        "incorrect": int(result.incorrect),
        "partial": int(result.partial),
        "missed": int(result.missed),
        "spurious": int(result.spurious),
        "possible": int(result.possible),
        "actual": int(result.actual),
    }


def _zero_row() -> dict[str, float | int]:
    row: dict[str, float | int] = {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    row.update(dict.fromkeys(("correct", "incorrect", "partial", "missed", "spurious", "possible", "actual"), 0))
    return row


def _check_span_docs(docs: Sequence[Sequence[Mapping[str, Any]]], side: str) -> None:
    for d, doc in enumerate(docs):
        for e, span in enumerate(doc):
            where = f"{side} document {d}, entity {e}"
            if not isinstance(span, Mapping) or not {"label", "start", "end"} <= span.keys():
                raise ValueError(f"{where}: expected a dict with label, start and end, got {span!r}")
            start, end = span["start"], span["end"]
            if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or start > end:
                raise ValueError(f"{where}: start/end must be integers with start <= end, got {start!r}..{end!r}")


def _plain(docs: Sequence[Sequence[Mapping[str, Any]]]) -> list[list[dict[str, Any]]]:
    # nervaluate's dict loader wants real lists of real dicts.
    return [[dict(span) for span in doc] for doc in docs]


def partial_match_scores(
    gold_spans: Sequence[Sequence[Mapping[str, Any]]],
    pred_spans: Sequence[Sequence[Mapping[str, Any]]],
    labels: Iterable[str],
) -> dict[str, Any]:
    """nervaluate (1.x) scores: ``{"overall": {strategy: row}, "per_label": {label: {strategy: row}}}``.

    Strategies (SemEval-2013 9.1): strict (same boundaries and type), exact (same boundaries, any
    type), partial (any overlap, any type; a partial counts 0.5), ent_type (overlap + same type).
    Each row holds precision/recall/f1 and nervaluate's counts (correct, incorrect, partial, missed,
    spurious, possible, actual). Spans are per document; ``end`` is *inclusive* (nervaluate measures
    overlap as end - start + 1). Entities whose label is not in `labels` are ignored on both sides,
    as nervaluate does. Every requested label and strategy is present, zero-filled, because
    nervaluate itself omits unused labels and returns no strategies at all for an empty corpus.
    """
    tags = sorted(set(labels))
    if len(gold_spans) != len(pred_spans):
        raise ValueError(f"gold has {len(gold_spans)} documents but predictions have {len(pred_spans)}")
    _check_span_docs(gold_spans, "gold")
    _check_span_docs(pred_spans, "predicted")

    overall = {strategy: _zero_row() for strategy in NERVALUATE_STRATEGIES}
    per_label = {tag: {strategy: _zero_row() for strategy in NERVALUATE_STRATEGIES} for tag in tags}
    if gold_spans and tags:
        # loader="dict" explicitly: nervaluate's auto-detection indexes true[0][0] and so raises
        # IndexError/ValueError when the first document has no entities.
        results = Evaluator(_plain(gold_spans), _plain(pred_spans), tags=tags, loader="dict").evaluate()
        for strategy, result in results["overall"].items():
            overall[strategy] = _nervaluate_row(result)
        for label, strategies in results["entities"].items():
            for strategy, result in strategies.items():
                per_label[label][strategy] = _nervaluate_row(result)
    return {"overall": overall, "per_label": per_label}


# --------------------------------------------------------------------------------------------------
# Stance classification scores


def classification_scores(gold: Sequence[str], pred: Sequence[str], classes: Sequence[str]) -> dict[str, Any]:
    """Per-class precision/recall/F1, macro F1, accuracy and the confusion matrix (numpy only).

    ``macro_f1`` is the unweighted mean F1 over *all* `classes`, including classes absent from both
    gold and predictions (they score 0) — as sklearn's ``f1_score(labels=classes, average="macro")``.
    ``stance_eval_f1`` (SemEval-2016 Task 6 style: mean F1 of the two stance-bearing classes, NONE
    excluded) is present only when both PRO_STAY and PRO_WITHDRAWAL are among `classes`.
    Confusion-matrix rows are gold, columns predictions, both in `classes` order. 0/0 := 0.
    """
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} items but predictions have {len(pred)}")
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes contain duplicates: {list(classes)}")
    index = {label: i for i, label in enumerate(classes)}
    unknown = sorted({*gold, *pred} - index.keys(), key=str)
    if unknown:
        raise ValueError(f"labels not among classes {list(classes)}: {unknown}")

    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    if gold:
        np.add.at(matrix, (np.array([index[g] for g in gold]), np.array([index[p] for p in pred])), 1)
    correct = np.diag(matrix)
    predicted = matrix.sum(axis=0)
    support = matrix.sum(axis=1)

    per_label = {
        label: {**_prf(int(correct[i]), int(predicted[i]), int(support[i])), "support": int(support[i])}
        for i, label in enumerate(classes)
    }
    scores: dict[str, Any] = {
        "per_label": per_label,
        "macro_f1": float(np.mean([row["f1"] for row in per_label.values()])) if classes else 0.0,
    }
    if all(label in index for label in STANCE_EVAL_CLASSES):
        scores["stance_eval_f1"] = float(np.mean([per_label[label]["f1"] for label in STANCE_EVAL_CLASSES]))
    scores["accuracy"] = float(correct.sum() / len(gold)) if gold else 0.0
    scores["confusion_matrix"] = {"labels": list(classes), "matrix": matrix.tolist()}
    return scores
