"""Gold documents → document-level splits → units for one task.

Splits are by document only: a sentence never sits on both sides of a split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arastance.errors import UserError
from arastance.gold.convert import sentence_records
from arastance.gold.model import GoldDocument
from arastance.gold.validate import validate_path
from arastance.schema import Schema


@dataclass(frozen=True)
class Split:
    name: str  # "fold-0" … or "fixed"
    train: tuple[str, ...]
    dev: tuple[str, ...]
    test: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "train": list(self.train), "dev": list(self.dev), "test": list(self.test)}


def load_gold(gold_dir: str | Path, documents_dir: str | Path, schema: Schema) -> list[GoldDocument]:
    """The validated gold; invalid gold is refused with every problem listed (training on it would lie)."""
    report = validate_path(Path(gold_dir), schema, Path(documents_dir))
    if report.problems:
        listed = "\n  ".join(str(p) for p in report.problems[:20])
        more = f"\n  … and {len(report.problems) - 20} more" if len(report.problems) > 20 else ""
        raise UserError(f"the gold in {gold_dir} is not valid (run `make validate`):\n  {listed}{more}")
    docs = [item.doc for item in report.documents]
    if not docs:
        raise UserError(f"no gold documents in {gold_dir}")
    return sorted(docs, key=lambda d: d.doc_id)


def cv_splits(doc_ids: Sequence[str], dev_docs: int, folds: Sequence[int] | None = None) -> list[Split]:
    """Leave-one-document-out: fold k tests document k; dev = the next `dev_docs` documents cyclically."""
    ids = sorted(doc_ids)
    n = len(ids)
    if n < 2 + dev_docs:
        raise UserError(f"cross-validation needs at least {2 + dev_docs} documents, found {n}")
    wanted = range(n) if folds is None else folds
    splits = []
    for k in wanted:
        if not 0 <= int(k) < n:
            raise UserError(f"data.folds: fold {k} does not exist (0..{n - 1})")
        dev = tuple(ids[(int(k) + 1 + j) % n] for j in range(dev_docs))
        test = (ids[int(k)],)
        train = tuple(d for d in ids if d not in dev and d not in test)
        splits.append(Split(f"fold-{int(k)}", train, dev, test))
    return splits


def fixed_split(doc_ids: Sequence[str], train: Sequence[str], dev: Sequence[str], test: Sequence[str]) -> Split:
    known = set(doc_ids)
    for side, ids in (("train_docs", train), ("dev_docs_ids", dev), ("test_docs", test)):
        unknown = [d for d in ids if d not in known]
        if unknown:
            raise UserError(f"data.{side}: unknown document id(s) {unknown}; known: {sorted(known)}")
    overlap = (set(train) & set(test)) | (set(train) & set(dev)) | (set(dev) & set(test))
    if overlap:
        raise UserError(f"data: documents on more than one side of the split: {sorted(overlap)}")
    return Split("fixed", tuple(train), tuple(dev), tuple(test))


def splits_from_config(data_cfg: Any, doc_ids: Sequence[str]) -> list[Split]:
    if data_cfg.split == "cv":
        return cv_splits(doc_ids, int(data_cfg.dev_docs), data_cfg.folds)
    if data_cfg.split == "fixed":
        return [fixed_split(doc_ids, data_cfg.train_docs or [], data_cfg.dev_docs_ids or [], data_cfg.test_docs or [])]
    raise UserError(f"data.split must be cv or fixed, got {data_cfg.split!r}")


def records_for(docs: Sequence[GoldDocument], doc_ids: Sequence[str]) -> list[dict[str, Any]]:
    wanted = set(doc_ids)
    return [r for doc in docs if doc.doc_id in wanted for r in sentence_records(doc)]
