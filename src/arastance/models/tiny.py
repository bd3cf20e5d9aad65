"""The project's own tiny model for offline use: a WordPiece tokenizer trained on the corpus and a
small random-init BERT, written as an ordinary `save_pretrained` folder so that it is loaded by the
very same `from_pretrained` code as AraBERT.

Built deterministically on first use into a cache folder keyed by a hash of its config and the
corpus, written to a temporary folder and renamed so that concurrent builders (two ranks) never see a
half-built model.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from arastance.corpus.segment import tokenize_words

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# Seed the whole Arabic alphabet (and digits, Latin letters, punctuation) so that a word with a
# letter unseen in five documents becomes sub-words, not [UNK].
ARABIC_LETTERS = [chr(c) for c in range(0x0621, 0x064B)] + [chr(c) for c in range(0x0671, 0x06D4)]
SEED_ALPHABET = ARABIC_LETTERS + list("0123456789") + [chr(c) for c in range(ord("a"), ord("z") + 1)] + [
    chr(c) for c in range(ord("A"), ord("Z") + 1)
] + list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~،؛؟«»“”‘’–—…٪")


def tiny_model_dir(cache_dir: Path, spec: dict[str, Any], texts: Sequence[str]) -> Path:
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode())
    for text in texts:
        digest.update(text.encode("utf-8"))
    return Path(cache_dir) / f"tiny-{digest.hexdigest()[:12]}"


def ensure_tiny_model(cache_dir: Path, spec: dict[str, Any], texts: Sequence[str], normalize: Callable[[str], str]) -> Path:
    """Return the folder of the tiny model, building it if it is not there yet."""
    target = tiny_model_dir(cache_dir, spec, texts)
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        build_tiny_model(staging, spec, texts, normalize)
        try:
            os.rename(staging, target)
        except OSError:
            if not (target / "config.json").is_file():  # lost a race to another builder: theirs is as good
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _training_words(texts: Iterable[str], normalize: Callable[[str], str]) -> Iterable[str]:
    for text in texts:
        normalized = (normalize(t.text) for t in tokenize_words(text))
        yield " ".join(w for w in normalized if w)


def build_tiny_model(out_dir: Path, spec: dict[str, Any], texts: Sequence[str], normalize: Callable[[str], str]) -> None:
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertForMaskedLM, BertTokenizer

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=int(spec["vocab_size"]),
        min_frequency=int(spec.get("min_frequency", 1)),
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=SEED_ALPHABET,
        limit_alphabet=len(SEED_ALPHABET) + 200,
    )
    tok.train_from_iterator(list(_training_words(texts, normalize)), trainer=trainer)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    tokenizer = BertTokenizer(
        tokenizer_object=tok,
        do_lower_case=False,
        unk_token="[UNK]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        mask_token="[MASK]",
        model_max_length=int(spec["max_position_embeddings"]),
    )
    tokenizer.save_pretrained(out_dir)

    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=int(spec["hidden_size"]),
        num_hidden_layers=int(spec["num_hidden_layers"]),
        num_attention_heads=int(spec["num_attention_heads"]),
        intermediate_size=int(spec["intermediate_size"]),
        max_position_embeddings=int(spec["max_position_embeddings"]),
        pad_token_id=tok.token_to_id("[PAD]"),
    )
    # A private RNG stream: building the model on first use must not change what the run that asked
    # for it draws next (its classifier head, dropout), or the first run would differ from later ones.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(spec["init_seed"]))
        BertForMaskedLM(config).save_pretrained(out_dir)
