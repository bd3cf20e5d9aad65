"""Typed settings, built once from the hydra config at an entry point; the stages take these, never the
raw config. Field names are the config keys (configs/<group>/*.yaml documents each of them).

`from_config` reads a composed config (`arastance train`) or a run's saved config.yaml (`evaluate`,
`predict` on a run's best/); a key missing from an older saved config takes the default below.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

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
    torch_threads: int = 0
    progress_bar: bool = True
    tensorboard: bool = True


@dataclass(frozen=True)
class DataSettings:
    split: str = "cv"
    dev_docs: int = 1
    folds: tuple[int, ...] | None = None
    stride: int = 128
    train_docs: tuple[str, ...] = ()
    dev_docs_ids: tuple[str, ...] = ()
    test_docs: tuple[str, ...] = ()
    # Nested search (configs/hparams_search/*_nested.yaml): CV fold K's test document is left out of
    # the whole run, which cross-validates over the other documents. None: every document is used.
    outer_fold: int | None = None


@dataclass(frozen=True)
class PathSettings:
    annotations_dir: Path = Path("annotations")
    gold_dir: Path = Path("annotations/gold")
    documents_dir: Path = Path("annotations/documents")
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


def section(cls: type[T], node: Any) -> T:
    """A settings dataclass from a config section; keys the dataclass does not name are ignored."""
    raw = _plain(node) or {}
    values = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
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
    )
