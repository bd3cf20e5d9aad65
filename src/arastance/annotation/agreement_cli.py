"""`arastance agreement A B`: inter-annotator agreement between two gold folders, and every disagreement.

scripts/agreement.sh runs it on annotations/double/ to rebuild the figures of annotations/adjudication.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from arastance.annotation.agreement import compare, summary_line
from arastance.annotation.cli import list_problems
from arastance.errors import UserError
from arastance.gold.io import read_gold_dir
from arastance.gold.model import GoldDocument
from arastance.paths import documents_dir


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "agreement",
        help="inter-annotator agreement between two gold folders",
        description=(
            "Entity F1 (exact span + label, QUANTITY attributes too), sentence stance agreement and Cohen's "
            "kappa, document stances; one tab-separated line per disagreement, then the figures."
        ),
    )
    p.add_argument("a", type=Path, help="gold folder of annotator A (standoff <doc_id>.json files)")
    p.add_argument("b", type=Path, help="gold folder of annotator B")
    p.add_argument("--documents", type=Path, help="folder of <doc_id>.txt texts (default: annotations/documents/)")
    p.set_defaults(func=cmd_agreement)


def load_side(folder: Path, documents: Path) -> dict[str, GoldDocument]:
    """{doc_id: document} of one annotator's folder; any unreadable file refuses the comparison."""
    result = read_gold_dir(folder, documents)
    if result.problems:
        raise UserError(
            f"{folder} cannot be compared ({len(result.problems)} problems):\n{list_problems(result.problems)}"
        )
    return {item.doc.doc_id: item.doc for item in result.documents}


def cmd_agreement(args: argparse.Namespace) -> int:
    documents = args.documents or documents_dir()
    a_docs, b_docs = load_side(args.a, documents), load_side(args.b, documents)
    if not set(a_docs) & set(b_docs):
        # Agreement over nothing would print F1 1.000: refused, with what each side holds.
        raise UserError(
            f"{args.a} ({len(a_docs)} documents) and {args.b} ({len(b_docs)} documents) have no document in common; "
            "nothing to compare"
        )
    for folder, own, other in ((args.a, a_docs, b_docs), (args.b, b_docs, a_docs)):
        alone = sorted(set(own) - set(other))
        if alone:
            print(f"arastance agreement: not compared, only in {folder}: {', '.join(alone)}", file=sys.stderr)
    figures, lines = compare(a_docs, b_docs)
    for line in lines:
        print(line)
    print(f"\n{summary_line(figures)}")
    return 0
