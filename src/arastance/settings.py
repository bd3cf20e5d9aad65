"""Typed settings, built once from a config at an entry point; the stages take these, never the raw
config. Field names are the config keys (configs/<group>/*.yaml documents each of them).

Each setting is defined once, here: its field, its default and the rule its value must follow (the
field's metadata, `setting(default, check)`). `tests/test_config_validation.py` fails when a yaml
default and its field disagree, or a yaml key has no field. Why dataclass metadata and not hydra
structured configs: the same rules must read a run's saved config.yaml without hydra (`evaluate`,
`publish`, `predict`), OmegaConf's types cannot say "'auto' or an integer >= 1" or "a number > 0 and
< 1", and a structured-config schema would raise hydra's own errors (with their own wording and exit
status) instead of one message listing every problem.

`checked(cls, raw)` is the one mechanism: every key is looked up in the fields (an unknown key, a `+key`
typo included, is refused with the known keys and the closest match), every value is checked by its
field's rule, then the cross-key rules run on the built settings. `from_config` does it for a composed
config (`arastance train`, the demo, sweeps) and for a run's saved config.yaml (`evaluate`, `publish`,
`predict` on a run's best/); a key missing from an older saved config takes the default below. The
files read without hydra (configs/onnx/export.yaml, configs/threads.yaml) go through it too.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from arastance.errors import ConfigError
from arastance.tasks import TASKS

T = TypeVar("T")

# --------------------------------------------------------------------------- rules
#
# A value out of range must never train something else than asked (`trainer.max_steps=-5` once trained
# nothing and kept the random model), and a key the code does not read must never be stored and
# ignored. The ranges and choices are facts about the code, not tunable hyper-parameters; the values
# live in configs/.

AUTO = "auto"
PRECISIONS = ("bf16", "fp32")
# torch.compile's modes (torch.compile's `mode` argument).
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
# What torch.compile compiles: the repeated blocks and the rest one module at a time (Accelerate's
# regional compilation), or the whole model as one graph.
COMPILE_SCOPES = ("regions", "model")
# Experiment trackers the loop can open through Accelerate (training/trackers.py).
TRACKERS = ("tensorboard", "mlflow")
# corpus/normalize.py NORMALIZERS' names (a test keeps the two equal: corpus sits above settings).
NORMALIZATIONS = ("arabert_v02", "none")
# How a document's stance comes from its sentences (models/predictor.py document_stances).
DOC_AGGREGATIONS = ("majority_non_none", "mean_prob")
# data.split: leave-one-document-out, the listed documents, or the extra records alone (gold/splits.py).
SPLITS = ("cv", "fixed", "external")
OPENVINO_PRECISIONS = ("bf16", "f32")  # OpenVINO's INFERENCE_PRECISION_HINT values
WAIT_POLICIES = ("passive", "active", "")  # OMP_WAIT_POLICY's values; "": left to the OpenMP library


@dataclass(frozen=True)
class Check:
    """What a value of one key must be: a predicate on the raw value and the allowed values in words."""

    accepts: Callable[[Any], bool]
    allowed: str


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def integer(low: int, high: int | None = None, note: str = "") -> Check:
    allowed = f"an integer >= {low}" if high is None else f"an integer from {low} to {high}"
    return Check(lambda v: _is_int(v) and v >= low and (high is None or v <= high), allowed + note)


def auto_or_integer(low: int) -> Check:
    return Check(lambda v: v == AUTO or (_is_int(v) and v >= low), f"'{AUTO}' or an integer >= {low}")


def number(low: float, high: float | None = None, low_open: bool = False, high_open: bool = False) -> Check:
    def accepts(v: Any) -> bool:
        if not _is_number(v):
            return False
        above = v > low if low_open else v >= low
        below = high is None or (v < high if high_open else v <= high)
        return above and below

    bound = f"> {low}" if low_open else f">= {low}"
    if high is not None:
        bound += f" and {'<' if high_open else '<='} {high}"
    return Check(accepts, f"a number {bound}")


def one_of(choices: Sequence[str]) -> Check:
    return Check(lambda v: isinstance(v, str) and v in choices, "one of " + ", ".join(choices))


def boolean() -> Check:
    return Check(lambda v: isinstance(v, bool), "true or false")


def text(what: str = "text") -> Check:
    return Check(lambda v: isinstance(v, str) and v.strip() != "", f"{what} (not empty)")


def optional(check: Check) -> Check:
    return Check(lambda v: v is None or check.accepts(v), f"null or {check.allowed}")


def list_of(check: Check, what: str) -> Check:
    return Check(lambda v: isinstance(v, (list, tuple)) and all(check.accepts(x) for x in v), f"a list of {what}")


def pair_of(check: Check) -> Check:
    return Check(
        lambda v: isinstance(v, (list, tuple)) and len(v) == 2 and all(check.accepts(x) for x in v),
        f"two numbers, each {check.allowed.removeprefix('a number ')}",
    )


def keys(known: Mapping[str, Check], required: Sequence[str] = ()) -> Check:
    """A mapping whose keys are among `known` (those in `required` present), each value by its rule."""

    def accepts(v: Any) -> bool:
        return (
            isinstance(v, Mapping)
            and all(k in known and known[k].accepts(x) for k, x in v.items())
            and all(k in v for k in required)
        )

    rules = ", ".join(f"{k}: {c.allowed}" for k, c in known.items())
    needs = f"; {', '.join(required)} required" if required else ""
    return Check(accepts, f"a mapping of {rules}{needs}")


def setting(default: Any = None, check: Check | None = None, *, factory: Callable[[], Any] | None = None) -> Any:
    """A settings field with its rule (the field's metadata): the one place a config key is defined."""
    metadata = {"check": check} if check is not None else {}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def group(cls: type) -> Any:
    """A nested section (`trainer`, `eval.bootstrap`): its keys are the fields of `cls`."""
    return field(default_factory=cls, metadata={"section": cls})


def not_a_key(default: Any) -> Any:
    """A field the code adds (the resolved config text), never read from a config."""
    return field(default=default, metadata={"key": False})


_NON_NEGATIVE = number(0.0)
_FRACTION = number(0.0, 1.0)
_DOC_IDS = optional(list_of(text("a document id"), "document ids"))

# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class TaskSettings:
    name: str = setting("ner", one_of(tuple(TASKS)))
    # The dev metric (early stopping, best/); which ones a task has is the task's (tasks.py dev_metrics).
    metric: str = setting("micro_f1", text("a metric name"))
    class_weights: bool = setting(False, boolean())
    context: Mapping[str, Any] = setting(
        check=keys({"title": boolean(), "title_min_words": integer(1), "previous": boolean()}), factory=dict
    )
    doc_aggregation: str = setting("majority_non_none", one_of(DOC_AGGREGATIONS))
    doc_threshold: float = setting(0.15, _FRACTION)


_TINY_SPEC = {
    "vocab_size": integer(8),
    "min_frequency": integer(1),
    "hidden_size": integer(1),
    "num_hidden_layers": integer(1),
    "num_attention_heads": integer(1),
    "intermediate_size": integer(1),
    "max_position_embeddings": integer(8),
    "init_seed": integer(0),
}


@dataclass(frozen=True)
class ModelSettings:
    # The defaults are configs/model/arabert_v02.yaml's, the model train.yaml picks.
    name: str = setting("arabert_v02", text("a model name"))
    pretrained: str | None = setting("aubmindlab/bert-base-arabertv02", optional(text("a hub id or a folder")))
    normalization: str = setting("arabert_v02", one_of(NORMALIZATIONS))
    max_length: int = setting(512, integer(8))
    connect_timeout_s: float = setting(5.0, number(0.0, low_open=True))
    tiny: Mapping[str, Any] | None = setting(
        None, optional(keys(_TINY_SPEC, required=[k for k in _TINY_SPEC if k != "min_frequency"]))
    )


@dataclass(frozen=True)
class TrainerSettings:
    learning_rate: float = setting(5.0e-5, number(0.0, 1.0, low_open=True))
    weight_decay: float = setting(0.01, _NON_NEGATIVE)
    adam_betas: tuple[float, float] = setting((0.9, 0.999), pair_of(number(0.0, 1.0, high_open=True)))
    adam_eps: float = setting(1.0e-8, number(0.0, low_open=True))
    warmup_ratio: float = setting(0.1, _FRACTION)
    max_grad_norm: float = setting(1.0, _NON_NEGATIVE)
    num_epochs: int = setting(10, integer(1))
    max_steps: int = setting(0, integer(0, note=" (0: train for trainer.num_epochs)"))
    gradient_accumulation_steps: int = setting(1, integer(1))
    max_tokens: int | str = setting(AUTO, auto_or_integer(1))
    step_tokens: int = setting(0, integer(0, note=" (0: max_tokens x gradient_accumulation_steps)"))
    probe_budgets: tuple[int, ...] = setting(
        (4096, 8192, 16384, 32768, 65536, 131072), list_of(integer(1), "token budgets (integers >= 1)")
    )
    probe_memory_share: float = setting(0.85, number(0.0, 1.0, low_open=True))
    max_rows: int | str = setting(AUTO, auto_or_integer(1))
    pool_factor: int = setting(50, integer(1))
    pad_to_multiple_of: int | str = setting(AUTO, auto_or_integer(1))
    precision: str = setting("bf16", one_of(PRECISIONS))
    eval_steps: int = setting(0, integer(0, note=" (0: at the end of each epoch)"))
    save_steps: int = setting(0, integer(0, note=" (0: by time, every save_every_seconds)"))
    save_every_seconds: float = setting(600.0, number(0.0))
    keep_checkpoints: int = setting(2, integer(0, note=" (0: keep all)"))
    early_stopping_patience: int = setting(3, integer(0, note=" (0: never stop early)"))
    log_steps: int = setting(10, integer(1))
    eval_batch_tokens: int | str = setting(AUTO, auto_or_integer(1))
    cpu_keep_freed_memory: bool = setting(True, boolean())
    compile: bool = setting(False, boolean())
    compile_mode: str = setting("default", one_of(COMPILE_MODES))
    compile_scope: str = setting("regions", one_of(COMPILE_SCOPES))
    torch_threads: int = setting(0, integer(0, note=" (0: torch's default)"))
    progress_bar: bool = setting(True, boolean())
    trackers: tuple[str, ...] = setting(
        ("tensorboard",), list_of(one_of(TRACKERS), "trackers from: " + ", ".join(TRACKERS))
    )


@dataclass(frozen=True)
class DataSettings:
    split: str = setting("cv", one_of(SPLITS))
    dev_docs: int = setting(1, integer(0))
    folds: tuple[int, ...] | None = setting(None, optional(list_of(integer(0), "fold indices (integers >= 0)")))
    stride: int = setting(128, integer(0))
    train_docs: tuple[str, ...] | None = setting(None, _DOC_IDS)
    dev_docs_ids: tuple[str, ...] | None = setting(None, _DOC_IDS)
    test_docs: tuple[str, ...] | None = setting(None, _DOC_IDS)
    extra_records: tuple[str, ...] = setting((), list_of(text("a file"), "files"))
    extra_ratio: float | None = setting(None, optional(number(0.0, low_open=True)))
    # An `O` word of an extra record whose corpus declares `unannotated:` labels trains as "O or one of
    # those" (features/partial.py), not as O.
    partial_labels: bool = setting(False, boolean())
    # A corpus's own test split (converted records), scored after training beside the gold (evaluation/test_sets.py).
    eval_records: tuple[str, ...] = setting((), list_of(text("a file"), "files"))
    # null: the gold schema's labels. A corpus label map (configs/corpus/NAME.yaml): train and score on its
    # `native_labels` (data=external only; corpus/external.py native_schema).
    labels: str | None = setting(None, optional(text("a corpus label map file")))
    # Nested search (configs/hparams_search/*_nested.yaml): CV fold K's test document is left out of
    # the whole run, which cross-validates over the other documents. None: every document is used.
    outer_fold: int | None = setting(None, optional(integer(0)))

    @property
    def has_dev(self) -> bool:
        return self.dev_docs >= 1 if self.split == "cv" else bool(self.dev_docs_ids)


_FOLDER = text("a folder")


@dataclass(frozen=True)
class PathSettings:
    # The defaults are configs/paths/default.yaml's without ARASTANCE_ROOT / ARASTANCE_CACHE.
    root: Path = setting(Path("."), _FOLDER)
    annotations_dir: Path = setting(Path("annotations"), _FOLDER)
    gold_dir: Path = setting(Path("annotations/gold"), _FOLDER)
    documents_dir: Path = setting(Path("annotations/documents"), _FOLDER)
    output_dir: Path = setting(Path("outputs"), _FOLDER)
    cache_dir: Path = setting(Path(".cache"), _FOLDER)


@dataclass(frozen=True)
class BootstrapConfig:
    n: int = setting(1000, integer(1))
    seed: int = setting(0, integer(0))
    confidence: float = setting(0.95, number(0.0, 1.0, low_open=True, high_open=True))


@dataclass(frozen=True)
class EvalSettings:
    """configs/eval/: the report's settings (evaluate, report, the demo)."""

    bootstrap: BootstrapConfig = group(BootstrapConfig)
    baselines: bool = setting(True, boolean())
    plots: bool = setting(True, boolean())
    top_errors: int = setting(20, integer(1))


@dataclass(frozen=True)
class InferenceSettings:
    """What turning a model's outputs into predictions needs (training-time dev scoring, evaluate, predict)."""

    task: TaskSettings
    stride: int
    eval_batch_tokens: int | str
    max_rows: int | str
    pool_factor: int
    pad_to_multiple_of: int | str


@dataclass(frozen=True)
class RunSettings:
    """configs/train.yaml composed: one training run (and what a run's saved config.yaml holds)."""

    seed: int = setting(42, integer(0, 2**32 - 1, " (not a float, not text)"))
    resume: bool = setting(False, boolean())
    # config keys a resume may change (training/resume.py)
    resume_allow_changes: tuple[str, ...] = setting(
        (), Check(list_of(text(), "").accepts, "a list of config keys, e.g. [trainer.max_steps]")
    )
    run_dir: Path = setting(Path("."), _FOLDER)
    task: TaskSettings = group(TaskSettings)
    model: ModelSettings = group(ModelSettings)
    trainer: TrainerSettings = group(TrainerSettings)
    data: DataSettings = group(DataSettings)
    paths: PathSettings = group(PathSettings)
    eval: EvalSettings = group(EvalSettings)
    config_yaml: str = not_a_key("")  # the resolved config, saved with the run

    @property
    def inference(self) -> InferenceSettings:
        return InferenceSettings(
            task=self.task,
            stride=self.data.stride,
            eval_batch_tokens=self.trainer.eval_batch_tokens,
            max_rows=self.trainer.max_rows,
            pool_factor=self.trainer.pool_factor,
            pad_to_multiple_of=self.trainer.pad_to_multiple_of,
        )

    def problems(self) -> list[str]:
        """The rules between keys (each key's own rule has passed)."""
        found = []
        spec = TASKS[self.task.name]
        if self.task.metric not in spec.dev_metrics:
            found.append(
                f"task.metric={self.task.metric!r}: task {spec.name} has no such dev metric; "
                f"choose one of {', '.join(spec.dev_metrics)}"
            )
        if self.trainer.max_tokens != AUTO and int(self.trainer.max_tokens) < self.model.max_length:
            # A budget below one full window would put every window in a batch of its own.
            found.append(
                f"trainer.max_tokens={self.trainer.max_tokens}: must be at least model.max_length "
                f"({self.model.max_length}), so a full window fits a batch"
            )
        if self.trainer.step_tokens and self.trainer.gradient_accumulation_steps != 1:
            found.append(
                f"trainer.step_tokens={self.trainer.step_tokens} sets the accumulation itself: leave "
                f"trainer.gradient_accumulation_steps at 1 (it is {self.trainer.gradient_accumulation_steps})"
            )
        if not self.trainer.probe_budgets:
            found.append("trainer.probe_budgets: give at least one token budget")
        if not self.model.pretrained and not self.model.tiny:
            found.append(NO_MODEL_SOURCE)
        return found + _data_problems(self.data, spec.per_word, spec.name)


NO_MODEL_SOURCE = (
    "model.pretrained is not set (and the model config builds no tiny model): give a hub id or a folder, e.g. "
    "stage 2 of the two-stage recipe starts from stage 1's run: model.pretrained=outputs/ner-stage1/best"
)


def _data_problems(data: DataSettings, per_word: bool, task: str) -> list[str]:
    found = []
    if data.extra_records and not per_word:
        found.append(
            f"data.extra_records is set (task={task}), but extra records are NER sentences (tokens and tags, "
            "no stance): use them with task=ner, or drop data.extra_records"
        )
    if data.split == "external" and not data.extra_records:
        found.append("data=external trains on data.extra_records alone: give data.extra_records=[FILE.jsonl,...]")
    if data.eval_records and not per_word:
        found.append(f"data.eval_records holds NER sentences and task={task}: use them with task=ner")
    if data.labels and (not per_word or data.split != "external"):
        # The gold has our schema's labels only: a corpus's own labels can be trained on that corpus alone.
        found.append(
            f"data.labels={data.labels!r} trains on a corpus's own labels, which the gold does not have: "
            f"it needs task=ner and data=external (got task={task}, data.split={data.split})"
        )
    if data.partial_labels and not data.extra_records:
        found.append(
            "data.partial_labels=true reads the `unannotated` labels of data.extra_records, and none are given: "
            "give data.extra_records=[FILE.jsonl,...] or drop data.partial_labels"
        )
    if data.partial_labels and data.labels:
        found.append(
            f"data.partial_labels=true with data.labels={data.labels!r}: on its own labels a corpus annotates every "
            "type it has, so there is nothing to leave open: drop data.partial_labels"
        )
    if data.split == "external" and data.extra_ratio is not None:
        found.append(
            f"data.extra_ratio={data.extra_ratio!r}: scales the extra records to the gold training sentences, "
            "and data=external has none: set data.extra_ratio=null"
        )
    return found


@dataclass(frozen=True)
class EvaluateSettings:
    """configs/evaluate.yaml composed: re-scoring a finished run."""

    run_dir: Path = setting(Path("."), _FOLDER)
    # Where the report goes; its default in evaluate.yaml is <run_dir>/report.
    report_dir: Path = setting(Path("report"), _FOLDER)
    title: str | None = setting(None, optional(text()))
    progress: bool = setting(False, boolean())
    # A corpus's test split(s) scored with the run's models; null: the run's own data.eval_records.
    eval_records: tuple[str, ...] | None = setting(None, optional(list_of(text("a file"), "files")))
    paths: PathSettings = group(PathSettings)
    eval: EvalSettings = group(EvalSettings)


@dataclass(frozen=True)
class ExportSettings:
    """configs/onnx/export.yaml (documents each field): `arastance publish`'s export and its gate."""

    opset: int = setting(17, integer(1))
    optimize: bool = setting(False, boolean())  # ORT's offline transformer fusions (attention, LayerNorm, GELU)
    int8: bool = setting(True, boolean())  # also write the dynamic int8 variant
    # also write NNCF's static int8 OpenVINO variant (when openvino + nncf are installed)
    openvino_int8: bool = setting(True, boolean())
    # at most this many prediction batches of the gold calibrate it
    openvino_calibration_batches: int = setting(300, integer(1))
    # the float parts: bf16 | f32 (OpenVINO's INFERENCE_PRECISION_HINT)
    openvino_inference_precision: str = setting("bf16", one_of(OPENVINO_PRECISIONS))
    # prediction batches' width rounded up to this for the OpenVINO variant
    openvino_pad_to_multiple_of: int = setting(8, integer(1))
    min_word_agreement: float = setting(0.99, _FRACTION)
    max_f1_difference: float = setting(0.01, _NON_NEGATIVE)


@dataclass(frozen=True)
class ThreadPolicy:
    """configs/threads.yaml (documents each field): threads and their wait policy (models/threads.py)."""

    threads: int | str = setting(AUTO, auto_or_integer(1))  # auto: free cores; N: exactly N
    # OMP_WAIT_POLICY: passive | active | "" (the library's default)
    wait_policy: str = setting("", Check(lambda v: v in WAIT_POLICIES, 'passive, active or "" (the library\'s)'))
    # other processes' use of a core from which it counts as busy
    busy_share: float = setting(0.5, number(0.0, 1.0, low_open=True))
    sample_seconds: float = setting(0.2, _NON_NEGATIVE)
    # between two looks at the load while the command runs; 0: never again (the count chosen at start stays)
    recheck_seconds: float = setting(1.0, _NON_NEGATIVE)
    # looks in a row that must find a core free again before a thread is added back
    raise_after: int = setting(2, integer(1))


@dataclass(frozen=True)
class PredictWarnings:
    """configs/predict.yaml: the warnings of the commands that predict on raw documents (predict/unknown.py)."""

    # a document where at least this share of the words reach the model as [UNK] is reported
    unknown_words_warning_share: float = setting(0.5, number(0.0, 1.0, low_open=True))


@dataclass(frozen=True)
class PageSettings:
    """configs/pages.yaml: HTML pages of predictions (view/)."""

    # up to this many documents one page holds them all; above it, an index and one page per document
    documents_per_page: int = setting(50, integer(1))


# --------------------------------------------------------------------------- reading a config


def _plain(node: Any) -> Any:
    """A config node as plain Python (OmegaConf containers resolved), anything else unchanged.

    A mandatory value left unset (`???`) or an interpolation that cannot resolve is a config error
    naming the key, not an internal error."""
    if not type(node).__module__.startswith("omegaconf"):
        return node  # plain YAML (threads.yaml is read before anything heavy loads: no omegaconf import)
    from omegaconf import DictConfig, ListConfig, OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    if not isinstance(node, (DictConfig, ListConfig)):
        return node
    try:
        return OmegaConf.to_container(node, resolve=True, throw_on_missing=True)
    except OmegaConfBaseException as err:
        key = getattr(err, "full_key", None) or "?"
        raise ConfigError(f"{key}: {err.msg if hasattr(err, 'msg') else err}") from None


def _coerce(value: Any, default: Any) -> Any:
    """The config value in the shape of the dataclass default (tuples for lists, Path for paths)."""
    if isinstance(default, Path) and value is not None:
        return Path(str(value))
    if isinstance(value, list):
        return tuple(value)
    return value


def config_fields(cls: type) -> dict[str, dataclasses.Field[Any]]:
    """The fields of a settings dataclass that are config keys."""
    return {f.name: f for f in dataclasses.fields(cls) if f.metadata.get("key", True)}


def unknown_key(dotted: str, known: Sequence[str]) -> str:
    """The message for a key no field defines: the closest known key, and all of them."""
    parent, _, name = dotted.rpartition(".")
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {parent + '.' if parent else ''}{close[0]}?)" if close else ""
    where = f"the keys of {parent} are" if parent else "the top-level keys are"
    return f"{dotted}: unknown key{hint}; {where}: {', '.join(known)}"


def key_problems(cls: type, raw: Mapping[str, Any], prefix: str = "") -> list[str]:
    """One line per unknown key and per value its field's rule refuses (absent keys take defaults)."""
    known = config_fields(cls)
    found: list[str] = []
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        f = known.get(str(key))
        if f is None:
            found.append(unknown_key(dotted, list(known)))
        elif "section" in f.metadata:
            if isinstance(value, Mapping):
                found.extend(key_problems(f.metadata["section"], value, dotted + "."))
            else:
                found.append(
                    f"{dotted}={value!r}: must be a mapping of {', '.join(config_fields(f.metadata['section']))}"
                )
        elif "check" in f.metadata and not f.metadata["check"].accepts(value):
            found.append(f"{dotted}={value!r}: must be {f.metadata['check'].allowed}")
    return found


def build(cls: type[T], raw: Mapping[str, Any]) -> T:
    """A settings dataclass from checked keys; keys left out take the field's default."""
    values = {}
    for name, f in config_fields(cls).items():
        if name not in raw:
            continue
        if "section" in f.metadata:
            values[name] = build(f.metadata["section"], raw[name])
        else:
            default = f.default if f.default is not dataclasses.MISSING else None
            values[name] = _coerce(raw[name], default)
    return cls(**values)


def config_problems(raw: Mapping[str, Any], cls: type = RunSettings, prefix: str = "") -> list[str]:
    """Every problem of a plain config, one line each: unknown keys and values out of range, and once
    each key passes, the rules between keys (the settings' `problems()`)."""
    found = key_problems(cls, raw, prefix)
    if found:
        return found
    rules = getattr(build(cls, raw), "problems", None)
    return rules() if rules is not None else []


def checked(cls: type[T], cfg: Any, source: str = "", prefix: str = "", **extra: Any) -> T:
    """Settings from a config (a composed hydra config, a saved config.yaml, a plain mapping), with every
    problem in one ConfigError. `source`: the file it came from; `prefix`: where the section sits
    ("eval."), both named in the message. `extra`: fields that are not config keys."""
    raw = _plain(cfg)
    if raw is None:
        raw = {}
    where = f"{source}: " if source else ""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}not a config (a mapping of keys to values expected)")
    found = config_problems(raw, cls, prefix)
    if found:
        fix = "Fix it in that file." if source else "Fix it in configs/ or on the command line."
        raise ConfigError(where + "; ".join(found) + ". " + fix)
    settings = build(cls, raw)
    return dataclasses.replace(settings, **extra) if extra else settings  # type: ignore[type-var]  # every T here is a settings dataclass; mypy cannot bound a type[T]


def from_config(cfg: Any, config_yaml: str = "", source: str = "") -> RunSettings:
    """RunSettings from a composed hydra config or a run's saved config.yaml (`source`: its path, named in
    the message); every key and value checked first."""
    return checked(RunSettings, cfg, source, config_yaml=config_yaml)


def validate_training_config(cfg: Any) -> None:
    """Raise a ConfigError listing every problem of a training config; nothing is read or written."""
    from_config(cfg)


def read_saved_config(path: Path) -> RunSettings:
    """A run's saved config.yaml (or a published folder's training_config.yaml) as checked settings.

    A key that config lacks (saved by an older version) takes today's default; a key or value today's
    rules refuse is a config error naming the file."""
    import yaml

    try:
        text_ = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text_)
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read the run's config ({err})") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    # The task has no default here: a file that does not name it is not a run's config.
    if not isinstance(raw, Mapping) or not isinstance(raw.get("task"), Mapping) or "name" not in raw["task"]:
        raise ConfigError(f"{path}: not a training config (no task.name)")
    return from_config(raw, text_, source=str(path))


def flatten_config(node: Any, prefix: str = "") -> dict[str, Any]:
    """A config as dotted keys ({"trainer": {"max_steps": 60}} → {"trainer.max_steps": 60}); lists stay
    values (a changed list is one change), an empty mapping is a value."""
    if not isinstance(node, Mapping):
        return {prefix: node} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in node.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            flat.update(flatten_config(value, dotted))
        else:
            flat[dotted] = value
    return flat


def section(cls: type[T], node: Any) -> T:
    """A settings dataclass from one config section (bench's trainer defaults), checked like the rest."""
    return checked(cls, node)
