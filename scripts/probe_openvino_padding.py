"""Prediction with each exported variant at batch widths padded to a multiple of 1 and of 8, each
timed in a fresh process (the kernels OpenVINO and oneDNN prepare per input shape are cached per
process, so a second model in the same process would find them ready). The first pass over the gold
× 20 (2,100 sentences), as `make bench` times it. Needs the folder the bench wrote
(.cache/bench-predict-published).

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=2 .venv/bin/python scripts/probe_openvino_padding.py [ROUNDS] [FOLDER]
"""

import subprocess
import sys
import time
from pathlib import Path

FOLDER = Path(__file__).resolve().parents[1] / ".cache" / "bench-predict-published"
REPEAT = 20


def one_pass(folder: Path, variant: str, multiple: int) -> None:
    from arastance.bench.prediction import predict_inputs
    from arastance.predict.documents import predict_documents
    from arastance.publish.onnx_gate import load_onnx_variant
    from arastance.tasks import NER

    documents, sentences = predict_inputs(REPEAT)
    model = load_onnx_variant(folder, NER, variant)
    model.loaded.model.pad_to_multiple_of = multiple
    predict_documents(documents[:1], ner=model)  # warm-up, as the bench does
    started = time.perf_counter()
    predict_documents(documents, ner=model)
    print(f"{len(sentences) / (time.perf_counter() - started):.1f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        one_pass(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
        sys.exit(0)
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else FOLDER
    for variant in ("openvino-int8", "int8"):
        for multiple in (1, 8):
            runs = [
                subprocess.run(
                    [sys.executable, __file__, "--one", str(folder), variant, str(multiple)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()[-1]
                for _ in range(rounds)
            ]
            print(f"{variant}, widths × {multiple}: {' / '.join(runs)} sentences/s", flush=True)
