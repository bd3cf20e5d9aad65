"""What a hyper-parameter search maximises: the best dev score of each split, averaged over splits.

A fold's dev documents are never its held-out (test) document, and the held-out scores are never
looked at, so the search cannot fit the test side of any fold. Selection is still optimistic for a
cross-validated score on the same documents (every document is some fold's dev): README "Seeds and
sweeps" explains the nested variant (configs/hparams_search/*_nested.yaml, data.outer_fold).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from arastance.errors import UserError
from arastance.runs.layout import RunDir

Doc = TypeVar("Doc")


def dev_objective(fold_finals: Sequence[Mapping[str, Any]]) -> float | None:
    """Mean of the splits' `final.best_dev`; None when a split had no dev documents (data.dev_docs=0)."""
    values: list[Any] = [final.get("best_dev") for final in fold_finals]
    if not values or any(v is None for v in values):
        return None
    return float(np.mean([float(v) for v in values]))


def run_dev_objective(run: RunDir) -> float | None:
    """dev_objective of a finished run folder (its splits' metrics.json)."""
    return dev_objective([split.read_metrics().get("final", {}) for split in run.splits() if split.is_finished()])


def require_objective(value: float | None, run: RunDir) -> float:
    """A search needs a dev score from every split: a run without one is a configuration error."""
    if value is None:
        raise UserError(
            f"{run.path}: no dev score to optimise (a split without dev documents); a search needs "
            "data.dev_docs >= 1 (cross-validation) or data.dev_docs_ids (data=fixed)"
        )
    return value


def without_outer_fold(docs: Sequence[Doc], outer_fold: int | None) -> list[Doc]:
    """The documents an inner search may see: all but the test document of outer CV fold K (fold K
    of the ordinary cross-validation tests document K), so the search never touches it."""
    if outer_fold is None:
        return list(docs)
    if not 0 <= outer_fold < len(docs):
        raise UserError(f"data.outer_fold: fold {outer_fold} does not exist (0..{len(docs) - 1})")
    return [doc for index, doc in enumerate(docs) if index != outer_fold]
