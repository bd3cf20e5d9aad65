"""Shared, generic fixtures: the repository's schema and an isolated project root."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from arastance.schema import Schema, load_schema

REPO_ROOT = Path(__file__).resolve().parents[1]


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
