"""What a saved model's config.json says: which task its head is for, and whether its labels are the schema's.

Publishing checks the folder it writes and prediction checks the folder it loads, both with these.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from arastance.errors import UserError
from arastance.schema import Schema
from arastance.tasks import TaskSpec, task_of_architecture


def model_task(model_config: dict[str, Any], folder: Path) -> str:
    """The task whose head the saved model's config.json names."""
    architectures = [str(a) for a in model_config.get("architectures") or []]
    for architecture in architectures:
        try:
            return task_of_architecture(architecture).name
        except UserError:
            continue
    raise UserError(f"{folder}: the model is neither a token nor a sequence classifier (architectures {architectures})")


def check_model_config(model_config: dict[str, Any], schema: Schema, spec: TaskSpec) -> None:
    """id2label/label2id must be the schema's for the task, and the head must fit the task."""
    task = spec.name
    expected = schema.id2label(task)
    raw = model_config.get("id2label") or {}
    try:
        got = {int(k): str(v) for k, v in raw.items()}
    except (TypeError, ValueError):
        got = {}
    if got != expected:
        missing = sorted(set(expected.values()) - set(got.values()))
        extra = sorted(set(got.values()) - set(expected.values()))
        detail = f"missing {missing}, unexpected {extra}" if missing or extra else "same labels, different ids"
        raise UserError(
            f"the model's config.json id2label does not match schema.yaml version {schema.version} for {task} "
            f"({detail}); was it trained with another schema? Retrain, or publish with the schema it was trained on."
        )
    label2id = {str(k): v for k, v in (model_config.get("label2id") or {}).items()}
    if label2id != {label: i for i, label in expected.items()}:
        raise UserError("the model's config.json label2id is not the inverse of its id2label")
    architectures = model_config.get("architectures") or []
    head = spec.model_class.removeprefix("AutoModel")
    if not any(str(a).endswith(head) for a in architectures):
        raise UserError(f"the model's architectures {architectures} are not a {task} head (*{head})")
