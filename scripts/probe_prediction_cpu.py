"""Sentences per CPU-second of each prediction path at one thread: a figure other processes' load
disturbs much less than wall time. Needs a folder the bench wrote (`make bench BENCH=quick` leaves
.cache/bench-predict-published: the trained base-shaped model with onnx/ exported and gated).

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 .venv/bin/python scripts/probe_prediction_cpu.py [FOLDER]
"""

import sys
import time
from pathlib import Path

import torch
from transformers import AutoTokenizer, pipeline

from arastance.bench.inputs import load_ner_model
from arastance.bench.prediction import predict_inputs
from arastance.models.variants import present_variants
from arastance.predict.documents import load_published_model, predict_documents
from arastance.publish.onnx_gate import load_onnx_variant
from arastance.tasks import NER

torch.set_num_threads(1)

folder = (
    Path(sys.argv[1])
    if len(sys.argv) > 1
    else Path(__file__).resolve().parents[1] / ".cache" / "bench-predict-published"
)
documents, sentences = predict_inputs(1)


def cpu(f):
    f(documents[:1])
    best = 1e9
    for _ in range(2):
        t = time.process_time()
        f(documents)
        best = min(best, time.process_time() - t)
    return best


# Every exported variant the folder holds (ONNX Runtime fp32 and int8; OpenVINO int8 with the openvino extra).
models = {
    "torch bf16": load_published_model(folder, NER, "cpu", "torch"),
    **{v: load_onnx_variant(folder, NER, v) for v in present_variants(folder)},
}
for name, m in models.items():
    s = cpu(lambda d, m=m: predict_documents(d, ner=m))
    print(f"{name}: {len(sentences) / s:.1f} sentences per CPU-s", flush=True)
tok = AutoTokenizer.from_pretrained(folder)
for bs in (8, 32):
    model = load_ner_model(folder, "sdpa").to(torch.bfloat16)
    tagger = pipeline("token-classification", model=model, tokenizer=tok, batch_size=bs)

    def run(d, tagger=tagger):
        from arastance.corpus.segment import split_sentences

        tagger([s.text for doc in d for s in split_sentences(doc)])

    s = cpu(run)
    print(f"pipeline bf16 sdpa batch {bs}: {len(sentences) / s:.1f} sentences per CPU-s", flush=True)
