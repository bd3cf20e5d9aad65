"""`arastance gold ...` (labelstudio-config included) through the real entry point."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from arastance.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "gold"


@pytest.fixture
def gold(project: Path) -> Path:
    """The project's annotations/ holding the valid base fixture."""
    annotations = project / "annotations"
    shutil.copy(FIXTURES / "gold" / "base.json", annotations / "gold" / "base.json")
    shutil.copy(FIXTURES / "documents" / "base.txt", annotations / "documents" / "base.txt")
    return annotations


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "unexpected error" not in err
    return code, out, err


def test_validate_default_path(gold, capsys):
    code, out, _ = _run(capsys, "gold", "validate")
    assert code == 0
    assert out.strip() == "1 documents, 10 entities, 3 sentences: 0 errors"


def test_validate_lists_every_problem_and_fails(gold, capsys):
    shutil.copy(FIXTURES / "invalid" / "quantity-attributes.json", gold / "gold" / "base.json")
    code, out, _ = _run(capsys, "gold", "validate")
    lines = out.strip().splitlines()
    assert code == 1
    assert len(lines) == 3  # two problems, then the summary
    assert all("[quantity-attributes]" in line and "base.json" in line and "offset 86" in line for line in lines[:2])
    assert lines[-1] == "1 documents, 10 entities, 3 sentences: 2 errors"


@pytest.mark.parametrize(
    ("fixture", "rule"), [("json.json", "json"), ("empty-file.json", "empty-file"), ("format.json", "format")]
)
def test_validate_unreadable_files_without_traceback(gold, capsys, fixture, rule):
    shutil.copy(FIXTURES / "invalid" / fixture, gold / "gold" / "base.json")
    code, out, _ = _run(capsys, "gold", "validate")
    assert code == 1
    assert f"[{rule}]" in out and str(gold / "gold" / "base.json") in out
    assert out.strip().endswith("0 documents, 0 entities, 0 sentences: 1 error")


def test_validate_jsonl_path(project, capsys):
    code, out, _ = _run(
        capsys,
        "gold",
        "validate",
        str(FIXTURES / "invalid" / "format.jsonl"),
        "--documents",
        str(FIXTURES / "documents"),
    )
    assert code == 1
    assert (
        "format.jsonl:2: [json]" in out
        and "format.jsonl:3: doc base: [format]" in out
        and "format.jsonl:4: [format]" in out
    )


def test_validate_missing_path(project, capsys):
    code, out, _ = _run(capsys, "gold", "validate", str(project / "nope"))
    assert code == 1 and "[read]" in out


def test_export_to_stdout_and_file(gold, capsys, tmp_path):
    code, out, _ = _run(capsys, "gold", "export")
    assert code == 0
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["doc_id"] == "base" and record["schema_version"] == "1.0"
    assert record["text"] == (FIXTURES / "documents" / "base.txt").read_text(encoding="utf-8")
    target = tmp_path / "out" / "gold.jsonl"
    code, out, err = _run(capsys, "gold", "export", "--out", str(target))
    assert code == 0 and out == "" and str(target) in err
    # the exported file validates as JSONL against the project's documents
    code, out, _ = _run(capsys, "gold", "validate", str(target))
    assert code == 0, out


def test_export_refuses_invalid_gold(gold, capsys, tmp_path):
    shutil.copy(FIXTURES / "invalid" / "span-text.json", gold / "gold" / "base.json")
    target = tmp_path / "gold.jsonl"
    code, _, err = _run(capsys, "gold", "export", "--out", str(target))
    assert code == 1
    assert "not valid gold" in err and "[span-text]" in err and "offset 28" in err
    assert not target.exists()


def test_stats_tables_and_json(gold, capsys):
    code, out, _ = _run(capsys, "gold", "stats")
    assert code == 0 and "Entities per label" in out and "Sentence length (words)" in out
    code, out, _ = _run(capsys, "gold", "stats", "--json")
    stats = json.loads(out)
    assert stats["entities"]["per_label"]["ORG"] == 3
    assert stats["stance"]["documents"]["PRO_STAY"] == 1


def test_stats_refuses_unreadable_gold(gold, capsys):
    (gold / "gold" / "base.json").write_text("", encoding="utf-8")
    code, _, err = _run(capsys, "gold", "stats")
    assert code == 1 and "[empty-file]" in err


@pytest.mark.parametrize("fmt", ["iob2", "conll", "labelstudio", "doccano"])
def test_convert(gold, capsys, fmt):
    code, out, _ = _run(capsys, "gold", "convert", "--to", fmt)
    assert code == 0
    if fmt == "iob2":
        records = [json.loads(line) for line in out.splitlines()]
        assert [r["sentence_id"] for r in records] == [0, 1, 2]
        assert "B-QUANTITY" in records[1]["ner_tags"]
    elif fmt == "conll":
        assert out.startswith("-DOCSTART- O base\n\n") and "900 B-QUANTITY\nجندي I-QUANTITY" in out
    elif fmt == "labelstudio":
        (task,) = json.loads(out)
        assert task["data"]["doc_id"] == "base"
    else:
        (line,) = [json.loads(line) for line in out.splitlines()]
        assert line["label"][0] == [28, 44, "ORG"]


def test_convert_refuses_invalid_gold(gold, capsys):
    shutil.copy(FIXTURES / "invalid" / "word-boundary.json", gold / "gold" / "base.json")
    code, out, err = _run(capsys, "gold", "convert", "--to", "conll")
    assert code == 1 and out == "" and "[word-boundary]" in err


@pytest.mark.parametrize(
    ("fmt", "command", "name"),
    [("labelstudio", "import-labelstudio", "tasks.json"), ("doccano", "import-doccano", "doccano.jsonl")],
)
def test_import_round_trip(gold, capsys, tmp_path, fmt, command, name):
    exported = tmp_path / name
    assert _run(capsys, "gold", "convert", "--to", fmt, "--out", str(exported))[0] == 0
    out_root = tmp_path / "imported"
    code, _, err = _run(capsys, "gold", command, str(exported), "--out", str(out_root))
    assert code == 0, err
    assert (out_root / "gold" / "base.json").read_text(encoding="utf-8") == (gold / "gold" / "base.json").read_text(
        encoding="utf-8"
    )
    assert (out_root / "documents" / "base.txt").read_bytes() == (gold / "documents" / "base.txt").read_bytes()
    # a second import refuses to overwrite, --force overwrites
    code, _, err = _run(capsys, "gold", command, str(exported), "--out", str(out_root))
    assert code == 1 and "already exist" in err and "--force" in err
    assert _run(capsys, "gold", command, str(exported), "--out", str(out_root), "--force")[0] == 0
    # the imported directory validates (an annotations-like root is accepted)
    assert _run(capsys, "gold", "validate", str(out_root))[0] == 0


def test_import_labelstudio_refuses_offset_mismatch(gold, capsys, tmp_path):
    exported = tmp_path / "tasks.json"
    _run(capsys, "gold", "convert", "--to", "labelstudio", "--out", str(exported))
    tasks = json.loads(exported.read_text(encoding="utf-8"))
    tasks[0]["id"] = 5
    region = tasks[0]["annotations"][0]["result"][0]
    region["value"]["start"] += 2
    exported.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    code, _, err = _run(capsys, "gold", "import-labelstudio", str(exported), "--out", str(tmp_path / "x"))
    assert code == 1
    assert "[ls-offset]" in err and "task 5" in err and "offset 30" in err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(("content", "expected"), [("", "[empty-file]"), ("[{", "[json]"), ('{"a": 1}', "[ls-format]")])
def test_import_labelstudio_malformed_input(project, capsys, tmp_path, content, expected):
    path = tmp_path / "tasks.json"
    path.write_text(content, encoding="utf-8")
    code, _, err = _run(capsys, "gold", "import-labelstudio", str(path), "--out", str(tmp_path / "x"))
    assert code == 1 and expected in err


def test_import_missing_file(project, capsys, tmp_path):
    code, _, err = _run(capsys, "gold", "import-doccano", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "x"))
    assert code == 1 and "no such file" in err


def test_import_doccano_refuses_invalid_gold(project, capsys, tmp_path):
    path = tmp_path / "d.jsonl"
    line = {
        "text": "قالت واشنطن.",
        "doc_id": "d1",
        "label": [[5, 9, "GPE"]],
        "doc_stance": "NONE",
        "sentences": [{"start": 0, "end": 12, "stance": "NONE", "holder": None}],
    }
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    code, _, err = _run(capsys, "gold", "import-doccano", str(path), "--out", str(tmp_path / "x"))
    assert code == 1 and "[word-boundary]" in err and "offset 9" in err


def with_one_letter_changed(task: dict) -> dict:
    """A new text: one letter outside every entity changed, in the task's text and in every region that holds it."""
    task = json.loads(json.dumps(task))
    text = task["data"]["text"]
    results = task["annotations"][0]["result"]
    entities = [r["value"] for r in results if r["from_name"] in ("entities", "holder")]
    at = next(
        i
        for i, ch in enumerate(text)
        if "\u0621" <= ch <= "\u064a" and not any(v["start"] <= i < v["end"] for v in entities)
    )
    letter = "ب" if text[at] != "ب" else "ت"
    task["data"]["text"] = text[:at] + letter + text[at + 1 :]
    for value in (r["value"] for r in results):
        if isinstance(value.get("text"), str) and value.get("start", at + 1) <= at < value.get("end", at):
            i = at - value["start"]
            value["text"] = value["text"][:i] + letter + value["text"][i + 1 :]
    return task


def test_gold_import_adds_completed_tasks(gold, capsys, tmp_path):
    exported = tmp_path / "tasks.json"
    _run(capsys, "gold", "convert", "--to", "labelstudio", "--out", str(exported))
    tasks = json.loads(exported.read_text(encoding="utf-8"))
    new = json.loads(json.dumps(tasks[0]))
    new["id"] = 9
    del new["data"]["doc_id"]
    unfinished = {"id": 10, "data": {"text": "نص لم يكتمل."}, "annotations": []}
    exported.write_text(json.dumps([tasks[0], new, unfinished], ensure_ascii=False), encoding="utf-8")
    # base already exists: refused, nothing written
    code, _, err = _run(capsys, "gold", "import", str(exported))
    assert code == 1 and "already exist" in err
    assert len(list((gold / "gold").glob("*.json"))) == 1
    exported.write_text(json.dumps([new, unfinished], ensure_ascii=False), encoding="utf-8")
    # the same text under a new id: refused as a duplicate of base, even with --force
    for force in ([], ["--force"]):
        code, _, err = _run(capsys, "gold", "import", str(exported), *force)
        assert code == 1 and "same text as base (already in the gold)" in err
    assert len(list((gold / "gold").glob("*.json"))) == 1
    exported.write_text(json.dumps([with_one_letter_changed(new), unfinished], ensure_ascii=False), encoding="utf-8")
    code, _, err = _run(capsys, "gold", "import", str(exported))
    assert code == 0, err
    (added,) = [p for p in (gold / "gold").glob("*.json") if p.stem != "base"]
    assert added.stem.startswith("ls9_")
    assert (gold / "documents" / f"{added.stem}.txt").is_file()
    assert _run(capsys, "gold", "validate")[1].strip() == "2 documents, 20 entities, 6 sentences: 0 errors"


def test_labelstudio_config(project, capsys, tmp_path):
    code, out, _ = _run(capsys, "gold", "labelstudio-config")
    assert code == 0
    root = ET.fromstring(out)
    assert [lab.get("value") for lab in root.find("Labels[@name='entities']")][:2] == ["PER", "ORG"]
    target = tmp_path / "config.xml"
    assert _run(capsys, "gold", "labelstudio-config", "--out", str(target))[0] == 0
    assert target.read_text(encoding="utf-8") == out


@pytest.mark.parametrize("fmt", ["labelstudio", "doccano"])
def test_import_refuses_a_gold_text_under_a_new_id(gold, capsys, tmp_path, fmt):
    exported = tmp_path / f"export.{fmt}"
    _run(capsys, "gold", "convert", "--to", fmt, "--out", str(exported))
    content = exported.read_text(encoding="utf-8")
    assert '"base"' in content
    exported.write_text(content.replace('"base"', '"renamed"'), encoding="utf-8")
    out = tmp_path / "imported"
    code, _, err = _run(capsys, "gold", f"import-{fmt}", str(exported), "--out", str(out))
    assert code == 1 and "document renamed: same text as base (already in the gold)" in err
    assert not out.exists()
    # under its own id the same text is a re-import, not a duplicate
    exported.write_text(content, encoding="utf-8")
    assert _run(capsys, "gold", f"import-{fmt}", str(exported), "--out", str(out))[0] == 0


def test_import_refuses_one_text_twice_in_one_export(gold, capsys, tmp_path):
    exported = tmp_path / "tasks.json"
    _run(capsys, "gold", "convert", "--to", "labelstudio", "--out", str(exported))
    [task] = json.loads(exported.read_text(encoding="utf-8"))
    copies = [json.loads(json.dumps(task).replace('"base"', f'"copy{i}"')) for i in (1, 2)]
    exported.write_text(json.dumps(copies, ensure_ascii=False), encoding="utf-8")
    (gold / "gold" / "base.json").unlink()
    (gold / "documents" / "base.txt").unlink()
    code, _, err = _run(capsys, "gold", "import-labelstudio", str(exported), "--out", str(tmp_path / "imported"))
    assert code == 1 and "document copy2: same text as copy1 (also imported)" in err


def _stock_template_export(exported: Path) -> int:
    """The export as Label Studio's stock NER template names things: `label` for the entity control,
    plus a relation. Returns how many entities it holds."""
    tasks = json.loads(exported.read_text(encoding="utf-8"))
    entities = 0
    for task in tasks:
        for result in task["annotations"][0]["result"]:
            if result["from_name"] == "entities":
                result["from_name"] = "label"
                entities += 1
        task["annotations"][0]["result"].append(
            {"from_id": "e0", "to_id": "e1", "type": "relation", "direction": "right"}
        )
    exported.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return entities


@pytest.mark.parametrize("command", ["import-labelstudio", "import"])
def test_an_unknown_labelstudio_control_is_refused_by_name_or_mapped(gold, capsys, tmp_path, command):
    exported = tmp_path / "tasks.json"
    _run(capsys, "gold", "convert", "--to", "labelstudio", "--out", str(exported))
    assert _stock_template_export(exported) > 0
    out = ["--out", str(tmp_path / "x")] if command == "import-labelstudio" else ["--force"]
    code, _, err = _run(capsys, "gold", command, str(exported), *out)
    assert code == 1 and not (tmp_path / "x").exists()
    assert "[ls-control]" in err and "control 'label' is not one of ours (entities, sentences" in err
    assert "a relation" in err and "--control label=entities" in err and err.count("control 'label'") == 1
    code, _, err = _run(capsys, "gold", command, str(exported), *out, "--control", "label=entities")
    assert code == 1 and "control 'label'" not in err and "a relation" in err
    code, _, err = _run(
        capsys, "gold", command, str(exported), *out, "--control", "label=entities", "--control", "relation=-"
    )
    assert code == 0, err
    if command == "import-labelstudio":
        assert (tmp_path / "x" / "gold" / "base.json").read_text(encoding="utf-8") == (
            gold / "gold" / "base.json"
        ).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("pair", "expected"), [("label", "expected THEIRS=OURS"), ("label=ner", "'ner' is not a control")]
)
def test_a_malformed_control_mapping_is_refused(gold, capsys, tmp_path, pair, expected):
    exported = tmp_path / "tasks.json"
    _run(capsys, "gold", "convert", "--to", "labelstudio", "--out", str(exported))
    code, _, err = _run(
        capsys, "gold", "import-labelstudio", str(exported), "--out", str(tmp_path / "x"), "--control", pair
    )
    assert code == 1 and expected in err and "entities" in err


@pytest.mark.parametrize(
    "command", [["validate"], ["stats"], ["export"], ["convert", "--to", "conll"]], ids=lambda c: c[0]
)
def test_a_gold_folder_without_documents_is_refused_not_summarised(project, capsys, command):
    code, out, err = _run(capsys, "gold", *command)
    assert code == 1 and "[no-documents] no gold documents here" in out + err
    assert "0 errors" not in out and "TOTAL" not in out
