"""What a model card says, as data: `CardFacts`, gathered by publish.package; the card modules only format it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from arastance.schema import Schema
from arastance.settings import TrainerSettings

PIPELINE_TAG = {"ner": "token-classification", "stance": "text-classification"}
TASK_TAG = {"ner": "ner", "stance": "stance"}
TASK_TITLE = {"ner": "Named entity recognition", "stance": "Stance detection"}
DATASET_TYPE = "arastance-gold"


@dataclass(frozen=True)
class DocFacts:
    doc_id: str
    words: int
    sentences: int
    entities: int
    role: str  # what the published model did with it: train / dev / test / unused


@dataclass(frozen=True)
class ScoreRow:
    label: str
    precision: float | None
    recall: float | None
    f1: float | None
    f1_ci: tuple[float, float] | None
    support: int | None
    folds: tuple[float, float, int] | None  # F1 mean, std, number of folds with the label


@dataclass(frozen=True)
class Headline:
    name: str  # shown in the card
    metric_type: str  # Hub metric id: f1, precision, recall, accuracy
    value: float
    ci: tuple[float, float] | None


@dataclass(frozen=True)
class CardFacts:
    task: str
    model_name: str
    model_config_name: str  # configs/model/<name>.yaml of the run
    schema: Schema
    base_model: str | None  # hub id of the pre-trained model; None for the tiny random-init model
    tiny_spec: dict[str, Any] | None  # the tiny model's size, when it is the tiny model
    normalization: str
    max_length: int
    stride: int
    context: dict[str, Any]  # stance: title / previous sentence as second segment
    doc_aggregation: str | None
    doc_threshold: float | None
    is_cv: bool  # the scores come from cross-validation
    n_folds: int
    published_fold: str | None  # the fold whose model was published (CV run)
    split: dict[str, Any] | None  # the published model's own split (train/dev/test ids)
    scores_source: str  # human-readable: which file the scores come from
    scores_from_other_run: bool  # --scores-from: the scores are of a CV run with the same config
    rows: list[ScoreRow]
    headlines: list[Headline]
    has_ci: bool
    documents: list[DocFacts]
    trainer: TrainerSettings
    seed: int
    train_overrides: list[str] | None  # hydra overrides of the training command, when known
    repo_id: str | None
    own_test: dict[str, Any] | None = None  # the published fold model's scores on its own test document
    ci_confidence: float = 0.95
    baseline: str | None = None  # the report's baseline comparison, one sentence
    notes: list[str] = field(default_factory=list)
    extra_data: dict[str, Any] | None = None  # metrics.json `data` block when extra records were trained on
    first_stage: str | None = None  # the local model this one was fine-tuned from (two-stage recipe)
    # The published model on a corpus's own test split(s) (metrics.json `test_sets`): source → its block
    # (files, sentences, and `ner`/`ci` of this model), never mixed into the gold scores above.
    test_sets: dict[str, Any] = field(default_factory=dict)
