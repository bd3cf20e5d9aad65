"""`arastance score FILE.conll`: entity-level NER scores of a ``token gold pred`` CoNLL file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from arastance.errors import UserError, read_input_text
from arastance.scoring.scorer import MODES, ConllFormatError, read_conll, score_sequences

_AVERAGES = ("micro", "macro", "weighted")


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "score",
        help="entity-level precision/recall/F1 of a CoNLL file (token gold pred)",
        description=(
            "Score a CoNLL file whose lines are `token gold pred` (space or tab separated, blank line "
            "between sentences, -DOCSTART- lines ignored). strict: seqeval strict IOB2 (an I- that does "
            "not continue a B-/I- of its type is no entity); conlleval: conlleval.pl chunking (such an "
            "I- starts an entity)."
        ),
    )
    parser.add_argument("file", metavar="FILE.conll", type=Path, help="CoNLL file to score")
    parser.add_argument("--mode", choices=MODES, default="strict", help="entity definition (default: strict)")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON instead of a table")
    parser.set_defaults(func=run)


def load_conll(path: Path) -> tuple[list[list[str]], list[list[str]]]:
    """Gold and predicted tag sequences of a CoNLL file; every failure is a UserError naming the file."""
    text = read_input_text(path)
    try:
        sentences = read_conll(text)
    except ConllFormatError as err:
        raise UserError(f"{path}: {err}") from None
    if not sentences:
        # Zeros for a file with no tokens would read as a model that found nothing.
        what = "empty" if not text.strip() else "only blank and -DOCSTART- lines"
        raise UserError(f"{path}: {what}, no `token gold pred` line to score")
    gold = [[g for _, g, _ in sentence] for sentence in sentences]
    pred = [[p for _, _, p in sentence] for sentence in sentences]
    return gold, pred


def format_table(scores: dict[str, Any], digits: int = 4) -> str:
    """Right-aligned table: one row per label, a rule, then the micro/macro/weighted rows."""
    header = ("label", "precision", "recall", "f1", "support")
    rows = [(label, row) for label, row in scores["labels"].items()]
    averages = [(name, scores[name]) for name in _AVERAGES]

    def cells(name: str, row: dict[str, Any]) -> tuple[str, ...]:
        return (name, *(f"{row[m]:.{digits}f}" for m in ("precision", "recall", "f1")), str(row["support"]))

    body = [cells(name, row) for name, row in rows]
    tail = [cells(name, row) for name, row in averages]
    widths = [max(len(r[i]) for r in [header, *body, *tail]) for i in range(len(header))]

    def line(r: tuple[str, ...]) -> str:
        return "  ".join([r[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True))])

    out = [f"mode: {scores['mode']}", line(header)]
    out += [line(r) for r in body] or ["(no entities in gold or predictions)"]
    out += ["-" * len(line(header))] + [line(r) for r in tail]
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    gold, pred = load_conll(args.file)
    scores = score_sequences(gold, pred, mode=args.mode)
    print(json.dumps(scores, indent=2, ensure_ascii=False) if args.json else format_table(scores))
    return 0
