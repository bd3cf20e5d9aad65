"""The project's own tiny model for offline use: a `tokenizers` WordPiece tokenizer whose vocabulary
is learned from the corpus (see corpus_vocabulary) and a small random-init BERT, written as an
ordinary `save_pretrained` folder so that it is loaded by the very same `from_pretrained` code as
AraBERT.

Built deterministically on first use into a cache folder keyed by a hash of its config and the
corpus, written to a temporary folder and renamed so that concurrent builders (two ranks) never see a
half-built model.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from arastance.corpus.segment import tokenize_words
from arastance.writer import building_folder

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# Seed the whole Arabic alphabet (and digits, Latin letters, punctuation) so that a word with a
# letter unseen in five documents becomes sub-words, not [UNK].
ARABIC_LETTERS = [chr(c) for c in range(0x0621, 0x064B)] + [chr(c) for c in range(0x0671, 0x06D4)]
SEED_ALPHABET = (
    ARABIC_LETTERS
    + list("0123456789")
    + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    + [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    + list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~،؛؟«»“”‘’–—…٪")
)


# Part of the cache key: a change to how the model is built must not reuse an older build.
BUILDER_VERSION = 2


def tiny_model_dir(cache_dir: Path, spec: dict[str, Any], texts: Sequence[str]) -> Path:
    digest = hashlib.sha256(json.dumps({**spec, "builder": BUILDER_VERSION}, sort_keys=True).encode())
    for text in texts:
        digest.update(text.encode("utf-8"))
    return Path(cache_dir) / f"tiny-{digest.hexdigest()[:12]}"


def ensure_tiny_model(
    cache_dir: Path, spec: dict[str, Any], texts: Sequence[str], normalize: Callable[[str], str]
) -> Path:
    """Return the folder of the tiny model, building it if it is not there yet."""
    target = tiny_model_dir(cache_dir, spec, texts)
    if (target / "config.json").is_file():
        return target
    with building_folder(target) as staging:  # two builders at once: the last one's (as good) stays
        build_tiny_model(staging, spec, texts, normalize)
    return target


def _training_words(texts: Iterable[str], normalize: Callable[[str], str]) -> Iterable[str]:
    for text in texts:
        normalized = (normalize(t.text) for t in tokenize_words(text))
        yield " ".join(w for w in normalized if w)


def corpus_vocabulary(counts: Counter[str], vocab_size: int, min_frequency: int) -> list[str]:
    """A WordPiece vocabulary learned from corpus word counts, the same on every build.

    The `tokenizers` WordPiece trainer is not deterministic across processes (its hash maps are seeded
    per process: five builds here gave 2613–2621 tokens, in different orders), and the tiny model must
    be. So the vocabulary is chosen here with every tie broken by the token itself: special tokens,
    the seeded alphabet (and any other character of the corpus) as word-initial and `##` continuation
    pieces — so no word ever becomes [UNK] — then whole words by frequency down to `min_frequency`,
    up to `vocab_size`. A word outside it is spelled with the character pieces.
    """
    characters = sorted(set(SEED_ALPHABET) | {ch for word in counts for ch in word})
    pieces = SPECIAL_TOKENS + characters + [f"##{ch}" for ch in characters]
    known = set(pieces)
    words = sorted(
        (w for w, n in counts.items() if n >= min_frequency and w not in known), key=lambda w: (-counts[w], w)
    )
    return pieces + words[: max(0, vocab_size - len(pieces))]


def build_tiny_model(
    out_dir: Path, spec: dict[str, Any], texts: Sequence[str], normalize: Callable[[str], str]
) -> None:
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertForMaskedLM, BertTokenizer

    normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False
    )
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    counts: Counter[str] = Counter(
        word
        for line in _training_words(texts, normalize)
        for word, _span in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(line))
    )
    vocab = corpus_vocabulary(counts, int(spec["vocab_size"]), int(spec.get("min_frequency", 1)))
    tok = Tokenizer(
        models.WordPiece(
            vocab={token: i for i, token in enumerate(vocab)}, unk_token="[UNK]", max_input_chars_per_word=100
        )
    )
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
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
