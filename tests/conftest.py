"""Shared, generic fixtures: the repository's schema and an isolated project root."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import absl.logging
import pytest

from arastance.schema import Schema, load_schema

REPO_ROOT = Path(__file__).resolve().parents[1]

# absl's logging handler (nncf and tensorboard import absl) holds the sys.stderr of the moment it was
# created, and closes that stream when a logging reconfiguration (every in-process hydra app) closes
# the handler, unless it is the current sys.stderr. Created inside one test, it held that test's
# captured stream, and the next in-process `arastance evaluate` closed pytest's own capture file:
# the session died with "lost sys.stderr". The process's real stderr is never closed.
absl.logging.get_absl_handler().python_handler.stream = sys.__stderr__


@pytest.fixture(autouse=True)
def _no_onnx_export_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """`arastance publish` exports ONNX by default; only the tests about it (--onnx yes) pay for it."""
    monkeypatch.setenv("ARASTANCE_PUBLISH_ONNX", "no")


@pytest.fixture
def schema() -> Schema:
    return load_schema(REPO_ROOT / "annotations" / "schema.yaml")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throwaway project root (ARASTANCE_ROOT) with the real schema and empty gold/ and documents/."""
    annotations = tmp_path / "annotations"
    (annotations / "gold").mkdir(parents=True)
    (annotations / "documents").mkdir()
    shutil.copy(REPO_ROOT / "annotations" / "schema.yaml", annotations / "schema.yaml")
    monkeypatch.setenv("ARASTANCE_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model built from the real corpus once per test session (as `model=tiny` does)."""
    from omegaconf import OmegaConf

    from arastance.corpus.normalize import normalize_arabert_v02
    from arastance.models.tiny import ensure_tiny_model

    spec = dict(OmegaConf.load(REPO_ROOT / "configs" / "model" / "tiny.yaml").tiny)
    spec["normalization"] = "arabert_v02"
    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO_ROOT / "annotations" / "documents").glob("*.txt"))]
    return ensure_tiny_model(tmp_path_factory.mktemp("tiny-cache"), spec, texts, normalize_arabert_v02)


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_model_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)
