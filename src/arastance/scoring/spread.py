"""Fold spread: each label's mean ± std over cross-validation folds, and the headline's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def _mean_std(values: Sequence[float]) -> dict[str, float]:
    return {"mean": float(np.mean(values)) if values else 0.0, "std": float(np.std(values)) if values else 0.0}


def fold_spread(
    per_label: Sequence[Mapping[str, Mapping[str, float]]], key: str, headline: Sequence[float]
) -> dict[str, Any]:
    """A fold whose test document has no gold mention of a label says nothing about that label, so it
    is left out of the label's mean (n_folds says how many folds count)."""
    labels = sorted({label for fold in per_label for label in fold})
    table = {}
    for label in labels:
        values = [fold[label][key] for fold in per_label if label in fold and fold[label].get("support", 0) > 0]
        table[label] = {**_mean_std(values), "n_folds": len(values)}
    values = [float(v) for v in headline]
    return {"per_label": table, "headline": {**_mean_std(values), "values": values}}
