"""`make bench`: our training loop and prediction against what users would otherwise run.

Sides, each in its own subprocess (clean peak memory, no shared warm caches), all with the same
model weights, the same encoded data (the gold NER sentences repeated to a few thousand), the same
optimiser hyper-parameters, seed and thread count:

- train/trainer_default: `transformers.Trainer` + `DataCollatorForTokenClassification` at defaults
  (random sampler, fp32), batch of `batch_sentences` sentences;
- train/trainer_tuned: the same with its best documented settings: length grouping
  (`train_sampling_strategy="group_by_length"`) and bf16 (+ tf32 on CUDA);
- train/ours: `arastance.training.loop.run_loop` at its defaults, token budget chosen so that a step
  carries the same real tokens on average as the Trainer's batch;
- predict/pipeline: `transformers.pipeline("token-classification")` (best of batch sizes and dtypes);
- predict/ours: the path `arastance predict` takes (`models.predictor.predict_units`).

Figures: real (non-pad) tokens/s over the timed steps (after warm-up), padded fraction of computed
token positions, median step time, peak memory; sentences/s for prediction. Results go to
reports/bench/bench.json and bench.md.

    python -m arastance.bench --mode quick|full [--threads 2] [--out reports/bench]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Plan:
    repeat: int  # gold repetitions: 105 sentences × repeat
    batch_sentences: int
    warmup_steps: int
    # Length-aware samplers (ours, the tuned Trainer) order batches by length within pools, so a short
    # window of steps is not representative of their tokens per step: they are timed over a whole
    # epoch. The default Trainer's batches are random, so a sample of its steps is unbiased.
    default_trainer_steps: int
    predict_repeat: int
    models: tuple[str, ...]


PLANS = {
    "quick": Plan(repeat=20, batch_sentences=32, warmup_steps=2, default_trainer_steps=12, predict_repeat=2, models=("tiny", "base")),
    "full": Plan(repeat=30, batch_sentences=32, warmup_steps=3, default_trainer_steps=30, predict_repeat=6, models=("tiny", "base")),
}
HYPER = {"learning_rate": 5e-5, "weight_decay": 0.01, "warmup_ratio": 0.1, "max_grad_norm": 1.0, "seed": 1234}
BASE_SHAPE = {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072, "vocab_size": 64000}


# ----------------------------------------------------------------------------- shared set-up


def _schema():
    from arastance.schema import load_schema

    return load_schema(ROOT / "annotations" / "schema.yaml")


def _records(repeat: int) -> list[dict[str, Any]]:
    from arastance.gold.convert import to_records
    from arastance.gold.io import read_gold_dir

    loaded = read_gold_dir(ROOT / "annotations" / "gold", ROOT / "annotations" / "documents")
    records = to_records([item.doc for item in loaded.documents])
    return [dict(r, doc_id=f"{r['doc_id']}#{k}") for k in range(repeat) for r in records]


def _tiny_dir(cache: Path) -> Path:
    from omegaconf import OmegaConf

    from arastance.corpus.normalize import normalize_arabert_v02
    from arastance.models.tiny import ensure_tiny_model

    spec = dict(OmegaConf.load(ROOT / "configs" / "model" / "tiny.yaml").tiny)
    spec["normalization"] = "arabert_v02"
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "annotations" / "documents").glob("*.txt"))]
    return ensure_tiny_model(cache, spec, texts, normalize_arabert_v02)


def _base_dir(tiny: Path, out: Path) -> Path:
    """A random-init BERT-base-shaped model (AraBERT v0.2's shape) with the tiny tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForMaskedLM

    if (out / "config.json").is_file():
        return out
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(tiny)
    BertForMaskedLM(BertConfig(**BASE_SHAPE, max_position_embeddings=512, pad_token_id=tokenizer.pad_token_id)).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def _windows(model_dir: Path, repeat: int):
    from transformers import AutoTokenizer

    from arastance.corpus.normalize import normalize_arabert_v02
    from arastance.features.encode import EncodingConfig, encode_units, units_from_records

    schema = _schema()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.model_max_length = 512
    units = units_from_records(_records(repeat), "ner")
    cfg = EncodingConfig(task="ner", max_length=512, stride=128, label2id=schema.label2id("ner"))
    return tokenizer, units, encode_units(units, tokenizer, normalize_arabert_v02, cfg)


def _load_model(model_dir: Path, attention: str | None = None):
    import torch
    from transformers import AutoModelForTokenClassification

    schema = _schema()
    torch.manual_seed(HYPER["seed"])
    id2label = schema.id2label("ner")
    extra = {"attn_implementation": attention} if attention else {}
    return AutoModelForTokenClassification.from_pretrained(
        model_dir, num_labels=len(id2label), id2label=id2label, label2id={v: k for k, v in id2label.items()}, **extra
    )


def _peak_memory_mib() -> float:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _summary(steps: list[dict[str, float]], warmup: int) -> dict[str, Any]:
    timed = steps[warmup:]
    seconds = sum(s["seconds"] for s in timed)
    real = sum(s["real"] for s in timed)
    computed = sum(s["computed"] for s in timed)
    return {
        "timed_steps": len(timed),
        "real_tokens_per_s": real / seconds if seconds else 0.0,
        "padded_fraction": 1 - real / computed if computed else 0.0,
        "median_step_s": statistics.median(s["seconds"] for s in timed) if timed else 0.0,
        "real_tokens_per_step": real / len(timed) if timed else 0.0,
        "peak_memory_mib": _peak_memory_mib(),
    }


# ----------------------------------------------------------------------------- workers


def worker_ours(spec: dict[str, Any]) -> dict[str, Any]:
    import torch
    from accelerate import Accelerator
    from omegaconf import OmegaConf

    from arastance.models.device import choose_runtime
    from arastance.runs.layout import SplitDir
    from arastance.settings import TrainerSettings, section
    from arastance.training.loop import LoopInputs, run_loop, seed_everything

    tokenizer, _units, windows = _windows(Path(spec["model_dir"]), spec["repeat"])
    trainer_cfg = OmegaConf.load(ROOT / "configs" / "trainer" / "default.yaml")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    trainer_cfg.merge_with(spec.get("overrides", {}))
    max_tokens = matching_token_budget([len(w) for w in windows], spec["batch_sentences"], trainer_cfg, device)
    trainer_cfg.merge_with(
        {
            "learning_rate": HYPER["learning_rate"], "weight_decay": HYPER["weight_decay"], "warmup_ratio": HYPER["warmup_ratio"],
            "max_grad_norm": HYPER["max_grad_norm"], "max_steps": spec["steps"], "save_steps": spec["steps"], "eval_steps": spec["steps"],
            "log_steps": 1, "progress_bar": False, "tensorboard": False, "early_stopping_patience": 0, "keep_checkpoints": 1,
            "max_tokens": max_tokens,
            **spec.get("overrides", {}),
        }
    )
    trainer = section(TrainerSettings, trainer_cfg)
    runtime = choose_runtime(trainer.precision)
    accelerator = Accelerator(mixed_precision=runtime.accelerate_mixed_precision, cpu=device == "cpu", step_scheduler_with_optimizer=False)
    seed_everything(HYPER["seed"])
    model = _load_model(Path(spec["model_dir"]))
    with tempfile.TemporaryDirectory() as run_dir:
        inputs = LoopInputs(
            task="ner", model=model, pad_token_id=tokenizer.pad_token_id, train_windows=windows, evaluate_dev=None,
            save_best=lambda m: None, class_weights=None, config_yaml="",
        )
        split_dir = SplitDir(Path(run_dir))
        run_loop(accelerator, inputs, trainer, HYPER["seed"], split_dir, False, lambda *_: None)
        log = [r for r in split_dir.read_train_log() if "loss" in r]
    steps = [{"seconds": r["step_seconds"], "real": r["real_tokens"], "computed": r["computed_tokens"]} for r in log]
    return _summary(steps, spec["warmup"])


def matching_token_budget(lengths: list[int], batch_sentences: int, trainer_cfg: Any, device: str) -> int:
    """The smallest token budget whose epoch has as many optimizer steps as the Trainer's batches of
    `batch_sentences` sentences: both sides then carry the same real tokens per step on average."""
    from arastance.features.batching import BatchingConfig, plan_batches, resolve_max_rows, resolve_pad_multiple

    target = -(-len(lengths) // batch_sentences)
    multiple = resolve_pad_multiple(trainer_cfg.pad_to_multiple_of, device)

    def steps(budget: int) -> int:
        cfg = BatchingConfig(budget, resolve_max_rows(trainer_cfg.max_rows, device), int(trainer_cfg.pool_factor), multiple)
        return len(plan_batches(lengths, cfg, HYPER["seed"], 0))

    low, high = max(lengths), 64 * batch_sentences * max(lengths)
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if steps(middle) <= target else (middle + 1, high)
    return low


def worker_trainer(spec: dict[str, Any]) -> dict[str, Any]:
    import datasets
    import torch
    from transformers import DataCollatorForTokenClassification, Trainer, TrainerCallback, TrainingArguments

    tokenizer, _units, windows = _windows(Path(spec["model_dir"]), spec["repeat"])
    dataset = datasets.Dataset.from_dict(
        {
            "input_ids": [w.input_ids for w in windows],
            "token_type_ids": [w.token_type_ids for w in windows],
            "attention_mask": [[1] * len(w) for w in windows],
            "labels": [w.labels for w in windows],
            "length": [len(w) for w in windows],
        }
    )
    steps: list[dict[str, float]] = []
    collator = DataCollatorForTokenClassification(tokenizer)

    def counting_collator(features):
        batch = collator(features)
        steps.append({"real": int(batch["attention_mask"].sum()), "computed": int(batch["input_ids"].numel()), "seconds": 0.0})
        return batch

    class StepTimer(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            self.started = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            # The batch of this step was collated (and counted) just before on_step_begin.
            steps[-1]["seconds"] = time.perf_counter() - self.started

    tuned = spec["side"] == "trainer_tuned"
    cuda = torch.cuda.is_available()
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out,
            per_device_train_batch_size=spec["batch_sentences"],
            max_steps=spec["steps"],
            learning_rate=HYPER["learning_rate"],
            weight_decay=HYPER["weight_decay"],
            warmup_steps=HYPER["warmup_ratio"],
            max_grad_norm=HYPER["max_grad_norm"],
            seed=HYPER["seed"],
            report_to="none",
            save_strategy="no",
            logging_strategy="no",
            disable_tqdm=True,
            use_cpu=not cuda,
            train_sampling_strategy="group_by_length" if tuned else "random",
            bf16=tuned and _bf16_ok(),
            tf32=True if tuned and cuda else None,
            **spec.get("overrides", {}),
        )
        trainer = Trainer(
            model=_load_model(Path(spec["model_dir"])), args=args, train_dataset=dataset, data_collator=counting_collator,
            callbacks=[StepTimer()], processing_class=tokenizer,
        )
        trainer.train()
    # The sampler may collate one batch ahead; keep only batches that were trained on.
    return _summary([s for s in steps if s["seconds"] > 0], spec["warmup"])


def _bf16_ok() -> bool:
    import torch

    from arastance.models.device import bf16_supported

    return bf16_supported(torch.device("cuda" if torch.cuda.is_available() else "cpu"))


def _predict_inputs(repeat: int) -> tuple[list[str], list[str]]:
    """The gold documents (what `arastance predict` reads) and their sentences (what a pipeline user feeds)."""
    from arastance.corpus.segment import split_sentences

    documents = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "annotations" / "documents").glob("*.txt"))] * repeat
    sentences = [s.text for doc in documents for s in split_sentences(doc)]
    return documents, sentences


def _publishable_copy(model_dir: Path, out: Path) -> Path:
    """The benchmark model as a folder `arastance predict` accepts (weights, tokenizer, id2label)."""
    from transformers import AutoTokenizer

    _load_model(model_dir).save_pretrained(out)
    AutoTokenizer.from_pretrained(model_dir).save_pretrained(out)
    return out


def worker_predict_ours(spec: dict[str, Any]) -> dict[str, Any]:
    from arastance.publish.predict import load_task_model, predict_documents

    documents, sentences = _predict_inputs(spec["repeat"])
    with tempfile.TemporaryDirectory() as folder:
        model = load_task_model(_publishable_copy(Path(spec["model_dir"]), Path(folder)), "ner")
        predict_documents(documents[:1], ner=model)  # warm-up
        started = time.perf_counter()
        predict_documents(documents, ner=model)
        seconds = time.perf_counter() - started
    return {"sentences": len(sentences), "sentences_per_s": len(sentences) / seconds, "seconds": seconds, "precision": model.precision, "peak_memory_mib": _peak_memory_mib()}


def worker_predict_pipeline(spec: dict[str, Any]) -> dict[str, Any]:
    import torch
    from transformers import AutoTokenizer, pipeline

    model_dir = Path(spec["model_dir"])
    _documents, texts = _predict_inputs(spec["repeat"])
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    best: dict[str, Any] = {}
    # The pipeline's documented knobs: batch size, weights dtype, attention implementation. Best wins.
    dtypes = (torch.float32, torch.bfloat16) if _bf16_ok() else (torch.float32,)
    variants = [(b, d, a) for b in (1, 8, 32) for d in dtypes for a in ("sdpa", "eager")]
    for batch_size, dtype, attention in variants:
        model = _load_model(model_dir, attention).to(dtype)
        tagger = pipeline("token-classification", model=model, tokenizer=tokenizer, batch_size=batch_size)
        tagger(texts[:16])  # warm-up
        started = time.perf_counter()
        tagger(texts)
        seconds = time.perf_counter() - started
        row = {
            "sentences": len(texts), "sentences_per_s": len(texts) / seconds, "seconds": seconds,
            "batch_size": batch_size, "dtype": str(dtype), "attention": attention,
        }
        if row["sentences_per_s"] > best.get("sentences_per_s", 0):
            best = row
    best["peak_memory_mib"] = _peak_memory_mib()
    return best


WORKERS = {
    "ours": worker_ours,
    "trainer_default": worker_trainer,
    "trainer_tuned": worker_trainer,
    "predict_ours": worker_predict_ours,
    "predict_pipeline": worker_predict_pipeline,
}


# ----------------------------------------------------------------------------- driver


def run_worker(spec: dict[str, Any], threads: int) -> dict[str, Any]:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(
        [sys.executable, "-m", "arastance.bench", "--worker", json.dumps(spec), "--threads", str(threads)],
        env=env, capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench worker {spec['side']} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine(threads: int) -> dict[str, Any]:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "threads": threads,
        "torch": torch.__version__,
        "transformers": __import__("transformers").__version__,
        "bf16_autocast": _bf16_ok(),
    }


def mfu(row: dict[str, Any], n_params: int, layers: int, hidden: int, seq: float, peak_flops: float | None) -> float | None:
    """Model FLOPs utilisation: (6·N + 12·L·H·S) FLOPs per real token over the GPU's peak bf16 FLOP/s."""
    if not peak_flops:
        return None
    return row["real_tokens_per_s"] * (6 * n_params + 12 * layers * hidden * seq) / peak_flops


PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L4": 121e12, "A10": 125e12}


def run_bench(mode: str, threads: int, out: Path) -> dict[str, Any]:
    import torch

    plan = PLANS[mode]
    out.mkdir(parents=True, exist_ok=True)
    cache = ROOT / ".cache"
    tiny = _tiny_dir(cache)
    models = {"tiny": tiny, "base": _base_dir(tiny, cache / f"bench-bert-base-shaped-{tiny.name}")}
    rows = []
    for name in plan.models:
        epoch_steps = -(-len(_windows(models[name], plan.repeat)[2]) // plan.batch_sentences)
        sides = ["trainer_default", "trainer_tuned", "ours"]
        if torch.cuda.is_available():
            sides.append("ours_compiled")
        for side in sides:
            spec = {
                "side": "ours" if side == "ours_compiled" else side, "model_dir": str(models[name]), "repeat": plan.repeat,
                "batch_sentences": plan.batch_sentences, "warmup": plan.warmup_steps,
                "steps": plan.warmup_steps + (plan.default_trainer_steps if side == "trainer_default" else epoch_steps),
                "overrides": {"compile": True, "pad_to_multiple_of": 64} if side == "ours_compiled" else {},
            }
            print(f"[bench] train {name:4s} {side:16s} …", flush=True)
            result = run_worker(spec, threads)
            rows.append({"kind": "train", "model": name, "side": side, **result})
            print(f"[bench]   {result['real_tokens_per_s']:,.0f} real tokens/s, padded {result['padded_fraction']:.1%}", flush=True)
    for side in ("predict_pipeline", "predict_ours"):
        spec = {"side": side, "model_dir": str(models["base"]), "repeat": plan.predict_repeat}
        print(f"[bench] predict base {side} …", flush=True)
        result = run_worker(spec, threads)
        rows.append({"kind": "predict", "model": "base", "side": side, **result})
        print(f"[bench]   {result['sentences_per_s']:,.1f} sentences/s", flush=True)

    def pick(kind: str, model: str, side: str) -> dict[str, Any]:
        return next(r for r in rows if r["kind"] == kind and r["model"] == model and r["side"] == side)

    ref = "base" if "base" in plan.models else plan.models[0]
    ours = pick("train", ref, "ours")
    ratios = {
        "train_real_tokens_per_s_vs_trainer": ours["real_tokens_per_s"] / pick("train", ref, "trainer_default")["real_tokens_per_s"],
        "train_real_tokens_per_s_vs_tuned_trainer": ours["real_tokens_per_s"] / pick("train", ref, "trainer_tuned")["real_tokens_per_s"],
        "padded_fraction": ours["padded_fraction"],
        "inference_vs_pipeline": pick("predict", "base", "predict_ours")["sentences_per_s"] / pick("predict", "base", "predict_pipeline")["sentences_per_s"],
    }
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    if gpu:
        peak = next((v for k, v in PEAK_BF16.items() if k in gpu), None)
        n_params = 85_000_000  # BERT-base without embeddings
        for row in rows:
            if row["kind"] == "train" and row["model"] == "base":
                row["mfu"] = mfu(row, n_params, 12, 768, row["real_tokens_per_step"] / plan.batch_sentences, peak)
    result = {
        "mode": mode,
        "command": f"make bench BENCH={mode}" if mode != "full" else "make bench",
        "machine": machine(threads),
        "plan": plan.__dict__ | {"models": list(plan.models)},
        "hyper_parameters": HYPER,
        "base_shape": BASE_SHAPE,
        "rows": rows,
        "ratios": ratios,
    }
    (out / "bench.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    (out / "bench.md").write_text(markdown_table(result), encoding="utf-8")
    return result


def markdown_table(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"Measured with `{result['command']}` on {m['gpu'] or m['cpu']}, {m['threads']} threads, torch {m['torch']}, "
        f"transformers {m['transformers']}. Same weights, data, hyper-parameters and seed on every row.",
        "",
        "| model | training | real tokens/s | padded | median step | real tokens/step | peak memory |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in (r for r in result["rows"] if r["kind"] == "train"):
        lines.append(
            f"| {r['model']} | {r['side']} | {r['real_tokens_per_s']:,.0f} | {r['padded_fraction']:.1%} | {r['median_step_s']:.3f} s | "
            f"{r['real_tokens_per_step']:,.0f} | {r['peak_memory_mib']:,.0f} MiB |"
        )
    lines += ["", "| model | prediction | sentences/s | settings |", "|---|---|---:|---|"]
    for r in (r for r in result["rows"] if r["kind"] == "predict"):
        settings = (
            f"best of 12: batch {r['batch_size']}, {r['dtype']}, {r['attention']} attention"
            if "batch_size" in r else f"`arastance predict` on the documents, {r['precision']}"
        )
        lines.append(f"| {r['model']} | {r['side']} | {r['sentences_per_s']:,.1f} | {settings} |")
    ratios = result["ratios"]
    lines += [
        "",
        f"Ratios (base-shaped model): training {ratios['train_real_tokens_per_s_vs_trainer']:.2f}× the default Trainer, "
        f"{ratios['train_real_tokens_per_s_vs_tuned_trainer']:.2f}× the tuned Trainer; our padded fraction "
        f"{ratios['padded_fraction']:.1%}; prediction {ratios['inference_vs_pipeline']:.2f}× the pipeline.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m arastance.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=sorted(PLANS), default="full")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    if args.worker:
        import transformers

        transformers.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        spec = json.loads(args.worker)
        print(json.dumps(WORKERS[spec["side"]](spec)))
        return 0
    result = run_bench(args.mode, args.threads, args.out)
    print(markdown_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
