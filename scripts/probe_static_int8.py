"""The static-int8 steps of README's "CPU prediction backends": OpenVINO (bf16 on the fp32 graph; NNCF
static int8 with the float parts in bf16 or f32) and ONNX Runtime static QDQ int8 (MatMul only, MinMax
calibration), each through `predict_documents` on the gold documents, with its agreement with torch
and F1 difference on the gold (the gate's figures). Needs a folder the bench wrote (`make bench
BENCH=quick` leaves .cache/bench-predict-published: the trained base-shaped model, onnx/ exported) and
the openvino extra.

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=2 .venv/bin/python scripts/probe_static_int8.py [FOLDER]
"""

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import nncf
import openvino as ov
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static

from arastance.bench.prediction import predict_inputs
from arastance.models.onnx_backend import ExportedModel, OnnxModel, threads_for_session
from arastance.models.openvino_backend import compile_properties
from arastance.predict.documents import load_published_model, predict_documents
from arastance.publish.onnx_gate import agreement, calibration_feeds, gold_units, headline_score, load_onnx_variant
from arastance.tasks import NER

folder = (
    Path(sys.argv[1])
    if len(sys.argv) > 1
    else Path(__file__).resolve().parents[1] / ".cache" / "bench-predict-published"
)
fp32_onnx = folder / "onnx" / "model.onnx"
documents, sentences = predict_inputs(2)
units = gold_units(NER, {})
torch_model = load_published_model(folder, NER, "cpu", "torch")
reference = torch_model.predictor.predict(units)
reference_score = headline_score(reference, torch_model)
template = load_onnx_variant(folder, NER, "fp32")  # tokenizer and settings; the runtime is swapped below
feeds = calibration_feeds(folder, NER, 300, 1)


class OpenVino(ExportedModel):
    def __init__(self, model: object, precision: str) -> None:
        super().__init__(fp32_onnx, f"openvino {precision}")
        compiled = ov.Core().compile_model(model, "CPU", compile_properties(precision, threads_for_session()))
        self.input_names = {port.get_any_name() for port in compiled.inputs}
        self.request, self.output = compiled.create_infer_request(), compiled.output("logits")

    def logits(self, batch):
        return self.request.infer(self.feed(batch))[self.output]


def report(name: str, runtime: ExportedModel) -> None:
    model = replace(template, predictor=replace(template.predictor.with_model(runtime), precision=name))
    predictions = model.predictor.predict(units)
    agree, difference = (
        agreement(reference.labels, predictions.labels, True),
        abs(headline_score(predictions, model) - reference_score),
    )
    predict_documents(documents[:1], ner=model)
    best = (float("inf"), float("inf"))
    for _ in range(2):
        wall, cpu = time.perf_counter(), time.process_time()
        predict_documents(documents, ner=model)
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    load = open("/proc/loadavg").read().split()[0]
    print(
        f"{name:44s} {len(sentences) / best[0]:6.1f} sent/s {len(sentences) / best[1]:6.1f} sent/CPU-s agreement "
        f"{agree:.4f} F1 difference {difference:.4f} (load {load})",
        flush=True,
    )


fp32_graph = ov.Core().read_model(str(fp32_onnx))
report("openvino bf16 (fp32 graph)", OpenVino(fp32_graph, "bf16"))
quantized = nncf.quantize(
    fp32_graph, nncf.Dataset(feeds), model_type=nncf.ModelType.TRANSFORMER, subset_size=len(feeds)
)
report("openvino nncf static int8, float parts bf16", OpenVino(quantized, "bf16"))
report("openvino nncf static int8, float parts f32", OpenVino(quantized, "f32"))


class Feeds(CalibrationDataReader):
    def __init__(self) -> None:
        self.remaining = iter(feeds)

    def get_next(self):
        return next(self.remaining, None)


# Percentile/entropy calibration is not here: ORT's histogram collector needs equal shapes across
# calibration batches, and prediction's batches have different widths.
for name, options in {
    "ort static QDQ MatMul u8s8 per-channel MinMax": dict(activation_type=QuantType.QUInt8, per_channel=True),
    "ort static QDQ MatMul s8s8 per-tensor MinMax": dict(activation_type=QuantType.QInt8, per_channel=False),
}.items():
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "static.onnx"
        quantize_static(
            str(fp32_onnx),
            str(target),
            Feeds(),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=["MatMul"],
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            **options,
        )
        report(name, OnnxModel(target, name, threads_for_session()))
report(
    "ort dynamic int8 (onnx/model-int8.onnx)",
    OnnxModel(folder / "onnx" / "model-int8.onnx", "int8", threads_for_session()),
)
report("openvino-int8 as published (openvino/)", load_onnx_variant(folder, NER, "openvino-int8").loaded.model)
