"""Resume continues the run that was started, not another one: the new config is compared with the
config each checkpoint (and each finished split) was trained with, and any difference that can change
the result stops the run, listing each key (old → new). `resume_allow_changes=[key, …]` accepts
deliberate changes (more steps, a smaller evaluation batch), which are then logged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from arastance.errors import ConfigError
from arastance.runs.layout import CONFIG, RunDir, complete_checkpoints
from arastance.settings import flatten_config

# Keys whose value cannot change what a run computes: where things go, how much is shown, how often a
# checkpoint is kept. Any other key (task, model, trainer, data, seed, …) is compared.
NEUTRAL_KEYS = (
    "resume",
    "resume_allow_changes",
    "run_dir",
    "paths",
    "hydra",
    "eval",
    "trainer.progress_bar",
    "trainer.trackers",
    "trainer.torch_threads",
    "trainer.log_steps",
    "trainer.save_steps",
    "trainer.keep_checkpoints",
    "trainer.cpu_keep_freed_memory",
    "model.connect_timeout_s",
)


def _covered(key: str, prefixes: Iterable[str]) -> bool:
    return any(key == p or key.startswith(p + ".") for p in prefixes)


def config_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Every result-changing key whose value differs: key → (old, new); absent is None."""
    a, b = flatten_config(old), flatten_config(new)
    return {
        key: (a.get(key), b.get(key))
        for key in sorted(set(a) | set(b))
        if not _covered(key, NEUTRAL_KEYS) and a.get(key) != b.get(key)
    }


def saved_configs(run: RunDir) -> list[Path]:
    """The configs the run's existing work was done with: finished splits and every kept checkpoint."""
    found = [p for p in run.config_candidates() if p.is_file()]
    for split in run.splits():
        found.extend(c / CONFIG for c in complete_checkpoints(split.checkpoints) if (c / CONFIG).is_file())
    return list(dict.fromkeys(found))


def check_resume_config(run: RunDir, new_yaml: str, allowed: Sequence[str], note: Callable[[str], None]) -> None:
    """Raise a ConfigError if resuming `run` with the config `new_yaml` would change its result."""
    new = yaml.safe_load(new_yaml) or {}
    accepted: dict[str, tuple[Any, Any]] = {}
    for path in saved_configs(run):
        changes = config_changes(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, new)
        refused = {k: v for k, v in changes.items() if not _covered(k, allowed)}
        if refused:
            listed = "; ".join(f"{k}: {old!r} → {new_value!r}" for k, (old, new_value) in refused.items())
            keys = ",".join(refused)
            raise ConfigError(
                f"resume=true with a config that differs from the one {path} was trained with: {listed}. "
                f"Resume with the original values, or accept the change deliberately with "
                f"resume_allow_changes=[{keys}]"
            )
        for key, change in changes.items():
            accepted.setdefault(key, change)
    for key, (old, new_value) in accepted.items():
        note(f"resume: {key} changed {old!r} → {new_value!r} (allowed by resume_allow_changes)")
