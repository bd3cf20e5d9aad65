"""Gold documents → document-level splits → units for one task, plus the extra training records.

Splits are by document only: a sentence never sits on both sides of a split. Extra records
(`data.extra_records`, converted public corpora) only ever join a split's training side: dev and
held-out data stay gold documents, so every score is a score on the gold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arastance.corpus.external import native_schema
from arastance.corpus.records import read_extra_records, with_word_offsets
from arastance.errors import UserError
from arastance.gold.convert import sentence_records
from arastance.gold.model import GoldDocument
from arastance.gold.validate import validate_path
from arastance.phases import timed_phase
from arastance.schema import Schema
from arastance.settings import DataSettings


@dataclass(frozen=True)
class Split:
    # The cross-validation fold; None for the one split of data=fixed or external. Its name (and
    # folder) is the run folder's business: runs.layout.split_name.
    fold: int | None
    train: tuple[str, ...]
    dev: tuple[str, ...]
    test: tuple[str, ...]


@timed_phase("data")
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
        splits.append(Split(int(k), train, dev, test))
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
    return Split(None, tuple(train), tuple(dev), tuple(test))


def external_split(doc_ids: Sequence[str]) -> Split:
    """Train on the extra records only and test on every gold document (stage 1 of the two-stage recipe).

    A single split (no fold): its files sit in the run folder itself (RUN/best/).
    """
    return Split(None, (), (), tuple(sorted(doc_ids)))


def splits_from_config(data_cfg: Any, doc_ids: Sequence[str]) -> list[Split]:
    """The splits of checked data settings (settings.py refuses an unknown split and data=external
    without extra records before any work); what needs the gold to check is checked here."""
    if data_cfg.split == "cv":
        return cv_splits(doc_ids, int(data_cfg.dev_docs), data_cfg.folds)
    if data_cfg.split == "fixed":
        return [fixed_split(doc_ids, data_cfg.train_docs or [], data_cfg.dev_docs_ids or [], data_cfg.test_docs or [])]
    # On a corpus's own labels the gold (our schema) cannot be scored: nothing of it is held out.
    return [external_split(() if data_cfg.labels else doc_ids)]


def run_schema(schema: Schema, data_cfg: DataSettings) -> Schema:
    """The labels a run trains and scores on: the gold schema, or with data.labels a corpus's own types
    (settings.py has checked, before any work, that such a run is NER on that corpus alone)."""
    return native_schema(schema, Path(data_cfg.labels)) if data_cfg.labels else schema


def records_for(docs: Sequence[GoldDocument], doc_ids: Sequence[str]) -> list[dict[str, Any]]:
    wanted = set(doc_ids)
    return [r for doc in docs if doc.doc_id in wanted for r in sentence_records(doc)]


def load_extra_records(data_cfg: DataSettings, schema: Schema, gold_doc_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The records of data.extra_records, read before any training starts ([] when none are given); the
    settings (task=ner only, extra_ratio) were checked by settings.py."""
    files = list(data_cfg.extra_records or ())
    if not files:
        return []
    records = read_extra_records(files, schema, frozenset(gold_doc_ids))
    if data_cfg.partial_labels and not any(r.get("unannotated") for r in records):
        raise UserError(
            f"data.partial_labels=true, but no record of {', '.join(files)} names `unannotated` labels, so "
            "every O stays O: convert the corpus with a label map that lists them (`unannotated:` in "
            "configs/corpus/NAME.yaml) or drop data.partial_labels"
        )
    return records


def extra_for_split(
    records: Sequence[dict[str, Any]], gold_sentences: int, ratio: float | None, seed: int, split_name: str
) -> list[dict[str, Any]]:
    """The extra records one split trains on, with offsets: all of them, or with `ratio` a sample of
    round(ratio × gold_sentences) drawn without replacement, the same for the same seed and split."""
    import random

    chosen = list(records)
    if ratio is not None and round(float(ratio) * gold_sentences) < len(chosen):
        # Seeded by split name as well: folds differ in their gold, and so may their sample.
        rng = random.Random(f"{seed}:{split_name}")
        picked = sorted(rng.sample(range(len(chosen)), round(float(ratio) * gold_sentences)))
        chosen = [chosen[i] for i in picked]
    return [with_word_offsets(r) for r in chosen]
