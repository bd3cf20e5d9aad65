"""Training entry point.

    python -m arastance.train task=ner model=tiny seed=7 trainer.max_steps=60 trainer.save_steps=10 run_dir=DIR
    accelerate launch --num_processes 2 -m arastance.train ...   (or torchrun --nproc_per_node 2 -m ...)
"""

from __future__ import annotations

from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from arastance.errors import exit_on_failure
from arastance.paths import CONFIGS_DIR
from arastance.schema import load_schema
from arastance.settings import from_config


def train(cfg: DictConfig) -> dict[str, Any]:
    """Run every split the config asks for; return the metrics (pooled over folds for CV)."""
    # Local: the training stack loads torch and transformers (seconds), which `arastance train --help` need not.
    from arastance.models.loading import quiet_libraries
    from arastance.training.cv import run_all

    settings = from_config(cfg, OmegaConf.to_yaml(cfg, resolve=True))
    quiet_libraries()
    schema = load_schema(settings.paths.annotations_dir / "schema.yaml")
    return run_all(settings, schema)


@hydra.main(version_base="1.3", config_path=str(CONFIGS_DIR), config_name="train")
def main(cfg: DictConfig) -> float | None:
    with exit_on_failure("arastance train"):
        metrics = train(cfg)
    task = cfg.task.name
    return metrics.get(task, {}).get(str(cfg.task.metric)) if metrics else None


if __name__ == "__main__":
    main()
