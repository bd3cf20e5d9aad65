"""Documents whose words the model does not know: a warning, never a confident empty result.

A word is unknown when every sub-word the model's tokenizer makes of its model word (corpus/normalize.py,
after the text edge's fold) is the tokenizer's unknown token, or normalisation left nothing of it (it is
then fed as [UNK]). Only tokens holding a letter or a digit count: punctuation is known to every model
and would hide a document of unknown words. The threshold is configs/predict.yaml
`unknown_words_warning_share`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

CONFIG = ("predict.yaml",)
KEY = "unknown_words_warning_share"


@lru_cache(maxsize=4)
def _threshold_at(path: Path) -> float:
    from arastance.paths import read_config_mapping
    from arastance.settings import PredictWarnings, checked

    raw = read_config_mapping(path, "the prediction warnings")
    return float(checked(PredictWarnings, raw, source=str(path)).unknown_words_warning_share)


def warning_threshold() -> float:
    from arastance.paths import config_file

    return _threshold_at(config_file(*CONFIG))


def unknown_words(words: Sequence[str], loaded: Any) -> tuple[int, int]:
    """(unknown, counted) among `words`: raw tokens of one document, for the model `loaded` (LoadedModel)."""
    from arastance.features.encode import model_words

    counted = [w for w in words if any(ch.isalnum() for ch in w)]
    if not counted:
        return 0, 0
    tokenizer = loaded.tokenizer
    # One sequence per word: a whole document as one sequence would pass the model's length and warn.
    encoded = tokenizer(model_words(counted, loaded.normalize, tokenizer.unk_token), add_special_tokens=False)
    unknown = sum(1 for ids in encoded["input_ids"] if all(i == tokenizer.unk_token_id for i in ids))
    return unknown, len(counted)


def unknown_words_warning(words: Sequence[str], loaded: Any, threshold: float) -> str | None:
    """The warning for one document's words, or None when the model knows enough of them."""
    unknown, counted = unknown_words(words, loaded)
    if not counted:
        # Nothing to predict on: "no entities, stance NONE" would read as a finding about the document.
        return (
            "no words: the document is empty or holds only spaces, punctuation or invisible characters, "
            "so there is nothing to predict (no entities, no sentence stances)"
        )
    if unknown / counted < threshold:
        return None
    return (
        f"{unknown} of {counted} words ({unknown / counted:.0%}) are unknown to the model ([UNK]): its predictions "
        "for this document are not to be trusted (is the text Arabic, and readable as characters, not glyphs?)"
    )
