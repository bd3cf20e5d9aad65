"""The gold through a real Label Studio server and back, byte for byte.

Run by scripts/test_labelstudio.sh (`make test-labelstudio`), which installs Label Studio in its own
venv, starts it on 127.0.0.1 with a throwaway data folder and passes its address and API token in
ARASTANCE_LABELSTUDIO_URL / ARASTANCE_LABELSTUDIO_TOKEN; without them (`make test`) this module is
skipped. Every request has a timeout and every wait a deadline, so a stuck server fails the test
instead of hanging CI.

Through Label Studio's HTTP API: create a project with our generated labeling config, import the gold
as tasks carrying `predictions` (the pre-annotation path, built by the same exporter as
`arastance preannotate`), turn the predictions into annotations with the Data Manager action
annotators use, export JSON, then `arastance gold import-labelstudio` must give back exactly the
standoff files and texts we started from.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from arastance.annotation.labelstudio import labeling_config
from arastance.cli import main
from arastance.gold.io import read_gold_dir
from arastance.predict.preannotate import prediction_task
from arastance.schema import load_schema

REPO_ROOT = Path(__file__).resolve().parents[2]
URL = os.environ.get("ARASTANCE_LABELSTUDIO_URL", "")
TOKEN = os.environ.get("ARASTANCE_LABELSTUDIO_TOKEN", "")
SERVER_LOG = os.environ.get("ARASTANCE_LABELSTUDIO_LOG", "")
START_TIMEOUT_S = float(os.environ.get("ARASTANCE_LABELSTUDIO_START_TIMEOUT_S", "300"))
REQUEST_TIMEOUT_S = 60.0

pytestmark = pytest.mark.skipif(
    not (URL and TOKEN), reason="needs a running Label Studio: `make test-labelstudio` starts one"
)


def _request(method: str, path: str, body: Any = None, timeout_s: float = REQUEST_TIMEOUT_S) -> Any:
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        URL + path,
        data=data,
        method=method,
        headers={"Authorization": f"Token {TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            raw = response.read()
    except urllib.error.HTTPError as err:
        detail = err.read().decode("utf-8", "replace")[:2000]
        raise AssertionError(f"{method} {path}: HTTP {err.code}: {detail}") from None
    return json.loads(raw) if raw else None


def _server_log_tail() -> str:
    if not SERVER_LOG or not Path(SERVER_LOG).is_file():
        return ""
    return "\n--- server log (last lines) ---\n" + "\n".join(
        Path(SERVER_LOG).read_text(errors="replace").splitlines()[-30:]
    )


@pytest.fixture(scope="module")
def server() -> str:
    """Wait (bounded) until the server answers its health check and accepts our token."""
    deadline = time.monotonic() + START_TIMEOUT_S
    last_error = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(URL + "/health", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError as err:
            last_error = str(err)
        time.sleep(2)
    else:
        pytest.fail(
            f"Label Studio at {URL} did not answer within {START_TIMEOUT_S:g} s ({last_error}){_server_log_tail()}"
        )
    version = _request("GET", "/api/version")
    return str(version.get("release") or version)


def _all_tasks(project_id: int) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = _request("GET", f"/api/tasks?project={project_id}&page={page}&page_size=100")
        batch = answer["tasks"] if isinstance(answer, dict) else answer
        tasks += batch
        if not batch or (isinstance(answer, dict) and len(tasks) >= answer.get("total", len(tasks))):
            return tasks
        page += 1


def test_gold_round_trips_through_label_studio(server: str, tmp_path: Path, capsys) -> None:
    schema = load_schema(REPO_ROOT / "annotations" / "schema.yaml")
    gold_dir = REPO_ROOT / "annotations" / "gold"
    loaded = read_gold_dir(gold_dir)
    assert not loaded.problems and loaded.documents
    docs = [d.doc for d in loaded.documents]

    project = _request(
        "POST",
        "/api/projects",
        {"title": f"arastance round trip {time.time():.0f}", "label_config": labeling_config(schema)},
    )
    project_id = project["id"]

    # Pre-annotated tasks, as `arastance preannotate` writes them: the gold in `predictions`, no annotation.
    tasks = [prediction_task(doc, {}, "gold") for doc in docs]
    assert all("annotations" not in t and t["predictions"][0]["result"] for t in tasks)
    imported = _request("POST", f"/api/projects/{project_id}/import?commit_to_project=true", tasks)
    assert imported["task_count"] == len(docs), imported

    stored = _all_tasks(project_id)
    assert len(stored) == len(docs)
    assert all(t.get("total_predictions", 1) == 1 and not t.get("total_annotations") for t in stored)

    # The Data Manager action "Create Annotations From Predictions", through the API.
    _request(
        "POST",
        f"/api/dm/actions?id=predictions_to_annotations&project={project_id}",
        {"selectedItems": {"all": True, "excluded": []}, "project": str(project_id)},
    )
    assert all(t.get("total_annotations") == 1 for t in _all_tasks(project_id))

    export = _request(
        "GET", f"/api/projects/{project_id}/export?exportType=JSON&download_all_tasks=true", timeout_s=120
    )
    assert len(export) == len(docs)
    export_file = tmp_path / "export.json"
    export_file.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")

    out = tmp_path / "imported"
    code = main(["gold", "import-labelstudio", str(export_file), "--out", str(out)])
    _, err = capsys.readouterr()
    assert code == 0, err

    for source in sorted(gold_dir.glob("*.json")):
        assert (out / "gold" / source.name).read_bytes() == source.read_bytes(), source.name
    for text in sorted((REPO_ROOT / "annotations" / "documents").glob("*.txt")):
        assert (out / "documents" / text.name).read_bytes() == text.read_bytes(), text.name
    assert sorted(p.name for p in (out / "gold").iterdir()) == sorted(p.name for p in gold_dir.glob("*.json"))
