"""The gold as a Hugging Face dataset folder: `datasets.load_dataset(DIR)` / `load_dataset(DIR, "documents")`.

Two configurations, declared in the card's YAML `configs:` (the datasets library's standard way to
name data files per configuration), each one `train` split of parquet files whose schema carries the
features, so class names survive without the card:

- `sentences` (default): one row per gold sentence — doc_id, sentence_id, tokens, offsets (character
  offsets of each token in the document text), ner_tags (ClassLabel ids named by the schema's IOB2
  tags, in the order the models' id2label uses), stance (ClassLabel), holder ({start, end, text} or null).
  These are exactly the records training builds (`gold/convert.py` `sentence_records`).
- `documents`: one row per document with its text and the standoff annotations: doc_stance,
  entities ({start, end, label, text, value, unit, approximate}; QUANTITY attributes null elsewhere),
  sentences ({start, end, stance, holder}).

Labels come from annotations/schema.yaml; a label outside it fails while encoding, so the folder is
only written for valid gold. The folder is built beside `out` and renamed into place.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from arastance.gold.convert import to_records
from arastance.gold.model import GoldDocument
from arastance.schema import Schema
from arastance.writer import building_folder, copy_file, write_text

SPLIT = "train"  # the gold is evaluated by leave-one-document-out cross-validation, not a fixed split
CONFIGS = ("sentences", "documents")
DEFAULT_CONFIG = "sentences"


def data_file(config: str) -> str:
    return f"{config}/{SPLIT}-00000-of-00001.parquet"


def _list_of(feature: Any, length: int = -1) -> Any:
    import datasets

    # datasets >= 4 names list features `List` (Sequence is its deprecated alias); 3.x has only Sequence.
    list_type = getattr(datasets, "List", None) or datasets.Sequence
    return list_type(feature, length=length)


def _span() -> dict[str, Any]:
    import datasets

    return {"start": datasets.Value("int32"), "end": datasets.Value("int32"), "text": datasets.Value("string")}


def sentence_features(schema: Schema) -> Any:
    import datasets

    return datasets.Features(
        {
            "doc_id": datasets.Value("string"),
            "sentence_id": datasets.Value("int32"),
            "tokens": _list_of(datasets.Value("string")),
            "offsets": _list_of(_list_of(datasets.Value("int32"), length=2)),
            "ner_tags": _list_of(datasets.ClassLabel(names=list(schema.iob_tags))),
            "stance": datasets.ClassLabel(names=list(schema.stance_classes)),
            "holder": _span(),
        }
    )


def document_features(schema: Schema) -> Any:
    import datasets

    entity = {
        "start": datasets.Value("int32"),
        "end": datasets.Value("int32"),
        "label": datasets.ClassLabel(names=list(schema.entity_labels)),
        "text": datasets.Value("string"),
        "value": datasets.Value("float64"),
        "unit": datasets.Value("string"),
        "approximate": datasets.Value("bool"),
    }
    sentence = {
        "start": datasets.Value("int32"),
        "end": datasets.Value("int32"),
        "stance": datasets.ClassLabel(names=list(schema.stance_classes)),
        "holder": _span(),
    }
    return datasets.Features(
        {
            "doc_id": datasets.Value("string"),
            "text": datasets.Value("string"),
            "doc_stance": datasets.ClassLabel(names=list(schema.document_stance_classes)),
            "entities": _list_of(entity),
            "sentences": _list_of(sentence),
        }
    )


def sentence_rows(docs: Sequence[GoldDocument]) -> list[dict[str, Any]]:
    return to_records(docs)


def document_rows(docs: Sequence[GoldDocument]) -> list[dict[str, Any]]:
    rows = []
    for doc in docs:
        entities = sorted(doc.entities, key=lambda e: (e.start, e.end))
        rows.append(
            {
                "doc_id": doc.doc_id,
                "text": doc.text,
                "doc_stance": doc.doc_stance,
                "entities": [{**{"value": None, "unit": None, "approximate": None}, **e.to_json()} for e in entities],
                "sentences": [s.to_json() for s in sorted(doc.sentences, key=lambda s: s.start)],
            }
        )
    return rows


def build_datasets(docs: Sequence[GoldDocument], schema: Schema) -> dict[str, Any]:
    """Configuration name → `datasets.Dataset` with explicit features (labels encoded as ClassLabel ids)."""
    import datasets

    built = {}
    for name, rows, features in (
        ("sentences", sentence_rows(docs), sentence_features(schema)),
        ("documents", document_rows(docs), document_features(schema)),
    ):
        columns = {key: [row[key] for row in rows] for key in features}
        built[name] = datasets.Dataset.from_dict(columns, features=features)
    return built


def write_dataset_folder(
    built: dict[str, Any], out: Path, card: str, extra_files: Sequence[Path], replace: bool
) -> Path:
    """Write README.md, the parquet files and `extra_files` into a folder beside `out`, then rename it in.

    An existing non-empty `out` is only replaced when `replace` is true (FileExistsError otherwise),
    and only once the new folder is complete.
    """
    from datasets.utils.logging import disable_progress_bar

    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not replace:
        raise FileExistsError(str(out))
    disable_progress_bar()  # one bar per parquet file is noise for a command that takes a second
    with building_folder(out) as staging:
        for name, dataset in built.items():
            target = staging / data_file(name)
            target.parent.mkdir(parents=True)
            dataset.to_parquet(str(target))  # into the staging folder, renamed as a whole
        write_text(staging / "README.md", card)
        for path in extra_files:
            copy_file(path, staging / path.name)
    return out
