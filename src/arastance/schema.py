"""The label schema, loaded from annotations/schema.yaml (the single source of truth)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from arastance.errors import UserError
from arastance.paths import missing_repository_file, schema_path
from arastance.tasks import get_task


class SchemaError(UserError, ValueError):
    """The schema file itself is malformed."""


@dataclass(frozen=True)
class Schema:
    version: str
    entity_labels: tuple[str, ...]
    stance_classes: tuple[str, ...]
    document_stance_classes: tuple[str, ...]
    stance_target: str
    approximators: tuple[str, ...]
    vague_numbers: dict[str, int]
    number_words: dict[str, int]
    definitions: dict[str, str]

    @property
    def iob_tags(self) -> tuple[str, ...]:
        """O first, then B-/I- per entity label in schema order (stable ids across versions)."""
        tags = ["O"]
        for label in self.entity_labels:
            tags += [f"B-{label}", f"I-{label}"]
        return tuple(tags)

    def with_entity_labels(self, labels: tuple[str, ...]) -> Schema:
        """The same schema with other entity labels (a corpus's own, see corpus/external.py native_schema)."""
        return replace(self, entity_labels=labels)

    def id2label(self, task: str) -> dict[int, str]:
        return dict(enumerate(get_task(task).model_labels(self)))

    def label2id(self, task: str) -> dict[str, int]:
        return {label: i for i, label in self.id2label(task).items()}


def parse_schema(raw: dict[str, Any], source: str = "schema.yaml") -> Schema:
    try:
        entities = raw["entities"]
        stance = raw["stance"]
        quantity = raw.get("quantity", {})
        definitions = {e["label"]: e["definition"] for e in entities}
        definitions.update({c["label"]: c["definition"] for c in stance["classes"]})
        return Schema(
            version=str(raw["version"]),
            entity_labels=tuple(e["label"] for e in entities),
            stance_classes=tuple(c["label"] for c in stance["classes"]),
            document_stance_classes=tuple(stance.get("document_classes") or [c["label"] for c in stance["classes"]]),
            stance_target=str(stance["target"]).strip(),
            approximators=tuple(quantity.get("approximators", ())),
            vague_numbers={str(k): int(v) for k, v in (quantity.get("vague_numbers") or {}).items()},
            number_words={str(k): int(v) for k, v in (quantity.get("number_words") or {}).items()},
            definitions=definitions,
        )
    except (KeyError, TypeError, ValueError) as err:
        raise SchemaError(f"{source}: malformed schema ({type(err).__name__}: {err})") from err


def load_schema(path: Path | None = None) -> Schema:
    path = Path(path) if path else schema_path()
    return _load_schema_cached(str(path.resolve()))


@lru_cache(maxsize=8)
def _load_schema_cached(path: str) -> Schema:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:  # most often a run outside the repository, where ARASTANCE_ROOT helps
        raise SchemaError(missing_repository_file(Path(path))) from None
    except (OSError, yaml.YAMLError) as err:
        raise SchemaError(f"{path}: cannot read schema: {err}") from err
    if not isinstance(raw, dict):
        raise SchemaError(f"{path}: schema must be a mapping")
    return parse_schema(raw, source=path)
