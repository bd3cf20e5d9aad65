"""What differs between the two tasks, in one place; the stages share every piece of machinery.

A task is named by `configs/task/<name>.yaml` (`task.name`). NER labels each word (token
classification over the schema's IOB2 tags, scored as entities); stance labels each sentence
(sequence classification over the schema's stance classes). Everything a stage needs to know about
that difference is a field here, so the stages read `spec.per_word` or `spec.headline` instead of
comparing task names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from arastance.errors import UserError


class _LabelSource(Protocol):
    """What the task needs of the schema (arastance.schema.Schema, which imports this module)."""

    @property
    def entity_labels(self) -> tuple[str, ...]: ...

    @property
    def stance_classes(self) -> tuple[str, ...]: ...

    @property
    def iob_tags(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class TaskSpec:
    name: str
    # One label per word (and per sub-word token in the model), or one label per sentence.
    per_word: bool
    # The transformers Auto class of the model head.
    model_class: str
    # The headline score: its key in the task's metrics block, the path of its confidence interval
    # in the report's "ci" block, and how people call it.
    headline: str
    headline_ci: tuple[str, ...]
    headline_name: str
    # Hub model-index metrics for the model card.
    card_metrics: tuple[str, ...]
    # What one scored item is, for tables ("entities", "sentences").
    scored_unit: str
    # The scores `task.metric` may name (early stopping, best/): keys of the task's metrics block that
    # a run has (stance's stance_eval_f1 needs the schema's PRO_STAY and PRO_WITHDRAWAL, as shipped).
    dev_metrics: tuple[str, ...]

    def labels(self, schema: _LabelSource) -> tuple[str, ...]:
        """The labels scores are reported for: entity types (NER) or stance classes."""
        return schema.entity_labels if self.per_word else schema.stance_classes

    def model_labels(self, schema: _LabelSource) -> tuple[str, ...]:
        """The classifier's output labels: IOB2 tags (NER) or stance classes."""
        return schema.iob_tags if self.per_word else schema.stance_classes

    def headline_value(self, block: dict[str, Any]) -> float:
        return float(block[self.headline])


NER = TaskSpec(
    name="ner",
    per_word=True,
    model_class="AutoModelForTokenClassification",
    headline="micro_f1",
    headline_ci=("micro", "f1"),
    headline_name="micro-F1",
    card_metrics=("f1", "precision", "recall"),
    scored_unit="entities",
    dev_metrics=("micro_f1",),
)
STANCE = TaskSpec(
    name="stance",
    per_word=False,
    model_class="AutoModelForSequenceClassification",
    headline="macro_f1",
    headline_ci=("macro_f1",),
    headline_name="macro-F1",
    card_metrics=("f1", "accuracy"),
    scored_unit="sentences",
    dev_metrics=("macro_f1", "accuracy", "stance_eval_f1"),
)
TASKS: dict[str, TaskSpec] = {spec.name: spec for spec in (NER, STANCE)}


def get_task(name: str) -> TaskSpec:
    try:
        return TASKS[str(name)]
    except KeyError:
        raise UserError(f"unknown task {name!r}; known tasks: {', '.join(TASKS)} (configs/task/*.yaml)") from None


def task_of_architecture(architecture: str) -> TaskSpec:
    """The task whose head a saved model's `architectures[0]` names (e.g. BertForTokenClassification)."""
    for spec in TASKS.values():
        if architecture.endswith(spec.model_class.removeprefix("AutoModel")):
            return spec
    raise UserError(f"model architecture {architecture!r} is neither token nor sequence classification")
