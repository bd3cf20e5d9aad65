"""`arastance corpus convert`: CoNLL and datasets inputs onto the schema through the shipped label maps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from arastance.cli import main
from arastance.corpus.external import iob1_starts, map_iob2, to_iob2

REPO_ROOT = Path(__file__).resolve().parents[1]
ANERCORP = REPO_ROOT / "configs" / "corpus" / "anercorp.yaml"
WOJOOD = REPO_ROOT / "configs" / "corpus" / "wojood_flat.yaml"


def _run(capsys, *argv: str | Path) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "unexpected error" not in err
    return code, err


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _map(path: Path) -> dict[str, str | None]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["labels"]


# --------------------------------------------------------------------------- pure tag functions


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["I-PERS", "I-PERS", "O", "I-LOC"], ["B-PERS", "I-PERS", "O", "B-LOC"]),  # IOB1
        (["I-LOC", "B-LOC", "I-LOC"], ["B-LOC", "B-LOC", "I-LOC"]),  # IOB1: B- only between two same-type entities
        (["B-ORG", "I-ORG", "B-ORG"], ["B-ORG", "I-ORG", "B-ORG"]),  # IOB2 stays as it is
        (["B-ORG", "I-LOC"], ["B-ORG", "B-LOC"]),  # a type change starts an entity
    ],
)
def test_iob1_and_iob2_become_iob2(tags, expected):
    assert to_iob2(tags) == (expected, [])


def test_strict_iob2_reports_a_stray_inside_tag():
    _, problems = to_iob2(["O", "I-ORG"], strict=True)
    assert problems == [(1, "'I-ORG' does not continue a ORG entity (strict IOB2)")]


def test_adjacent_source_entities_mapped_to_one_label_stay_two():
    # WEBSITE and ORG both become ORG in the Wojood map; B- keeps them apart.
    assert map_iob2(["B-ORG", "I-ORG", "B-WEBSITE", "O", "B-CARDINAL"], _map(WOJOOD)) == [
        "B-ORG",
        "I-ORG",
        "B-ORG",
        "O",
        "O",
    ]


# --------------------------------------------------------------------------- CoNLL end to end


def _conll_with_every_type(types: list[str], iob1: bool) -> tuple[str, list[str]]:
    """One sentence per source type: a two-token mention of it, then an O token; IOB1 or IOB2 tags."""
    lines, expected = ["-DOCSTART- -X- -X- O", ""], []
    for kind in types:
        first = "I" if iob1 else "B"
        lines += [f"word{kind}1\t{first}-{kind}", f"word{kind}2 I-{kind}", "و O", ""]
        expected.append(kind)
    return "\n".join(lines) + "\n", expected


@pytest.mark.parametrize(("label_map", "iob1"), [(ANERCORP, True), (WOJOOD, False)])
def test_conll_maps_and_drops_every_type_of_the_shipped_maps(tmp_path, capsys, label_map, iob1):
    mapping = _map(label_map)
    text, types = _conll_with_every_type(list(mapping), iob1)
    source = tmp_path / "corpus.conll"
    source.write_text(text, encoding="utf-8")
    out = tmp_path / "out" / "records.jsonl"

    code, err = _run(capsys, "corpus", "convert", "--format", "conll", "--label-map", label_map, source, "--out", out)

    assert code == 0
    records = _records(out)
    assert len(records) == len(types)
    unannotated = yaml.safe_load(label_map.read_text())["unannotated"]
    for record, kind in zip(records, types, strict=True):
        assert set(record) == {"doc_id", "sentence_id", "tokens", "ner_tags", "source", "unannotated"}
        assert record["unannotated"] == sorted(unannotated)
        assert record["tokens"] == [f"word{kind}1", f"word{kind}2", "و"]
        label = mapping[kind]
        assert record["ner_tags"] == ([f"B-{label}", f"I-{label}", "O"] if label else ["O", "O", "O"])
    assert [r["sentence_id"] for r in records] == list(range(len(types)))
    assert {r["source"] for r in records} == {yaml.safe_load(label_map.read_text())["source"]}
    # The counts name every source type with its one mention and what it became.
    for kind, label in mapping.items():
        assert any(line.split()[:3] == [kind, "1", label or "dropped"] for line in err.splitlines()), kind
    kept = sum(1 for label in mapping.values() if label)
    assert f"{kept} mentions kept, {len(mapping) - kept} dropped" in err


def test_our_own_conll_export_keeps_document_ids(tmp_path, capsys):
    source = tmp_path / "ours.conll"
    source.write_text(
        "-DOCSTART- O doc_a\n\nسوريا B-LOC\n\nدمشق B-LOC\n\n-DOCSTART- O doc_b\n\nقسد B-ORG\n", encoding="utf-8"
    )
    out = tmp_path / "ours.jsonl"
    assert _run(capsys, "corpus", "convert", "--format", "conll", "--label-map", ANERCORP, source, "--out", out)[0] == 0
    assert [(r["doc_id"], r["sentence_id"], r["ner_tags"]) for r in _records(out)] == [
        ("doc_a", 0, ["B-GPE"]),
        ("doc_a", 1, ["B-GPE"]),
        ("doc_b", 0, ["B-ORG"]),
    ]


def test_documents_without_ids_are_numbered_after_the_source(tmp_path, capsys):
    source = tmp_path / "c.conll"
    source.write_text("a O\n\n-DOCSTART- -X- -X- O\n\nb O\n\n-DOCSTART- -X- -X- O\nc O\n", encoding="utf-8")
    out = tmp_path / "c.jsonl"
    assert _run(capsys, "corpus", "convert", "--format", "conll", "--label-map", ANERCORP, source, "--out", out)[0] == 0
    assert [r["doc_id"] for r in _records(out)] == ["anercorp-0", "anercorp-1", "anercorp-2"]


# --------------------------------------------------------------------------- malformed input: exit 1, nothing written


@pytest.mark.parametrize(
    ("content", "where", "what"),
    [
        ("سوريا B-LOC\nدمشق\n", ":2:", "no tag"),
        ("سوريا B-LOC B-GPE\n", ":1:", "3 columns"),
        ("سوريا B-LOC\n\nكلمة B-EVENT\n", ":3:", "type 'EVENT' (tag 'B-EVENT') is not named in"),
        ("سوريا X-LOC\n", ":1:", "'X-LOC' is not an IOB tag"),
        ("سوريا LOC\n", ":1:", "'LOC' is not an IOB tag"),
        ("سوريا B-\n", ":1:", "'B-' is not an IOB tag"),
        ("\n\n", "anercorp", "no sentence to convert"),
    ],
)
def test_malformed_conll_names_file_and_line_and_writes_nothing(tmp_path, capsys, content, where, what):
    source = tmp_path / "bad.conll"
    source.write_text(content, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, err = _run(capsys, "corpus", "convert", "--format", "conll", "--label-map", ANERCORP, source, "--out", out)
    assert code == 1
    assert what in err
    if where.startswith(":"):
        assert f"{source}{where}" in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [source]  # no temporary file left behind either


def test_strict_iob2_flag_names_the_stray_tag(tmp_path, capsys):
    source = tmp_path / "c.conll"
    source.write_text("في O\nسوريا I-LOC\n", encoding="utf-8")
    out = tmp_path / "c.jsonl"
    argv = ["corpus", "convert", "--format", "conll", "--label-map", ANERCORP, source, "--out", out]
    code, err = _run(capsys, *argv, "--strict-iob2")
    assert code == 1 and f"{source}:2: 'I-LOC' does not continue" in err and not out.exists()
    assert _run(capsys, *argv)[0] == 0  # read as IOB1 it is an entity start
    assert _records(out)[0]["ner_tags"] == ["O", "B-GPE"]


@pytest.mark.parametrize(
    ("tags", "starts"),
    [
        (["I-PERS", "I-PERS", "O", "I-LOC"], [0, 3]),
        (["B-ORG", "I-ORG", "I-LOC", "B-LOC"], [2]),
        (["B-ORG", "I-ORG", "O"], []),
        (["O", "X-BAD", "I-ORG"], [2]),
    ],
)
def test_iob1_starts_are_the_inside_tags_that_continue_nothing(tags, starts):
    assert iob1_starts(tags) == starts


def test_repairs_are_counted_per_file_and_read_as_conlleval_reads_them(tmp_path, capsys):
    """Two files, one clean: the repaired one is named with its count, sentences and first place."""
    broken, clean = tmp_path / "train.conll", tmp_path / "test.conll"
    broken.write_text("سوريا I-LOC\nو O\nدمشق I-LOC\n\nفي O\nحلب I-LOC\n\nقال O\n", encoding="utf-8")
    clean.write_text("في O\nسوريا B-LOC\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    argv = ["corpus", "convert", "--format", "conll", "--label-map", ANERCORP, broken, clean, "--out", out]
    code, err = _run(capsys, *argv)
    assert code == 0
    assert (
        f"repaired in {broken}: 3 I- tags with no B- before them (2 sentences) read as the start of a mention, "
        f"as conlleval reads them; first at {broken}:1" in err
    )
    assert f"repaired in {clean}" not in err  # nothing repaired there, nothing said
    assert [r["ner_tags"] for r in _records(out)][:2] == [["B-GPE", "O", "B-GPE"], ["O", "B-GPE"]]


def test_a_failed_conversion_leaves_an_earlier_output_untouched(tmp_path, capsys):
    source = tmp_path / "bad.conll"
    source.write_text("سوريا\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text("earlier\n", encoding="utf-8")
    assert _run(capsys, "corpus", "convert", "--format", "conll", "--label-map", ANERCORP, source, "--out", out)[0] == 1
    assert out.read_text(encoding="utf-8") == "earlier\n"


@pytest.mark.parametrize(
    ("map_text", "what"),
    [
        ("labels:\n  PERS: PERSON\n", "key `labels.PERS`: 'PERSON' is not a schema label"),
        ("labels:\n  B-PERS: PER\n", "key `labels.B-PERS`: a source type is a tag without its B-/I- prefix"),
        ("source: x\n", "needs a non-empty `labels:` mapping"),
        ("labels: [PERS]\n", "needs a non-empty `labels:` mapping"),
        ("labels:\n  PERS: PER\n   bad: [\n", "not valid YAML"),
        ("labels:\n  PERS: PER\nunannotated: [DATES]\n", "key `unannotated` must list schema labels"),
        ("labels:\n  PERS: PER\nunannotated: DATE\n", "key `unannotated` must list schema labels"),
    ],
)
def test_a_bad_label_map_names_the_file_and_key(tmp_path, capsys, map_text, what):
    label_map = tmp_path / "map.yaml"
    label_map.write_text(map_text, encoding="utf-8")
    source = tmp_path / "c.conll"
    source.write_text("محمد B-PERS\n", encoding="utf-8")
    out = tmp_path / "c.jsonl"
    code, err = _run(capsys, "corpus", "convert", "--format", "conll", "--label-map", label_map, source, "--out", out)
    assert code == 1 and str(label_map) in err and what in err and not out.exists()


def test_missing_or_non_utf8_input_is_a_clear_error(tmp_path, capsys):
    out = tmp_path / "o.jsonl"
    code, err = _run(
        capsys, "corpus", "convert", "--format", "conll", "--label-map", ANERCORP, tmp_path / "nope", "--out", out
    )
    assert code == 1 and "no such file" in err
    latin = tmp_path / "latin1.conll"
    latin.write_bytes("caf\xe9 O\n".encode("latin-1"))
    code, err = _run(capsys, "corpus", "convert", "--format", "conll", "--label-map", ANERCORP, latin, "--out", out)
    assert code == 1 and "not UTF-8" in err and not out.exists()


# --------------------------------------------------------------------------- datasets


def _tagged_dataset():
    import datasets

    names = ["O", "B-PERS", "I-PERS", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"]
    features = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=names)),
        }
    )
    rows = {
        "tokens": [["زار", "محمد", "علي", "دمشق"], ["قالت", "الأمم", "المتحدة", "العربية"]],
        "ner_tags": [[0, 1, 2, 3], [0, 5, 6, 7]],
    }
    return datasets.Dataset.from_dict(rows, features=features)


EXPECTED_HF = [["O", "B-PER", "I-PER", "B-GPE"], ["O", "B-ORG", "I-ORG", "O"]]


def test_hf_dataset_saved_to_disk_uses_classlabel_names(tmp_path, capsys):
    import datasets

    folder = tmp_path / "saved"
    datasets.DatasetDict({"train": _tagged_dataset()}).save_to_disk(str(folder))
    out = tmp_path / "hf.jsonl"
    code, err = _run(
        capsys, "corpus", "convert", "--format", "hf", "--dataset", folder, "--label-map", ANERCORP, "--out", out
    )
    assert code == 0, err
    records = _records(out)
    assert [r["ner_tags"] for r in records] == EXPECTED_HF
    assert [r["doc_id"] for r in records] == ["anercorp-train", "anercorp-train"]
    assert "MISC" in err and "dropped" in err


def test_hf_dataset_folder_of_parquet_files_and_a_missing_split(tmp_path, capsys):
    folder = tmp_path / "parquet"
    (folder / "data").mkdir(parents=True)
    _tagged_dataset().to_parquet(str(folder / "data" / "test-00000-of-00001.parquet"))
    out = tmp_path / "hf.jsonl"
    argv = ["corpus", "convert", "--format", "hf", "--dataset", folder, "--label-map", ANERCORP, "--out", out]
    code, err = _run(capsys, *argv, "--split", "test")
    assert code == 0, err
    assert [r["ner_tags"] for r in _records(out)] == EXPECTED_HF
    out.unlink()
    code, err = _run(capsys, *argv, "--split", "validation")
    assert code == 1 and "validation" in err and not out.exists()


def test_hf_hub_name_offline_fails_at_once_with_what_to_do(tmp_path, capsys, monkeypatch):
    import logging

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "empty-cache"))
    # An earlier test's log handler may hold a stream pytest has closed; logging would print that
    # handler's own traceback ("--- Logging error ---"), which is not ours.
    monkeypatch.setattr(logging, "raiseExceptions", False)
    out = tmp_path / "hf.jsonl"
    code, err = _run(
        capsys,
        "corpus",
        "convert",
        "--format",
        "hf",
        "--dataset",
        "someone/arabic-ner",
        "--label-map",
        ANERCORP,
        "--out",
        out,
    )
    assert code == 1 and not out.exists()
    assert "cannot load dataset 'someone/arabic-ner'" in err and "HF_HUB_OFFLINE" in err and "save_to_disk" in err


def test_hf_hub_unreachable_fails_fast_without_offline_flag(monkeypatch):
    from arastance.corpus.hf import load_split
    from arastance.errors import UserError

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens
    with pytest.raises(UserError, match="did not answer within 2 s"):
        load_split("someone/arabic-ner", "train", None, timeout_s=2)


def test_invisible_characters_are_not_tokens(tmp_path: Path) -> None:
    from arastance.corpus.external import CorpusError, LabelMap, convert_sentences, parse_conll

    # A line of bidi marks separates sentences like a blank one; a token of them alone is refused by place.
    sentences = parse_conll("قسد B-ORG\n\u200f\u200e\nفي O\n", "x.conll", "src")
    assert [s.tokens for s in sentences] == [["قسد"], ["في"]]
    label_map = LabelMap("src", {"ORG": "ORG"}, "map.yaml")
    with pytest.raises(CorpusError) as caught:
        convert_sentences(parse_conll("قسد B-ORG\n\u200d O\n", "x.conll", "src"), label_map)
    assert "x.conll:2: token '\\u200d' shows nothing" in str(caught.value) and "U+200D" in str(caught.value)
