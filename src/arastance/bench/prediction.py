"""Prediction sides: the path `arastance predict` takes against `transformers.pipeline("token-classification")`.

Both read the same gold documents (`predict_repeat` times, a few thousand sentences, so that batch
shapes repeat as they do over a real corpus and each runtime's per-shape start-up is paid as often as
there): ours whole documents, the pipeline their sentences, as a pipeline user would feed them. Each
worker runs in its own subprocess (bench.run).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from arastance.bench.inputs import ROOT, bf16_ok, load_ner_model, peak_memory_mib


def predict_inputs(repeat: int) -> tuple[list[str], list[str]]:
    """The gold documents (what `arastance predict` reads) and their sentences (what a pipeline user feeds)."""
    from arastance.corpus.segment import split_sentences

    documents = [
        p.read_text(encoding="utf-8") for p in sorted((ROOT / "annotations" / "documents").glob("*.txt"))
    ] * repeat
    sentences = [s.text for doc in documents for s in split_sentences(doc)]
    return documents, sentences


def publishable_copy(model_dir: Path, out: Path) -> Path:
    """The benchmark model as a folder `arastance predict` accepts (weights, tokenizer, id2label)."""
    from transformers import AutoTokenizer

    load_ner_model(model_dir).save_pretrained(out)
    AutoTokenizer.from_pretrained(model_dir).save_pretrained(out)
    return out


def worker_predict_export(spec: dict[str, Any]) -> dict[str, Any]:
    """The model as a published folder with onnx/ (and openvino/) exported and gated (what `arastance publish`
    writes)."""
    from arastance.publish.onnx_gate import export_and_gate, export_settings

    folder = publishable_copy(Path(spec["model_dir"]), Path(spec["folder"]))
    from arastance.tasks import NER

    return export_and_gate(folder, NER, export_settings())


def worker_predict_ours(spec: dict[str, Any]) -> dict[str, Any]:
    """`arastance predict` on the documents with one backend: torch, or one exported variant (ONNX Runtime,
    OpenVINO)."""
    from arastance.predict.documents import load_published_model, predict_documents
    from arastance.publish.onnx_gate import load_onnx_variant
    from arastance.tasks import NER

    documents, sentences = predict_inputs(spec["repeat"])
    folder = Path(spec["folder"])
    variant = spec.get("variant")
    model = load_onnx_variant(folder, NER, variant) if variant else load_published_model(folder, NER, "auto", "torch")
    predict_documents(documents[:1], ner=model)  # warm-up
    started, cpu = time.perf_counter(), time.process_time()
    predict_documents(documents, ner=model)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    return {
        "sentences": len(sentences),
        "sentences_per_s": len(sentences) / seconds,
        "seconds": seconds,
        # CPU seconds too: on a machine other processes load, wall time says more about them than about us.
        "cpu_seconds": cpu_seconds,
        "backend": model.backend,
        "precision": model.precision,
        "pad_to_multiple_of": model.predictor.batching.pad_to_multiple_of,
        "peak_memory_mib": peak_memory_mib(),
    }


def pipeline_settings(bf16: bool) -> list[dict[str, Any]]:
    """The pipeline's documented knobs: batch size, weights dtype, attention implementation."""
    import torch

    dtypes = (torch.float32, torch.bfloat16) if bf16 else (torch.float32,)
    return [
        {"batch_size": b, "dtype": d, "attention": a} for b in (1, 8, 32) for d in dtypes for a in ("sdpa", "eager")
    ]


def fastest(rows: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: r["sentences_per_s"], reverse=True)[:count]


def best_setting(
    settings: list[dict[str, Any]],
    timed: Callable[[dict[str, Any], list[str]], dict[str, Any]],
    screen_texts: list[str],
    texts: list[str],
    finalists: int,
) -> dict[str, Any]:
    """Every setting timed on `screen_texts`, the `finalists` fastest of them on `texts`; the fastest of
    those (its row, timed on `texts`)."""
    screened = [timed(setting, screen_texts) | {"setting": setting} for setting in settings]
    return fastest([timed(row["setting"], texts) for row in fastest(screened, finalists)], 1)[0]


def worker_predict_pipeline(spec: dict[str, Any]) -> dict[str, Any]:
    """The pipeline at its best settings: every setting screened on `screen_repeat` gold repetitions, the
    `finalists` fastest timed on the whole input (twelve settings on a few thousand sentences, the slow
    fp32 ones among them, would take most of the bench), the fastest of those wins."""
    from transformers import AutoTokenizer, pipeline

    model_dir = Path(spec["model_dir"])
    _documents, texts = predict_inputs(spec["repeat"])
    _documents, screen_texts = predict_inputs(spec["screen_repeat"])
    tokenizer = AutoTokenizer.from_pretrained(model_dir)

    def timed(setting: dict[str, Any], inputs: list[str]) -> dict[str, Any]:
        model = load_ner_model(model_dir, setting["attention"]).to(setting["dtype"])
        tagger = pipeline("token-classification", model=model, tokenizer=tokenizer, batch_size=setting["batch_size"])
        tagger(inputs[:16])  # warm-up
        started, cpu = time.perf_counter(), time.process_time()
        tagger(inputs)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        return {
            "sentences": len(inputs),
            "sentences_per_s": len(inputs) / seconds,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "batch_size": setting["batch_size"],
            "dtype": str(setting["dtype"]),
            "attention": setting["attention"],
        }

    settings = pipeline_settings(bf16_ok())
    best = best_setting(settings, timed, screen_texts, texts, spec["finalists"])
    return best | {
        "settings_screened": len(settings),
        "screen_sentences": len(screen_texts),
        "peak_memory_mib": peak_memory_mib(),
    }
