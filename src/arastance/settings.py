"""Typed settings, built once from the hydra config at an entry point; the stages take these, never the
raw config. Field names are the config keys (configs/<group>/*.yaml documents each of them).

`from_config` reads a composed config (`arastance train`) or a run's saved config.yaml (`evaluate`,
`predict` on a run's best/); a key missing from an older saved config takes the default below.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from arastance.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class TaskSettings:
    name: str = "ner"
    metric: str = "micro_f1"
    class_weights: bool = False
    context: Mapping[str, Any] = field(default_factory=dict)
    doc_aggregation: str = "majority_non_none"
    doc_threshold: float = 0.15


@dataclass(frozen=True)
class ModelSettings:
    name: str = "tiny"
    pretrained: str | None = None
    normalization: str = "arabert_v02"
    max_length: int = 512
    connect_timeout_s: float = 5.0
    tiny: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class TrainerSettings:
    learning_rate: float = 5.0e-5
    weight_decay: float = 0.01
    adam_betas: tuple[float, float] = (0.9, 0.999)
    adam_eps: float = 1.0e-8
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    num_epochs: int = 10
    max_steps: int = 0
    gradient_accumulation_steps: int = 1
    max_tokens: int = 4096
    max_rows: int | str = "auto"
    pool_factor: int = 50
    pad_to_multiple_of: int | str = "auto"
    precision: str = "bf16"
    eval_steps: int = 0
    save_steps: int = 0
    keep_checkpoints: int = 2
    early_stopping_patience: int = 3
    log_steps: int = 10
    eval_batch_tokens: int | str = "auto"
    cpu_keep_freed_memory: bool = True
    compile: bool = False
    compile_mode: str = "default"
    compile_scope: str = "regions"
    torch_threads: int = 0
    progress_bar: bool = True
    trackers: tuple[str, ...] = ("tensorboard",)


@dataclass(frozen=True)
class DataSettings:
    split: str = "cv"
    dev_docs: int = 1
    folds: tuple[int, ...] | None = None
    stride: int = 128
    train_docs: tuple[str, ...] = ()
    dev_docs_ids: tuple[str, ...] = ()
    test_docs: tuple[str, ...] = ()
    extra_records: tuple[str, ...] = ()
    extra_ratio: float | None = None
    # Nested search (configs/hparams_search/*_nested.yaml): CV fold K's test document is left out of
    # the whole run, which cross-validates over the other documents. None: every document is used.
    outer_fold: int | None = None


@dataclass(frozen=True)
class PathSettings:
    annotations_dir: Path = Path("annotations")
    gold_dir: Path = Path("annotations/gold")
    documents_dir: Path = Path("annotations/documents")
    output_dir: Path = Path("outputs")
    cache_dir: Path = Path(".cache")


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
    seed: int
    resume: bool
    run_dir: Path
    task: TaskSettings
    model: ModelSettings
    trainer: TrainerSettings
    data: DataSettings
    paths: PathSettings
    config_yaml: str  # the resolved config, saved with the run
    resume_allow_changes: tuple[str, ...] = ()  # config keys a resume may change (training/resume.py)

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


def _plain(node: Any) -> Any:
    """A config node as plain Python (OmegaConf containers resolved), anything else unchanged."""
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf
    except ImportError:  # pragma: no cover - omegaconf is a dependency
        return node
    if isinstance(node, (DictConfig, ListConfig)):
        return OmegaConf.to_container(node, resolve=True)
    return node


def _coerce(value: Any, default: Any) -> Any:
    """The config value in the shape of the dataclass default (tuples for lists, Path for paths)."""
    if isinstance(default, Path) and value is not None:
        return Path(str(value))
    if isinstance(value, list):
        return tuple(value)
    return value


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
    """A settings dataclass from a config section; keys the dataclass does not name are ignored."""
    raw = _plain(node) or {}
    values = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]  # T is a settings dataclass; a TypeVar can't say so
        if f.name in raw:
            default = f.default if f.default is not dataclasses.MISSING else None
            values[f.name] = _coerce(raw[f.name], default)
    return cls(**values)


def from_config(cfg: Any, config_yaml: str = "") -> RunSettings:
    """RunSettings from a composed hydra config or a run's saved config.yaml."""
    raw = _plain(cfg)
    return RunSettings(
        seed=int(raw.get("seed", 42)),
        resume=bool(raw.get("resume", False)),
        run_dir=Path(str(raw.get("run_dir", "."))),
        task=section(TaskSettings, raw.get("task")),
        model=section(ModelSettings, raw.get("model")),
        trainer=section(TrainerSettings, raw.get("trainer")),
        data=section(DataSettings, raw.get("data")),
        paths=section(PathSettings, raw.get("paths")),
        config_yaml=config_yaml,
        resume_allow_changes=tuple(str(k) for k in raw.get("resume_allow_changes") or ()),
    )


# --------------------------------------------------------------------------- validation
#
# Every value of a training config is checked before any work starts: a value out of range must never
# train something else than asked (`trainer.max_steps=-5` once trained nothing and kept the random
# model). The ranges are facts about the code, not tunable hyper-parameters; the values live in configs/.

PRECISIONS = ("bf16", "fp32")
# torch.compile's modes (torch.compile's `mode` argument).
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
# What torch.compile compiles: the repeated blocks and the rest one module at a time (Accelerate's
# regional compilation), or the whole model as one graph.
COMPILE_SCOPES = ("regions", "model")
AUTO = "auto"
# Experiment trackers the loop can open through Accelerate (training/trackers.py).
TRACKERS = ("tensorboard", "mlflow")


@dataclass(frozen=True)
class Rule:
    """One config key: a predicate on its raw value and the allowed values in words."""

    key: str
    accepts: Callable[[Any], bool]
    allowed: str


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def integer(key: str, low: int, high: int | None = None, note: str = "") -> Rule:
    allowed = f"an integer >= {low}" if high is None else f"an integer from {low} to {high}"
    return Rule(key, lambda v: _is_int(v) and v >= low and (high is None or v <= high), allowed + note)


def auto_or_integer(key: str, low: int) -> Rule:
    return Rule(key, lambda v: v == AUTO or (_is_int(v) and v >= low), f"'{AUTO}' or an integer >= {low}")


def number(key: str, low: float, high: float | None = None, low_open: bool = False) -> Rule:
    def accepts(v: Any) -> bool:
        if not _is_number(v):
            return False
        above = v > low if low_open else v >= low
        return above and (high is None or v <= high)

    bound = f"> {low}" if low_open else f">= {low}"
    allowed = f"a number {bound}" if high is None else f"a number {bound} and <= {high}"
    return Rule(key, accepts, allowed)


def one_of(key: str, choices: Sequence[str]) -> Rule:
    return Rule(key, lambda v: v in choices, "one of " + ", ".join(choices))


def boolean(key: str) -> Rule:
    return Rule(key, lambda v: isinstance(v, bool), "true or false")


def _betas(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) == 2 and all(_is_number(b) and 0 <= b < 1 for b in value)


def _tracker_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(t in TRACKERS for t in value)


def _key_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(k, str) and k for k in value)


TRAINING_RULES: tuple[Rule, ...] = (
    integer("seed", 0, 2**32 - 1, " (not a float, not text)"),
    boolean("resume"),
    Rule("resume_allow_changes", _key_list, "a list of config keys, e.g. [trainer.max_steps]"),
    number("trainer.learning_rate", 0.0, 1.0, low_open=True),
    number("trainer.weight_decay", 0.0),
    Rule("trainer.adam_betas", _betas, "two numbers, each >= 0 and < 1"),
    number("trainer.adam_eps", 0.0, low_open=True),
    number("trainer.warmup_ratio", 0.0, 1.0),
    number("trainer.max_grad_norm", 0.0),
    integer("trainer.num_epochs", 1),
    integer("trainer.max_steps", 0, note=" (0: train for trainer.num_epochs)"),
    integer("trainer.gradient_accumulation_steps", 1),
    integer("trainer.max_tokens", 1),
    auto_or_integer("trainer.max_rows", 1),
    integer("trainer.pool_factor", 1),
    auto_or_integer("trainer.pad_to_multiple_of", 1),
    one_of("trainer.precision", PRECISIONS),
    integer("trainer.eval_steps", 0, note=" (0: at the end of each epoch)"),
    integer("trainer.save_steps", 0, note=" (0: at the end of each epoch)"),
    integer("trainer.keep_checkpoints", 0, note=" (0: keep all)"),
    integer("trainer.early_stopping_patience", 0, note=" (0: never stop early)"),
    integer("trainer.log_steps", 1),
    auto_or_integer("trainer.eval_batch_tokens", 1),
    integer("trainer.torch_threads", 0, note=" (0: torch's default)"),
    boolean("trainer.cpu_keep_freed_memory"),
    boolean("trainer.compile"),
    one_of("trainer.compile_mode", COMPILE_MODES),
    one_of("trainer.compile_scope", COMPILE_SCOPES),
    boolean("trainer.progress_bar"),
    Rule("trainer.trackers", _tracker_list, "a list of trackers from: " + ", ".join(TRACKERS)),
    integer("model.max_length", 8),
    number("model.connect_timeout_s", 0.0, low_open=True),
    number("task.doc_threshold", 0.0, 1.0),
    integer("data.stride", 0),
    integer("data.dev_docs", 0),
)

_MISSING = object()


def _lookup(raw: Mapping[str, Any], dotted: str) -> Any:
    node: Any = raw
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def config_problems(raw: Mapping[str, Any], rules: Sequence[Rule] = TRAINING_RULES) -> list[str]:
    """One line per bad value: the key, the value given and what is allowed (absent keys take defaults)."""
    problems = []
    for rule in rules:
        value = _lookup(raw, rule.key)
        if value is not _MISSING and not rule.accepts(value):
            problems.append(f"{rule.key}={value!r}: must be {rule.allowed}")
    problems.extend(_cross_key_problems(raw))
    return problems


def _cross_key_problems(raw: Mapping[str, Any]) -> list[str]:
    max_tokens, max_length = _lookup(raw, "trainer.max_tokens"), _lookup(raw, "model.max_length")
    if _is_int(max_tokens) and _is_int(max_length) and 0 < max_tokens < max_length:
        # A budget below one full window would put every window in a batch of its own.
        return [
            f"trainer.max_tokens={max_tokens}: must be at least model.max_length ({max_length}), so a full window fits "
            "a batch"
        ]
    return []


def validate_training_config(cfg: Any) -> None:
    """Raise a ConfigError listing every bad value of a training config; nothing is read or written."""
    raw = _plain(cfg)
    problems = config_problems(raw if isinstance(raw, Mapping) else {})
    if problems:
        raise ConfigError("; ".join(problems) + ". Fix the value in configs/ or on the command line.")
