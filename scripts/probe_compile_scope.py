"""Cold-start and steady step time of one BERT-base training step under each trainer.compile_scope: the
first pass over a few batch shapes (which includes compilation) and the mean of the next steps. On
the device torch picks (CUDA if there is one), bf16 autocast, the bench's random-init AraBERT-shaped
model, the loop's compile_model and dynamic batch sizes. One process per scope, so no compiled code
is shared between them (inductor's on-disk cache is pointed at a fresh folder per run).

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 .venv/bin/python scripts/probe_compile_scope.py [eager regions model]
"""

import json
import os
import subprocess
import sys
import tempfile
import time

SHAPES = [(8, 32), (6, 40), (10, 24)]  # (rows, width): three shapes, so a dynamic graph has to serve them
STEADY_STEPS = 6


def one_scope(scope: str) -> dict:
    import torch

    from arastance.bench.inputs import load_ner_model
    from arastance.bench.run import bench_models
    from arastance.training.loop import compile_model

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = load_ner_model(bench_models()["base"]).to(device).train()
    if scope != "eager":
        model = compile_model(model, "default", scope)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    generator = torch.Generator().manual_seed(0)

    def step(rows: int, width: int) -> None:
        ids = torch.randint(5, 1000, (rows, width), generator=generator).to(device)
        labels = torch.randint(0, 3, (rows, width), generator=generator).to(device)
        for dim in (0, 1):
            torch._dynamo.maybe_mark_dynamic(ids, dim)
            torch._dynamo.maybe_mark_dynamic(labels, dim)
        with torch.autocast(device, dtype=torch.bfloat16):
            loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device == "cuda":
            torch.cuda.synchronize()

    start = time.perf_counter()
    for shape in SHAPES:
        step(*shape)
    first_pass = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(STEADY_STEPS):
        step(*SHAPES[i % len(SHAPES)])
    steady = (time.perf_counter() - start) / STEADY_STEPS
    return {"scope": scope, "device": device, "first_pass_s": round(first_pass, 1), "steady_step_s": round(steady, 3)}


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(one_scope(sys.argv[2])))
        sys.exit(0)
    for scope in sys.argv[1:] or ["eager", "regions", "model"]:
        with tempfile.TemporaryDirectory() as cache:
            env = os.environ | {"TORCHINDUCTOR_CACHE_DIR": cache}
            done = subprocess.run([sys.executable, __file__, "--one", scope], env=env, capture_output=True, text=True)
        print(
            done.stdout.strip().splitlines()[-1] if done.returncode == 0 else f"{scope}: failed\n{done.stderr[-2000:]}",
            flush=True,
        )
