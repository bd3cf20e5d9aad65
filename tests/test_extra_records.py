"""Extra training records (`data.extra_records`): reading them, sampling them per split, and a
training run where they join the training side only — dev and held-out data stay the gold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.helpers.configs import compose_train

from arastance.corpus.records import ExtraRecordsError, parse_extra_records, read_extra_records, with_word_offsets
from arastance.errors import ConfigError
from arastance.gold.splits import extra_for_split, load_extra_records, load_gold
from arastance.schema import Schema
from arastance.settings import from_config
from arastance.training.run import data_block, pooled_data_block

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"


def record(doc_id: str, sentence_id: int, tokens: list[str], tags: list[str], source: str = "anercorp") -> dict:
    return {"doc_id": doc_id, "sentence_id": sentence_id, "tokens": tokens, "ner_tags": tags, "source": source}


def jsonl(*records: dict) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def write_extra(path: Path, n: int, source: str = "anercorp") -> Path:
    """n distinct converted sentences, as `arastance corpus convert` writes them."""
    rows = [
        record(f"{source}-{i // 10}", i % 10, ["قال", "محمد", "في", f"دمشق{i}"], ["O", "B-PER", "O", "B-GPE"], source)
        for i in range(n)
    ]
    path.write_text(jsonl(*rows), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- reading


def test_valid_records_are_read_with_their_source(schema: Schema) -> None:
    text = jsonl(
        record("a-0", 0, ["في", "دمشق"], ["O", "B-GPE"]),
        {"doc_id": "a-0", "sentence_id": 1, "tokens": ["x"], "ner_tags": ["O"]},
    )
    records = parse_extra_records(text, "extra/wojood.jsonl", schema)
    assert [r["source"] for r in records] == ["anercorp", "wojood"]  # no source: the file's stem
    assert records[1]["tokens"] == ["x"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "not a JSON object"),
        (json.dumps({"doc_id": "a", "tokens": ["x"], "ner_tags": ["O"]}), "missing key(s) sentence_id"),
        (json.dumps(record("a", 0, ["x", "y"], ["O"])), "one tag per token"),
        (json.dumps(record("a", 0, ["x"], ["B-PERS"])), "'B-PERS' (word 0) is not one of the schema's IOB2 tags"),
        (json.dumps(record("a", 0, ["x", "y"], ["O", "I-PER"])), "does not continue an entity"),
        (json.dumps(record("a", 0, [], [])), "non-empty list"),
        (json.dumps(record("a", "0", ["x"], ["O"])), "`sentence_id` must be an integer"),
    ],
)
def test_a_bad_line_is_named_by_file_and_line(schema: Schema, line: str, expected: str) -> None:
    text = jsonl(record("a", 5, ["x"], ["O"])) + "\n" + line + "\n"
    with pytest.raises(ExtraRecordsError) as err:
        parse_extra_records(text, "extra.jsonl", schema)
    assert "extra.jsonl:3: " in str(err.value) and expected in str(err.value)


def test_gold_documents_and_repeated_sentences_are_refused(schema: Schema) -> None:
    text = jsonl(record("000_gold", 0, ["x"], ["O"]), record("a", 0, ["x"], ["O"]), record("a", 0, ["y"], ["O"]))
    with pytest.raises(ExtraRecordsError) as err:
        parse_extra_records(text, "e.jsonl", schema, frozenset({"000_gold"}))
    message = str(err.value)
    assert "e.jsonl:1: doc_id '000_gold' is a gold document" in message
    assert "e.jsonl:3: sentence 0 of document 'a' appears twice" in message


def test_every_file_problem_is_reported_together(tmp_path: Path, schema: Schema) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(ExtraRecordsError) as err:
        read_extra_records([tmp_path / "missing.jsonl", empty], schema)
    assert "missing.jsonl: no such file" in str(err.value) and "empty.jsonl: no records" in str(err.value)


def test_offsets_are_those_of_the_tokens_joined_by_spaces() -> None:
    tokens = ["قال", "محمد", "،"]
    offsets = with_word_offsets(record("a", 0, tokens, ["O"] * 3))["offsets"]
    joined = " ".join(tokens)
    assert [joined[s:e] for s, e in offsets] == tokens


# --------------------------------------------------------------------------- config checks and sampling


def test_extra_records_with_the_stance_task_is_a_config_error(tmp_path: Path, schema: Schema) -> None:
    extra = str(write_extra(tmp_path / "e.jsonl", 3))
    with pytest.raises(ConfigError, match=r"task=stance.*NER sentences"):
        from_config({"task": {"name": "stance", "metric": "macro_f1"}, "data": {"extra_records": [extra]}})
    data = from_config({"data": {"extra_records": [extra]}}).data
    assert len(load_extra_records(data, schema, [])) == 3


@pytest.mark.parametrize(("split", "ratio"), [("cv", 0.0), ("cv", -1.0), ("external", 1.0)])
def test_a_ratio_that_cannot_work_is_a_config_error(tmp_path: Path, split: str, ratio: float) -> None:
    data = {"split": split, "extra_ratio": ratio, "extra_records": [str(write_extra(tmp_path / "e.jsonl", 3))]}
    with pytest.raises(ConfigError, match=r"data\.extra_ratio"):
        from_config({"data": data})


def test_the_ratio_samples_extra_sentences_per_gold_sentence_reproducibly() -> None:
    records = [record("a", i, [f"w{i}"], ["O"]) for i in range(100)]
    sample = extra_for_split(records, gold_sentences=20, ratio=1.5, seed=3, split_name="fold-0")
    assert len(sample) == 30 and len({r["sentence_id"] for r in sample}) == 30
    assert sample == extra_for_split(records, 20, 1.5, 3, "fold-0")
    assert sample != extra_for_split(records, 20, 1.5, 3, "fold-1")
    assert len(extra_for_split(records, 20, None, 3, "fold-0")) == 100  # null: all of them
    assert len(extra_for_split(records, 200, 1.0, 3, "fold-0")) == 100  # never more than there are


def test_data_blocks_count_per_split_and_average_over_folds() -> None:
    from arastance.gold.splits import Split

    extra = [record("a", 0, ["x"], ["O"]), record("b", 0, ["x"], ["O"], source="wojood"), record("a", 1, ["x"], ["O"])]
    block = data_block(Split(0, ("d1", "d2", "d3"), ("d4",), ("d0",)), 60, extra)
    assert block == {
        "train_docs": 3,
        "gold_train_sentences": 60,
        "extra_train_sentences": 3,
        "extra_sources": {"anercorp": 2, "wojood": 1},
    }
    other = {"train_docs": 3, "gold_train_sentences": 40, "extra_train_sentences": 1, "extra_sources": {"anercorp": 1}}
    pooled = pooled_data_block([block, other])
    assert pooled == {
        "train_docs": 3.0,
        "gold_train_sentences": 50.0,
        "extra_train_sentences": 2.0,
        "extra_sources": {"anercorp": 1.5, "wojood": 0.5},
        "folds": 2,
    }


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


def quick(run_dir: Path, cache: Path, *extra: str) -> list[str]:
    return [
        "task=ner",
        "model=tiny",
        "trainer=smoke",
        f"run_dir={run_dir}",
        f"paths.root={ROOT}",
        f"paths.cache_dir={cache}",
        *extra,
    ]


@pytest.mark.slow
def test_extra_records_join_the_training_side_only(tmp_path: Path, cache: Path, schema: Schema) -> None:
    from arastance.train import train

    extra = write_extra(tmp_path / "extra.jsonl", 300)
    run_dir = tmp_path / "run"
    cfg = compose_train(
        quick(
            run_dir,
            cache,
            "trainer.max_steps=2",
            "data.folds=[0,1]",
            f"data.extra_records=[{extra}]",
            "data.extra_ratio=2.0",
        )
    )
    metrics = train(cfg)

    gold = load_gold(ROOT / "annotations" / "gold", ROOT / "annotations" / "documents", schema)
    sentences = {d.doc_id: len(d.sentences) for d in gold}
    blocks = []
    for fold in ("fold-0", "fold-1"):
        fold_metrics = json.loads((run_dir / fold / "metrics.json").read_text())
        split = fold_metrics["split"]
        assert set(split["dev"]) | set(split["test"]) <= set(sentences)  # dev and held-out: gold documents
        predicted = [
            json.loads(line)["doc_id"] for line in (run_dir / fold / "predictions.jsonl").read_text().splitlines()
        ]
        assert predicted == split["test"]
        gold_train = sum(sentences[d] for d in split["train"])
        assert fold_metrics["data"] == {
            "train_docs": len(split["train"]),
            "gold_train_sentences": gold_train,
            "extra_train_sentences": 2 * gold_train,
            "extra_sources": {"anercorp": 2 * gold_train},
        }
        blocks.append(fold_metrics["data"])
    assert metrics["data"] == pooled_data_block(blocks)
    assert json.loads((run_dir / "metrics.json").read_text())["data"] == metrics["data"]


@pytest.mark.slow
def test_a_bad_extra_file_fails_before_any_work(tmp_path: Path, cache: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(jsonl(record("a", 0, ["x"], ["B-PER"])) + jsonl(record("a", 1, ["x"], ["B-MISC"])), encoding="utf-8")
    run_dir = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "arastance.train", *quick(run_dir, cache, f"data.extra_records=[{bad}]")],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 1, result.stderr
    assert f"{bad}:2: tag 'B-MISC'" in result.stderr and "Traceback" not in result.stderr
    # Hydra's own .hydra/ is written before the app starts; a run that never began takes it away again.
    assert not run_dir.exists()


def test_the_tiny_vocabulary_is_built_from_the_gold_and_the_extra_records(tmp_path: Path) -> None:
    """A word only the extra records have is one token of the tiny model built for that run, and
    spelled in pieces by the gold-only one; the gold-only model is the one the demo has always used."""
    from omegaconf import OmegaConf
    from transformers import AutoTokenizer

    from arastance.corpus.normalize import normalize_arabert_v02
    from arastance.models.tiny import ensure_tiny_model
    from arastance.training.cv import vocabulary_texts

    spec = dict(OmegaConf.load(ROOT / "configs" / "model" / "tiny.yaml").tiny)
    gold_texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "annotations" / "documents").glob("*.txt"))]
    word = "كيرلنغتون"
    assert all(word not in text for text in gold_texts)
    extra = [{"tokens": ["زار", word, "دمشق"], "ner_tags": ["O", "B-PER", "B-GPE"]}] * 3
    texts = vocabulary_texts(gold_texts, extra)
    assert texts[: len(gold_texts)] == gold_texts and texts[-1] == f"زار {word} دمشق"
    with_extra = AutoTokenizer.from_pretrained(ensure_tiny_model(tmp_path, spec, texts, normalize_arabert_v02))
    gold_only = AutoTokenizer.from_pretrained(ensure_tiny_model(tmp_path, spec, gold_texts, normalize_arabert_v02))
    assert with_extra.tokenize(word) == [word]
    assert len(gold_only.tokenize(word)) > 1 and "[UNK]" not in gold_only.tokenize(word)
