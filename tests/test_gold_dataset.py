"""`arastance gold dataset`: the gold as a folder that `datasets.load_dataset` reads, both configurations."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from arastance.cli import main
from arastance.gold.convert import to_records
from arastance.gold.io import read_gold_dir
from arastance.schema import load_schema

REPO_ROOT = Path(__file__).resolve().parents[1]
FAKE_TOKEN = "hf_arastanceFakeTokenThatMustNeverBeWritten0"


@pytest.fixture(scope="module")
def gold_docs():
    loaded = read_gold_dir(REPO_ROOT / "annotations" / "gold")
    assert not loaded.problems
    return [d.doc for d in loaded.documents]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dataset") / "arastance-gold"
    assert main(["gold", "dataset", str(REPO_ROOT / "annotations" / "gold"), "--out", str(out)]) == 0
    return out


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_sentences_configuration_is_the_default_and_matches_the_gold(folder, gold_docs):
    import datasets

    schema = load_schema(REPO_ROOT / "annotations" / "schema.yaml")
    rows = datasets.load_dataset(str(folder), split="train")
    assert rows.features["ner_tags"].feature.names == list(schema.iob_tags)
    assert rows.features["stance"].names == list(schema.stance_classes)

    records = to_records(gold_docs)
    assert len(rows) == len(records) == sum(len(d.sentences) for d in gold_docs)
    tag_names, stance_names = rows.features["ner_tags"].feature, rows.features["stance"]
    for row, record in zip(rows, records, strict=True):
        assert (row["doc_id"], row["sentence_id"], row["tokens"]) == (
            record["doc_id"],
            record["sentence_id"],
            record["tokens"],
        )
        assert [tag_names.int2str(t) for t in row["ner_tags"]] == record["ner_tags"]
        assert stance_names.int2str(row["stance"]) == record["stance"]
        assert row["offsets"] == record["offsets"] and row["holder"] == record["holder"]
    # Entity starts per label and stances per class equal the gold's own counts.
    starts = Counter(
        tag_names.int2str(t)[2:] for row in rows for t in row["ner_tags"] if tag_names.int2str(t).startswith("B-")
    )
    assert starts == Counter(e.label for d in gold_docs for e in d.entities)
    assert Counter(stance_names.int2str(s) for s in rows["stance"]) == Counter(
        s.stance for d in gold_docs for s in d.sentences
    )
    assert sum(h is not None for h in rows["holder"]) == sum(
        s.holder is not None for d in gold_docs for s in d.sentences
    )


def test_documents_configuration_carries_the_standoff_annotations(folder, gold_docs):
    import datasets

    schema = load_schema(REPO_ROOT / "annotations" / "schema.yaml")
    rows = datasets.load_dataset(str(folder), "documents", split="train")
    labels = rows.features["entities"].feature["label"]
    assert labels.names == list(schema.entity_labels)
    assert rows.features["doc_stance"].names == list(schema.document_stance_classes)
    assert len(rows) == len(gold_docs)
    by_id = {d.doc_id: d for d in gold_docs}
    for row in rows:
        doc = by_id[row["doc_id"]]
        assert row["text"] == (REPO_ROOT / "annotations" / "documents" / f"{doc.doc_id}.txt").read_text(
            encoding="utf-8"
        )
        assert rows.features["doc_stance"].int2str(row["doc_stance"]) == doc.doc_stance
        got = [
            (e["start"], e["end"], labels.int2str(e["label"]), e["text"], e["value"], e["unit"], e["approximate"])
            for e in row["entities"]
        ]
        want = sorted((e.start, e.end, e.label, e.text, e.value, e.unit, e.approximate) for e in doc.entities)
        assert got == want
        assert len(row["sentences"]) == len(doc.sentences)


def test_card_has_metadata_schema_agreement_and_licence(folder):
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n") and "config_name: sentences" in card and "default: true" in card
    agreement = (REPO_ROOT / "annotations" / "adjudication.md").read_text(encoding="utf-8")
    table = agreement.split("## Agreement before adjudication", 1)[1].split("\n## ", 1)[0].strip()
    assert table in card  # the figures verbatim, not retyped
    assert "licence of the texts is unknown" in card and "## Limitations" in card
    for name in ("schema.yaml", "guidelines.md", "adjudication.md"):
        assert (folder / name).read_bytes() == (REPO_ROOT / "annotations" / name).read_bytes()


def test_an_existing_folder_is_replaced_only_with_force(folder, capsys):
    before = _snapshot(folder)
    assert main(["gold", "dataset", "--out", str(folder)]) == 1
    assert "use --force" in capsys.readouterr().err
    assert _snapshot(folder) == before
    assert main(["gold", "dataset", "--out", str(folder), "--force"]) == 0
    assert _snapshot(folder).keys() == before.keys()
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no staging left behind


@pytest.mark.parametrize("offline", ["HF_HUB_OFFLINE", "unreachable"])
def test_push_without_hub_fails_at_once_and_keeps_the_folder(folder, monkeypatch, capsys, offline):
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    if offline == "HF_HUB_OFFLINE":
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens
    code = main(["gold", "dataset", "--out", str(folder), "--force", "--push", "--repo-id", "someone/arastance-gold"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "cannot push to the Hub" in err and "--repo-type dataset" in err and "Traceback" not in err
    assert ("HF_HUB_OFFLINE" in err) == (offline == "HF_HUB_OFFLINE")
    files = _snapshot(folder)
    assert "README.md" in files and all(FAKE_TOKEN.encode() not in content for content in files.values())
    assert FAKE_TOKEN not in out + err


def test_push_needs_a_valid_repo_id_before_any_work(tmp_path, capsys):
    assert main(["gold", "dataset", "--out", str(tmp_path / "x"), "--push", "--repo-id", "no slash"]) == 1
    assert "--repo-id" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
