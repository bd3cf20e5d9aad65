"""Where the repository's data lives (overridable with ARASTANCE_ROOT for installed use)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# The hydra configs of the checkout the package is installed from (editable install). An absolute
# path, so that hydra finds them whether the app runs as `python -m arastance.train` or `arastance train`
# (imported as a module, a relative config_path would be read as a Python package).
CONFIGS_DIR = Path(__file__).resolve().parents[2] / "configs"


def config_groups_help(app: str) -> str:
    """The `group: option, ...` lines of the config groups that `app`'s config (train, evaluate) reads.

    Hydra's own --help lists every folder of configs/, also those only other commands read (corpus
    label maps, the ONNX export, the holder rules, actor aliases); this lists the app's defaults list.
    """
    import yaml

    defaults = yaml.safe_load((CONFIGS_DIR / f"{app}.yaml").read_text(encoding="utf-8")).get("defaults", [])
    groups = [next(iter(d)) for d in defaults if isinstance(d, dict) and "/" not in next(iter(d))]
    lines = []
    for group in groups:
        options = sorted(p.stem for p in (CONFIGS_DIR / group).glob("*.yaml"))
        lines.append(f"{group}: {', '.join(options)}")
    return "\n".join(lines)


def project_root() -> Path:
    """The repository root: $ARASTANCE_ROOT, else the nearest parent holding annotations/schema.yaml."""
    env = os.environ.get("ARASTANCE_ROOT")
    if env:
        return Path(env).resolve()
    for base in (Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents):
        if (base / "annotations" / "schema.yaml").is_file():
            return base
    return Path.cwd()


def config_file(*parts: str) -> Path:
    """configs/<parts> of the project root (ARASTANCE_ROOT or the checkout), else of the checkout this
    package was installed from — a project root made of annotations only still gets the rules."""
    candidates = [
        project_root() / "configs" / Path(*parts),
        CONFIGS_DIR / Path(*parts),
    ]
    return next((c for c in candidates if c.is_file()), candidates[0])


def read_config_mapping(path: Path, what: str) -> dict[str, Any]:
    """A YAML config file that must hold a mapping; every way it can fail is a UserError naming it."""
    import yaml

    from arastance.errors import UserError  # local: errors sits beside paths in the lowest tier

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: no such file ({what})") from None
    except (OSError, yaml.YAMLError) as err:
        raise UserError(f"{path}: cannot read {what} ({err})") from None
    if not isinstance(raw, dict):
        raise UserError(f"{path}: {what} must be a mapping")
    return raw


def annotations_dir() -> Path:
    return project_root() / "annotations"


def schema_path() -> Path:
    return annotations_dir() / "schema.yaml"


def documents_dir() -> Path:
    return annotations_dir() / "documents"


def gold_dir() -> Path:
    return annotations_dir() / "gold"


def missing_repository_file(path: Path) -> str:
    """What to say when a file of the repository (schema, gold) is not where project_root() looked."""
    env = os.environ.get("ARASTANCE_ROOT")
    where = f"ARASTANCE_ROOT={env}" if env else f"no annotations/schema.yaml in {Path.cwd()} or its parents"
    return (
        f"{path}: no such file ({where}); run arastance inside the repository checkout, "
        "or set ARASTANCE_ROOT to the checkout's folder"
    )
