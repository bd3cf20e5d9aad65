"""Alignment by word_ids(), windowing without dropping words, token-budget batching."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from arastance.corpus.normalize import normalize_arabert_v02
from arastance.features.batching import (
    BatchingConfig,
    collate,
    padded_length,
    padding_fraction,
    plan_batches,
    resolve_pad_multiple,
)
from arastance.features.encode import (
    IGNORE_INDEX,
    EncodingConfig,
    Unit,
    encode_units,
    plan_windows,
    stitch_word_scores,
    units_from_records,
)
from arastance.gold.convert import to_records
from arastance.gold.io import read_gold_dir
from arastance.schema import load_schema
from arastance.tasks import NER, STANCE

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = load_schema(ROOT / "annotations" / "schema.yaml")


@pytest.fixture(scope="module")
def gold_records() -> list[dict]:
    loaded = read_gold_dir(ROOT / "annotations" / "gold", ROOT / "annotations" / "documents")
    return to_records([item.doc for item in loaded.documents])


def ner_config(max_length: int = 512, stride: int = 8) -> EncodingConfig:
    return EncodingConfig(task=NER, max_length=max_length, stride=stride, label2id=SCHEMA.label2id("ner"))


def test_first_subword_carries_the_label_and_the_rest_are_ignored(tiny_tokenizer) -> None:
    unit = Unit("d", 0, ("وسوريا", "ثخذضظغ", "قسد"), ((0, 6), (7, 13), (14, 17)), ("B-GPE", "O", "B-ORG"))
    [window] = encode_units([unit], tiny_tokenizer, normalize_arabert_v02, ner_config())
    labels_by_word: dict[int, list[int]] = {}
    for word_id, label in zip(window.word_ids, window.labels, strict=True):
        if word_id is None:
            assert label == IGNORE_INDEX
        else:
            labels_by_word.setdefault(word_id, []).append(label)
    l2i = SCHEMA.label2id("ner")
    assert labels_by_word[0][0] == l2i["B-GPE"] and labels_by_word[2][0] == l2i["B-ORG"]
    # The rare-letter word is several sub-words, not [UNK]: only its first carries the label.
    assert len(labels_by_word[1]) > 1 and labels_by_word[1][0] == l2i["O"]
    assert all(label == IGNORE_INDEX for label in labels_by_word[1][1:])
    assert tiny_tokenizer.unk_token_id not in window.input_ids


def test_a_word_that_normalises_to_nothing_still_gets_a_token(tiny_tokenizer) -> None:
    unit = Unit("d", 0, ("قسد", "\u064b", "باقية"), ((0, 3), (4, 5), (6, 11)), ("B-ORG", "O", "O"))
    [window] = encode_units([unit], tiny_tokenizer, normalize_arabert_v02, ner_config())
    assert {w for w in window.word_ids if w is not None} == {0, 1, 2}


@pytest.mark.parametrize("budget,stride", [(10, 0), (10, 4), (7, 3), (50, 20)])
def test_windows_cover_every_word_and_owners_tile_the_unit(budget: int, stride: int) -> None:
    rng = np.random.default_rng(budget + stride)
    counts = rng.integers(1, 4, size=40).tolist()
    windows = plan_windows(counts, budget, stride)
    owned = [w for _s, _e, lo, hi in windows for w in range(lo, hi)]
    assert owned == list(range(40))  # each word owned exactly once, in order
    for start, end, lo, hi in windows:
        assert start <= lo <= hi <= end
        assert sum(counts[start:end]) <= budget or end - start == 1


def test_long_sentence_is_windowed_and_every_word_gets_a_prediction(tiny_tokenizer) -> None:
    n = 700  # far beyond max_length sub-words
    words = tuple(("قسد", "في", "سوريا", "الحسكة")[i % 4] for i in range(n))
    offsets = tuple((i * 10, i * 10 + len(w)) for i, w in enumerate(words))
    tags = tuple("B-ORG" if w == "قسد" else "O" for w in words)
    cfg = ner_config(max_length=64, stride=16)
    windows = encode_units([Unit("d", 0, words, offsets, tags)], tiny_tokenizer, normalize_arabert_v02, cfg)
    assert len(windows) > 1 and all(len(w) <= 64 for w in windows)
    labelled = sorted(
        w for win in windows for w, lab in zip(win.word_ids, win.labels, strict=True) if lab != IGNORE_INDEX
    )
    assert labelled == list(range(n))  # each word labelled once, in its owner window
    # Stitching: scores equal to one-hot of the word index land on the right word.
    scores = []
    for win in windows:
        s = np.zeros((len(win), n), dtype=np.float32)
        for pos, w in enumerate(win.word_ids):
            if w is not None:
                s[pos, w] = 1.0
        scores.append(s)
    [stitched] = stitch_word_scores(windows, scores, [n])
    assert (stitched.argmax(axis=1) == np.arange(n)).all()


def test_stance_units_carry_title_and_previous_sentence(gold_records) -> None:
    units = units_from_records(gold_records, STANCE, {"title": True, "title_min_words": 4, "previous": True})
    by_doc = [u for u in units if u.doc_id == "003_267b21d0fb597590"]
    title = by_doc[1].words  # "أميركا تطرح خطة ..." (the first line is a byline)
    assert by_doc[1].context == by_doc[0].words  # the title line itself only gets its previous sentence
    assert by_doc[5].context[: len(title)] == title and by_doc[5].context[len(title) :] == by_doc[4].words


def test_batches_cover_every_example_once_and_respect_the_budget(gold_records, tiny_tokenizer) -> None:
    units = units_from_records(gold_records * 20, NER)
    windows = encode_units(units, tiny_tokenizer, normalize_arabert_v02, ner_config())
    lengths = [len(w) for w in windows]
    cfg = BatchingConfig(max_tokens=4096, max_rows=64, pool_factor=50, pad_to_multiple_of=8)
    batches = plan_batches(lengths, cfg, seed=3, epoch=0)
    assert sorted(i for b in batches for i in b) == list(range(len(windows)))
    for batch in batches:
        width = padded_length(max(lengths[i] for i in batch), 8)
        assert len(batch) <= 64 and (width * len(batch) <= 4096 or len(batch) == 1)
    assert plan_batches(lengths, cfg, seed=3, epoch=0) == batches
    assert plan_batches(lengths, cfg, seed=3, epoch=1) != batches


def test_padding_stays_under_five_percent_on_a_corpus_sized_input(gold_records, tiny_tokenizer) -> None:
    """The gold repeated to ~2000 sentences, the default trainer's budget on CPU: padding ≤ 5% of computed tokens."""
    units = units_from_records(gold_records * 20, NER)
    windows = encode_units(units, tiny_tokenizer, normalize_arabert_v02, ner_config())
    lengths = [len(w) for w in windows]
    multiple = resolve_pad_multiple("auto", "cpu")
    cfg = BatchingConfig(max_tokens=4096, max_rows=64, pool_factor=50, pad_to_multiple_of=multiple)
    assert padding_fraction(plan_batches(lengths, cfg, seed=0, epoch=0), lengths, multiple) <= 0.05
    # A random fixed-size batching on the same data pads far more: the bucketing is doing the work.
    order = np.random.default_rng(0).permutation(len(lengths)).tolist()
    fixed = [order[i : i + 16] for i in range(0, len(order), 16)]
    assert padding_fraction(fixed, lengths, 8) > 0.3


def test_collate_pads_to_a_multiple_of_eight(gold_records, tiny_tokenizer) -> None:
    units = units_from_records(gold_records[:5], NER)
    windows = encode_units(units, tiny_tokenizer, normalize_arabert_v02, ner_config())
    batch = collate(windows, tiny_tokenizer.pad_token_id, 8, NER)
    assert batch["input_ids"].shape[1] % 8 == 0
    assert batch["labels"].shape == batch["input_ids"].shape
    assert int(batch["attention_mask"].sum()) == sum(len(w) for w in windows)


@pytest.mark.slow
def test_the_tiny_model_is_built_byte_identical_in_separate_processes(tmp_path: Path) -> None:
    import hashlib
    import subprocess
    import sys

    script = (
        "import sys; from pathlib import Path; from omegaconf import OmegaConf\n"
        "from arastance.models.tiny import ensure_tiny_model\n"
        "from arastance.corpus.normalize import normalize_arabert_v02\n"
        f"root = Path({str(ROOT)!r})\n"
        "spec = dict(OmegaConf.load(root / 'configs/model/tiny.yaml').tiny); spec['normalization'] = 'arabert_v02'\n"
        "texts = [p.read_text(encoding='utf-8') for p in sorted((root / 'annotations/documents').glob('*.txt'))]\n"
        "print(ensure_tiny_model(Path(sys.argv[1]), spec, texts, normalize_arabert_v02))\n"
    )
    digests = []
    for name in ("a", "b"):
        out = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / name)], check=True, capture_output=True, text=True
        )
        folder = Path(out.stdout.strip().splitlines()[-1])
        digests.append({p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())})
    assert digests[0] == digests[1] and "tokenizer.json" in digests[0]
