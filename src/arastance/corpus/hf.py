"""A token-classification dataset (Hub name or local folder) → source sentences for corpus/external.py.

Tag names come from the tags column's `ClassLabel` (a list of class ids), or are the strings
themselves when the column holds strings. A Hub name is only tried when the hub can answer: with
HF_HUB_OFFLINE set only the local cache is read, and an unreachable hub fails within seconds instead
of the libraries' 20-50 s of retries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from arastance.corpus.external import SourceSentence
from arastance.errors import UserError
from arastance.hub import hub_reachable, offline

CONNECT_TIMEOUT_S = 5.0


def unreachable_message(name: str, reason: str) -> str:
    return (
        f"cannot load dataset {name!r}: {reason}. Either download it once where the hub is reachable "
        f"(`hf download --repo-type dataset {name}`) and copy the Hugging Face cache (~/.cache/huggingface) "
        "here, or save it to a folder (`Dataset.save_to_disk`, or its parquet/JSON files) and pass that "
        "folder as --dataset."
    )


def _is_saved_to_disk(folder: Path) -> bool:
    return (folder / "dataset_dict.json").is_file() or (folder / "state.json").is_file()


def load_split(name: str, split: str, config: str | None, timeout_s: float = CONNECT_TIMEOUT_S) -> Any:
    """The `datasets.Dataset` of one split, from a local folder or the Hub; every failure is a UserError."""
    import datasets

    folder = Path(name).expanduser()
    try:
        if folder.is_dir() and _is_saved_to_disk(folder):
            loaded = datasets.load_from_disk(str(folder))
            if isinstance(loaded, datasets.DatasetDict):
                if split not in loaded:
                    raise UserError(f"{name}: no split {split!r} (it has {', '.join(loaded) or 'none'})")
                return loaded[split]
            return loaded
        if not folder.is_dir():
            if offline():
                # Only the local cache: datasets raises at once when the dataset is not in it.
                try:
                    return datasets.load_dataset(name, config, split=split)
                except (ConnectionError, FileNotFoundError) as err:
                    reason = f"it is not in the local cache and HF_HUB_OFFLINE is set ({type(err).__name__})"
                    raise UserError(unreachable_message(name, reason)) from None
            if not hub_reachable(timeout_s):
                raise UserError(
                    unreachable_message(name, f"the Hugging Face hub did not answer within {timeout_s:g} s")
                )
        return datasets.load_dataset(str(folder) if folder.is_dir() else name, config, split=split)
    except UserError:
        raise
    except (ValueError, KeyError, OSError, datasets.exceptions.DatasetNotFoundError) as err:
        # Unknown split or config, missing files, an unreadable folder: datasets' message says which.
        raise UserError(f"cannot load dataset {name!r} (split {split!r}): {type(err).__name__}: {err}") from None


def tag_names(dataset: Any, column: str, name: str) -> list[str] | None:
    """The ClassLabel names of a list-of-ClassLabel column; None when the column already holds strings."""
    import datasets

    if column not in dataset.features:
        raise UserError(f"{name}: no column {column!r} (columns: {', '.join(dataset.features)}); use --tags-column")
    feature = dataset.features[column]
    inner = getattr(feature, "feature", None)
    if isinstance(inner, datasets.ClassLabel):
        return list(inner.names)
    if isinstance(inner, datasets.Value) and inner.dtype in ("string", "large_string"):
        return None
    raise UserError(f"{name}: column {column!r} is {feature}, not a list of ClassLabel ids or of tag strings")


def dataset_sentences(
    dataset: Any, name: str, split: str, source: str, tokens_column: str = "tokens", tags_column: str = "ner_tags"
) -> list[SourceSentence]:
    """One SourceSentence per row (document `<source>-<split>`), tag ids turned into their names."""
    names = tag_names(dataset, tags_column, name)
    if tokens_column not in dataset.features:
        raise UserError(
            f"{name}: no column {tokens_column!r} (columns: {', '.join(dataset.features)}); use --tokens-column"
        )
    sentences: list[SourceSentence] = []
    doc_id = f"{source}-{split}"
    for row_index, row in enumerate(dataset.select_columns([tokens_column, tags_column])):
        tokens, tags = row[tokens_column], row[tags_column]
        place = f"{name}[{split}] row {row_index}"
        if len(tokens) != len(tags):
            raise UserError(f"{place}: {len(tokens)} tokens but {len(tags)} tags")
        if not tokens:
            continue
        words = [str(t) for t in tokens]
        if any(not w or any(ch.isspace() for ch in w) for w in words):
            raise UserError(f"{place}: an empty token or a token with whitespace in it")
        if names is not None and any(not 0 <= t < len(names) for t in tags):
            raise UserError(f"{place}: a tag id outside the {len(names)} ClassLabel names of {tags_column!r}")
        strings = [names[t] for t in tags] if names is not None else [str(t) for t in tags]
        sentences.append(SourceSentence(doc_id, words, strings, [place] * len(words)))
    return sentences
