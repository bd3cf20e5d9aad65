"""One writer (src/arastance/writer.py): whole files or none, two writers never interleave (the last
complete one wins), an output that is an input is refused, SIGTERM cleans up like Ctrl-C, and what a
killed process left is removed by the next writer. Faults are injected into real processes."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arastance import writer
from arastance.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]
SRC = REPO_ROOT / "src" / "arastance"
ANERCORP = REPO_ROOT / "configs" / "corpus" / "anercorp.yaml"
CONLL = "-DOCSTART- -X- -X- O\n\nwordPER1\tB-PERS\nwordPER2 I-PERS\nو O\n\n"

# --------------------------------------------------------------------------- nothing writes beside the writer

# Calls that create or change a file or folder: built-in open() with a writing mode, os.open with a
# writing flag, and these methods whatever their object.
WRITING_METHODS = {
    "write_text", "write_bytes", "savefig", "copyfile", "copy2", "copytree", "mkdtemp", "mkstemp",
    "NamedTemporaryFile", "symlink", "rename", "to_parquet", "to_csv", "dump",
    # libraries that write whole model folders: only into a folder that writer.building_folder (or a
    # checkpoint's staging folder) gives
    "save_pretrained", "save_state", "save_model", "save_model_to_file", "export",
}  # fmt: skip
WRITING_FUNCTIONS = {"quantize_dynamic"}
WRITING_FLAGS = {"O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "O_TRUNC"}

# Where a write outside writer.py is right, and why. Each entry must still match (no stale excuses).
ALLOWED: dict[tuple[str, str], str] = {
    ("runs/lock.py", "open"): "the lock file's owner line, written under the very lock it describes",
    ("runs/lock.py", "os.open"): "the lock file is opened (created) to be locked, not as an output",
    ("runs/layout.py", "open"): "train_log.jsonl gets a line per step, appended; its reader drops a torn last line",
    (
        "training/checkpoint.py",
        "save_state",
    ): "into the checkpoint's staging folder, swapped in by writer.swap_in_folder",
    ("training/run.py", "save_pretrained"): "into the staging folder of RunDir.write_best (writer.building_folder)",
    ("models/tiny.py", "save_pretrained"): "into the staging folder of ensure_tiny_model (writer.building_folder)",
    ("models/onnx_backend.py", "export"): "onnx/ inside the publish staging folder (writer.building_folder)",
    ("models/onnx_backend.py", "save_model_to_file"): "onnx/ inside the publish staging folder",
    ("models/onnx_backend.py", "quantize_dynamic"): "onnx/ inside the publish staging folder",
    ("models/openvino_backend.py", "save_model"): "openvino/ inside the publish staging folder",
    ("annotation/dataset.py", "to_parquet"): "into the staging folder of the dataset export (writer.building_folder)",
    ("view/predictions.py", "savefig"): "into an in-memory buffer that becomes a data URI in the page, not a file",
    ("bench/inputs.py", "save_pretrained"): "bench's throwaway models, in its own temporary folder",
    ("bench/training.py", "save_pretrained"): "bench's throwaway models, in its own temporary folder",
    ("bench/prediction.py", "save_pretrained"): "bench's throwaway models, in its own temporary folder",
}


def _mode(call: ast.Call) -> object:
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    return mode.value if isinstance(mode, ast.Constant) else None


def writing_calls(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, kind) of every call in `tree` that writes a file or folder."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open" and set(str(_mode(node) or "")) & set("wax+"):
            found.append((node.lineno, "open"))
        elif isinstance(func, ast.Name) and func.id in WRITING_FUNCTIONS:
            found.append((node.lineno, func.id))
        elif isinstance(func, ast.Attribute):
            base = func.value.id if isinstance(func.value, ast.Name) else ""
            if base == "os" and func.attr == "open":
                flags = {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
                if flags & WRITING_FLAGS:
                    found.append((node.lineno, "os.open"))
            elif (base, func.attr) in {("os", "replace"), ("torch", "save")} or func.attr in WRITING_METHODS:
                found.append((node.lineno, func.attr if base != "os" else f"os.{func.attr}"))
    return found


def writes_outside_the_writer() -> dict[tuple[str, str], list[int]]:
    found: dict[tuple[str, str], list[int]] = {}
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "writer.py" and path.parent == SRC:
            continue
        module = path.relative_to(SRC).as_posix()
        for line, kind in writing_calls(ast.parse(path.read_text(encoding="utf-8"))):
            found.setdefault((module, kind), []).append(line)
    return found


def test_the_scan_sees_each_kind_of_write() -> None:
    code = (
        "open(p, 'w')\nopen(p, mode='a')\nopen(p)\nos.open(p, os.O_WRONLY | os.O_CREAT)\nos.open(p, os.O_RDONLY)\n"
        "p.write_text('x')\nfig.savefig(p)\nos.replace(a, b)\ns.replace('a', 'b')\nm.save_pretrained(p)\n"
    )
    kinds = [kind for _, kind in writing_calls(ast.parse(code))]
    assert kinds == ["open", "open", "os.open", "write_text", "savefig", "os.replace", "save_pretrained"]


def test_no_module_writes_a_file_except_through_the_writer() -> None:
    found = writes_outside_the_writer()
    unexplained = {
        f"{module}:{lines} {kind}" for (module, kind), lines in found.items() if (module, kind) not in ALLOWED
    }
    assert not unexplained, "write through arastance.writer instead: " + ", ".join(sorted(unexplained))
    assert not set(ALLOWED) - set(found), f"stale ALLOWED entries: {sorted(set(ALLOWED) - set(found))}"


# --------------------------------------------------------------------------- whole or nothing


def test_a_failure_mid_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="injected"), writer.replacing(target) as handle:
        handle.write("new, half")
        raise RuntimeError("injected")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_a_failure_while_building_a_folder_keeps_the_old_folder(tmp_path: Path) -> None:
    out = tmp_path / "published"
    out.mkdir()
    (out / "README.md").write_text("old", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt), writer.building_folder(out) as staging:
        writer.write_text(staging / "README.md", "new")
        raise KeyboardInterrupt
    assert (out / "README.md").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["published"]
    with writer.building_folder(out) as staging:
        writer.write_text(staging / "README.md", "new")
    assert (out / "README.md").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["published"]


def test_create_new_refuses_a_second_writer(tmp_path: Path) -> None:
    target = tmp_path / "doc.txt"
    writer.create_new(target, "first")
    with pytest.raises(FileExistsError):
        writer.create_new(target, "second")
    assert target.read_text(encoding="utf-8") == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.txt"]


# Two real processes stream into one path, each waiting at half-way until the other is there too, so
# that their writes overlap for certain (no timing involved): a shared file would interleave.
TWO_WRITERS = """
import sys, time
from pathlib import Path
from arastance.writer import replacing
target, me, other, lines = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
with replacing(target) as out:
    for i in range(lines // 2):
        out.write(f"{me} {i} " + "x" * 200 + "\\n")
    out.flush()
    (target.parent / f"half-{me}").touch()
    while not (target.parent / f"half-{other}").exists():
        time.sleep(0.01)
    for i in range(lines // 2, lines):
        out.write(f"{me} {i} " + "x" * 200 + "\\n")
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src"), "HF_HUB_OFFLINE": "1"}


def test_two_real_writers_of_one_file_never_interleave_the_last_complete_one_wins(tmp_path: Path) -> None:
    target, lines = tmp_path / "predictions.jsonl", 2000
    procs = [
        subprocess.Popen([sys.executable, "-c", TWO_WRITERS, str(target), me, other, str(lines)], env=_env())
        for me, other in (("a", "b"), ("b", "a"))
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    content = target.read_text(encoding="utf-8")
    writers = {line.split()[0] for line in content.splitlines()}
    assert len(writers) == 1, "lines of both writers in one file"
    (who,) = writers
    assert content == "".join(f"{who} {i} " + "x" * 200 + "\n" for i in range(lines))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["half-a", "half-b", "predictions.jsonl"]


# A writer killed with SIGKILL (no cleanup can run) mid-file or mid-folder.
KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from arastance.writer import building_folder, replacing, write_text
target = Path(sys.argv[1])
if sys.argv[2] == "file":
    with replacing(target) as out:
        out.write("half")
        out.flush()
        os.kill(os.getpid(), signal.SIGKILL)
with building_folder(target) as staging:
    write_text(staging / "model.safetensors", "weights")
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_what_a_killed_writer_left_is_removed_and_named_by_the_next_one(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(target), kind], env=_env(), timeout=120)
    assert done.returncode == -signal.SIGKILL
    (left,) = tmp_path.iterdir()
    assert left.name.startswith(".out.") and not target.exists()
    if kind == "file":
        writer.write_text(target, "whole")
    else:
        with writer.building_folder(target) as staging:
            writer.write_text(staging / "README.md", "whole")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert f"removed {left}, left by a killed process" in capsys.readouterr().err


def test_a_running_writers_temporary_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "out"
    busy = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        theirs = tmp_path / f".out.tmp-{busy.pid}-0123abcd"
        theirs.write_text("theirs, in progress", encoding="utf-8")
        writer.write_text(target, "mine")
        assert theirs.exists()
    finally:
        busy.kill()
        busy.wait()


# --------------------------------------------------------------------------- an output that is an input


def test_predict_refuses_its_input_as_output_before_opening_it(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("ذهب محمد إلى بيروت.\n", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(article)
    for out in (article, link):
        assert main(["predict", "--out", str(out), str(article)]) == 1
    assert main(["predict", "--out", str(article), str(tmp_path)]) == 1  # the article, found in the folder
    assert article.read_text(encoding="utf-8") == "ذهب محمد إلى بيروت.\n"


def test_every_command_refuses_an_input_as_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.conll"
    source.write_text(CONLL, encoding="utf-8")
    commands = [
        ["corpus", "convert", "--format", "conll", "--label-map", str(ANERCORP), str(source), "--out", str(source)],
        ["preannotate", "--ner", str(tmp_path), str(source), "--out", str(source)],
        ["actors", str(source), "--out", str(source)],
        ["predict", "--ner", str(tmp_path), "--html", str(source), str(source)],
    ]
    for argv in commands:
        assert main(argv) == 1, argv
        assert "is also an input" in capsys.readouterr().err
    assert source.read_text(encoding="utf-8") == CONLL
    same = ["predict", "--ner", str(tmp_path), str(source), "--out", "p.out", "--html", "./p.out"]
    assert main(same) == 1 and "--out and --html name the same file" in capsys.readouterr().err


# --------------------------------------------------------------------------- SIGTERM

# The command's first write signals that it is under way and then waits: SIGTERM lands inside it.
STALLED = """
import contextlib, sys, time
from pathlib import Path
import arastance.writer as w
ready, argv = Path(sys.argv[1]), sys.argv[2:]
plain = w.replacing

@contextlib.contextmanager
def stalled(path, binary=False):
    with plain(path, binary) as handle:
        yield handle
        ready.touch()
        time.sleep(600)

w.replacing = stalled
from arastance.cli import main
sys.exit(main(argv))
"""


def run_until_written_then(sig: int, tmp_path: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    ready = tmp_path / "ready"
    proc = subprocess.Popen(
        [sys.executable, "-c", STALLED, str(ready), *argv],
        env=_env(),
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not ready.exists():
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        time.sleep(0.05)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize(
    ("sig", "status", "line"), [(signal.SIGTERM, 143, "terminated (SIGTERM)"), (signal.SIGINT, 130, "interrupted")]
)
def test_a_signal_mid_write_is_one_line_its_status_and_no_temporary(
    tmp_path: Path, sig: int, status: int, line: str
) -> None:
    source = tmp_path / "in.conll"
    source.write_text(CONLL, encoding="utf-8")
    out = tmp_path / "out" / "records.jsonl"
    argv = ["corpus", "convert", "--format", "conll", "--label-map", str(ANERCORP), str(source), "--out", str(out)]
    done = run_until_written_then(sig, tmp_path, argv)
    assert done.returncode == status
    assert done.stderr.strip().splitlines()[-1] == f"arastance corpus: {line}"
    assert "Traceback" not in done.stderr
    assert list(out.parent.iterdir()) == []


@pytest.mark.slow
def test_sigterm_during_publish_removes_the_staging_folder(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from helpers.publish_runs import trained_runs

    run = trained_runs(tmp_path_factory)["stance_fixed"]
    out = tmp_path / "published" / "stance"
    done = run_until_written_then(signal.SIGTERM, tmp_path, ["publish", str(run), "--out", str(out), "--onnx", "no"])
    assert done.returncode == 143, done.stderr[-3000:]
    assert done.stderr.strip().splitlines()[-1] == "arastance publish: terminated (SIGTERM)"
    assert list(out.parent.iterdir()) == []


@pytest.mark.slow
def test_sigterm_during_predict_leaves_no_output_and_no_temporary(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from helpers.publish_runs import trained_runs

    model = tmp_path / "stance"
    assert main(["publish", str(trained_runs(tmp_path_factory)["stance_fixed"]), "--out", str(model)]) == 0
    article = tmp_path / "a.txt"
    article.write_text("قال الوزير إن الحكومة ستبقى.\n", encoding="utf-8")
    out = tmp_path / "out" / "predictions.jsonl"
    done = run_until_written_then(
        signal.SIGTERM, tmp_path, ["predict", "--stance", str(model), "--out", str(out), str(article)]
    )
    assert done.returncode == 143, done.stderr[-3000:]
    assert done.stderr.strip().splitlines()[-1] == "arastance predict: terminated (SIGTERM)"
    assert list(out.parent.iterdir()) == []


TWO_FOLDER_WRITERS = """
import sys, time
from pathlib import Path
from arastance.writer import building_folder, write_text
target, me, other = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
for round in range(20):
    with building_folder(target) as staging:
        for name in ("config.json", "model.safetensors", "README.md"):
            write_text(staging / name, f"{me} {round}")
        (target.parent / f"ready-{me}-{round}").touch()
        while not (target.parent / f"ready-{other}-{round}").exists():
            time.sleep(0.001)
"""


def test_two_real_writers_of_one_folder_leave_one_whole_folder(tmp_path: Path) -> None:
    target = tmp_path / "published"
    procs = [
        subprocess.Popen([sys.executable, "-c", TWO_FOLDER_WRITERS, str(target), me, other], env=_env())
        for me, other in (("a", "b"), ("b", "a"))
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    contents = {p.read_text(encoding="utf-8") for p in target.iterdir()}
    assert len(contents) == 1 and sorted(p.name for p in target.iterdir()) == [
        "README.md",
        "config.json",
        "model.safetensors",
    ]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_folder_swapped_in_by_another_writer_between_two_renames_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "published"
    rename = os.rename
    landed = []

    def theirs_lands_first(src: Path, dst: Path) -> None:
        if Path(dst) == out and not landed:  # the other writer's folder arrives just before ours
            landed.append(True)
            (out / "theirs").mkdir(parents=True)
        rename(src, dst)

    monkeypatch.setattr(os, "rename", theirs_lands_first)
    with writer.building_folder(out) as staging:
        writer.write_text(staging / "mine", "x")
    assert landed and sorted(p.name for p in out.iterdir()) == ["mine"]
    assert [p.name for p in tmp_path.iterdir()] == ["published"]


def test_an_output_that_is_a_link_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real" / "predictions.jsonl"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    writer.write_text(link, "new\n")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new\n"
