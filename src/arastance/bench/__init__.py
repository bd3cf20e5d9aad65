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
- predict/ours: the path `arastance predict` takes (`models.predictor.Predictor`), torch;
- predict/onnx_fp32, predict/onnx_int8: the same path on ONNX Runtime, exported and gated against
  torch as `arastance publish` does it (bench.prediction), each row with its word agreement; the
  prediction ratio uses the fastest row whose gate passed. They run on the base-shaped model as the
  training rows left it (trained for an epoch: a random head's argmax is too fragile to gate);
- demo/idle, demo/loaded: `arastance demo` alone and beside one busy process (bench.load).

Figures: real (non-pad) tokens/s over the timed steps (after warm-up), padded fraction of computed
token positions, median step time, peak memory; sentences/s for prediction. Results go to
reports/bench/bench.json and bench.md.

    python -m arastance.bench --mode quick|full [--threads 2] [--out reports/bench]

Modules: inputs.py (plans, hyper-parameters, data, models), training.py and prediction.py (the
workers), run.py (the driver), report.py (machine, ratios, MFU, the table), cli.py (the command).
"""
