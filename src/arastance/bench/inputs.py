"""What every benchmark side shares: the plans, the hyper-parameters, the data, the models, the step summary.

Every side gets the same weights (`load_ner_model` seeds before building the head), the same encoded
windows and the same optimiser settings, so the rows differ only by the code under test.
"""

from __future__ import annotations

import resource
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from arastance.features.encode import Window
    from arastance.schema import Schema

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Plan:
    repeat: int  # gold repetitions: 105 sentences × repeat
    batch_sentences: int
    warmup_steps: int
    # Length-aware samplers (ours, the tuned Trainer) order batches by length within pools, so a short
    # window of steps is not representative of their tokens per step: they are timed over a whole
    # epoch. The default Trainer's batches are random, so a sample of its steps is unbiased.
    default_trainer_steps: int
    predict_repeat: int  # gold repetitions timed by every prediction side
    models: tuple[str, ...]
    demo_repeats: int = 0  # `make demo` idle and beside a busy process, this many times each (min taken)
    pipeline_screen_repeat: int = 2  # gold repetitions each pipeline setting is screened on
    pipeline_finalists: int = 3  # the fastest screened settings, timed on predict_repeat
    # Time to result (bench/time_to_result.py): training steps per fold of the base-shaped 5-fold run
    # (0: not run). Capped so that a CPU bench ends; the phases other than the steps are what it measures.
    run_max_steps: int = 0
    # `arastance predict` over a folder of the gold documents this many times, under the same load
    # conditions as the demo (bench/load.py; 0: not run).
    predict_load_copies: int = 0


PLANS = {
    "quick": Plan(
        repeat=20,
        batch_sentences=32,
        warmup_steps=2,
        default_trainer_steps=12,
        predict_repeat=20,
        models=("tiny", "base"),
        demo_repeats=1,
        run_max_steps=6,
        predict_load_copies=40,
    ),
    "full": Plan(
        repeat=30,
        batch_sentences=32,
        warmup_steps=3,
        default_trainer_steps=30,
        predict_repeat=30,
        models=("tiny", "base"),
        demo_repeats=2,
        run_max_steps=12,
        predict_load_copies=40,
    ),
    # `make bench BENCH=load`: only what a user waits for — the demo under load arriving mid-run and the
    # time to result of whole runs; no training or prediction sides.
    "load": Plan(
        repeat=0,
        batch_sentences=0,
        warmup_steps=0,
        default_trainer_steps=0,
        predict_repeat=0,
        models=(),
        demo_repeats=1,
        run_max_steps=6,
        predict_load_copies=40,
    ),
}
# Any: the values are handed on as keyword arguments of different types (seed an int, the rest floats).
HYPER: dict[str, Any] = {
    "learning_rate": 5e-5,
    "weight_decay": 0.01,
    "warmup_ratio": 0.1,
    "max_grad_norm": 1.0,
    "seed": 1234,
}
BASE_SHAPE: dict[str, Any] = {  # Any: BertConfig(**BASE_SHAPE) checks each key against its own parameter
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "vocab_size": 64000,
}


def bench_schema() -> Schema:
    from arastance.schema import load_schema

    return load_schema(ROOT / "annotations" / "schema.yaml")


def gold_records() -> list[dict[str, Any]]:
    """The gold NER sentence records."""
    from arastance.gold.convert import to_records
    from arastance.gold.io import read_gold_dir

    loaded = read_gold_dir(ROOT / "annotations" / "gold", ROOT / "annotations" / "documents")
    return to_records([item.doc for item in loaded.documents])


def bench_tiny_model(cache: Path) -> Path:
    from omegaconf import OmegaConf

    from arastance.corpus.normalize import get_normalizer
    from arastance.models.tiny import ensure_tiny_model

    spec = dict(OmegaConf.load(ROOT / "configs" / "model" / "tiny.yaml").tiny)
    spec["normalization"] = "arabert_v02"
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "annotations" / "documents").glob("*.txt"))]
    return ensure_tiny_model(cache, spec, texts, get_normalizer("arabert_v02"))


def bench_base_model(tiny: Path, out: Path) -> Path:
    """A random-init BERT-base-shaped model (AraBERT v0.2's shape) with the tiny tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForMaskedLM

    if (out / "config.json").is_file():
        return out
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(tiny)
    BertForMaskedLM(
        BertConfig(**BASE_SHAPE, max_position_embeddings=512, pad_token_id=tokenizer.pad_token_id)
    ).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def encoded_windows(model_dir: Path, repeat: int) -> tuple[Any, list[Window]]:
    """(tokenizer, windows): the gold NER sentences encoded as training encodes them, `repeat` times.
    A repeated sentence encodes to the same window, so the gold is encoded once and the list repeated."""
    from transformers import AutoTokenizer

    from arastance.corpus.normalize import get_normalizer
    from arastance.features.encode import EncodingConfig, encode_units, units_from_records
    from arastance.tasks import NER

    schema = bench_schema()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.model_max_length = 512
    cfg = EncodingConfig(task=NER, max_length=512, stride=128, label2id=schema.label2id("ner"))
    return tokenizer, encode_units(
        units_from_records(gold_records(), NER), tokenizer, get_normalizer("arabert_v02"), cfg
    ) * repeat


def load_ner_model(model_dir: Path, attention: str | None = None) -> Any:
    import torch
    from transformers import AutoModelForTokenClassification

    schema = bench_schema()
    torch.manual_seed(HYPER["seed"])
    id2label = schema.id2label("ner")
    extra: dict[str, Any] = {"attn_implementation": attention} if attention else {}
    return AutoModelForTokenClassification.from_pretrained(
        model_dir, num_labels=len(id2label), id2label=id2label, label2id={v: k for k, v in id2label.items()}, **extra
    )


def bf16_ok() -> bool:
    import torch

    from arastance.models.device import bf16_supported

    return bf16_supported(torch.device("cuda" if torch.cuda.is_available() else "cpu"))


def peak_memory_mib() -> float:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def step_summary(steps: list[dict[str, float]], warmup: int) -> dict[str, Any]:
    """Throughput figures over the steps after `warmup` steps (each entry: seconds, real and computed
    tokens of one step, or of a window of `steps` steps when the loop is timed per window)."""
    timed, skipped = [], 0
    for entry in steps:
        if skipped < warmup:
            skipped += int(entry.get("steps", 1))
        else:
            timed.append(entry)
    n = sum(int(s.get("steps", 1)) for s in timed)
    seconds = sum(s["seconds"] for s in timed)
    real = sum(s["real"] for s in timed)
    computed = sum(s["computed"] for s in timed)
    return {
        "timed_steps": n,
        "real_tokens_per_s": real / seconds if seconds else 0.0,
        "padded_fraction": 1 - real / computed if computed else 0.0,
        "median_step_s": statistics.median(s["seconds"] / int(s.get("steps", 1)) for s in timed) if timed else 0.0,
        "real_tokens_per_step": real / n if n else 0.0,
        "peak_memory_mib": peak_memory_mib(),
    }
