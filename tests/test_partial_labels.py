"""Partial labels (`data.partial_labels`): an `O` word of a corpus that does not annotate some of our
labels trains as "O or one of those", from the label map through the records to the loss."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from tests.helpers.configs import compose_train

from arastance.corpus.external import convert_sentences, native_label_map, parse_conll, parse_label_map
from arastance.corpus.records import ExtraRecordsError, parse_extra_records
from arastance.errors import ConfigError, UserError
from arastance.features.encode import IGNORE_INDEX, EncodingConfig, encode_units, units_from_records
from arastance.features.partial import (
    allowed_tags,
    partial_records,
    partial_tag,
    training_label2id,
    unannotated_by_source,
)
from arastance.gold.splits import load_extra_records
from arastance.schema import Schema
from arastance.settings import from_config
from arastance.tasks import get_task
from arastance.training.loop import partial_label_nll, task_loss
from arastance.training.run import pooled_data_block

ROOT = Path(__file__).resolve().parents[1]
MAP = {"source": "anercorp", "labels": {"PERS": "PER", "LOC": "GPE", "MISC": None}, "unannotated": ["NORP", "DATE"]}


def record(tags: list[str], unannotated: list[str] | None = None, sentence_id: int = 0) -> dict:
    tokens = [f"w{i}" for i in range(len(tags))]
    out = {"doc_id": "c-0", "sentence_id": sentence_id, "tokens": tokens, "ner_tags": tags, "source": "anercorp"}
    return out | ({"unannotated": unannotated} if unannotated else {})


# --------------------------------------------------------------------------- label map → records


def test_convert_writes_the_maps_unannotated_labels_into_every_record(schema: Schema) -> None:
    label_map = parse_label_map(MAP, "anercorp.yaml", schema)
    sentences = parse_conll("محمد B-PERS\nفي O\nدمشق B-LOC\n\nأمس O\n", "c.txt", "anercorp")
    records = convert_sentences(sentences, label_map).records
    assert [r["unannotated"] for r in records] == [["DATE", "NORP"], ["DATE", "NORP"]]
    # On the corpus's own labels the corpus annotates everything it has: no partial tags.
    native = parse_label_map(MAP | {"native_labels": ["PERS", "LOC", "MISC"]}, "anercorp.yaml", schema)
    assert all("unannotated" not in r for r in convert_sentences(sentences, native_label_map(native)).records)


def test_records_keep_valid_unannotated_labels_and_name_bad_ones(schema: Schema) -> None:
    good = json.dumps(record(["O", "B-PER"], ["NORP", "DATE", "NORP"]))
    assert parse_extra_records(good, "e.jsonl", schema)[0]["unannotated"] == ["DATE", "NORP"]
    bad = json.dumps(record(["O"], ["DATES"]))
    with pytest.raises(ExtraRecordsError, match=r"e\.jsonl:2: `unannotated` must be a list of schema labels"):
        parse_extra_records(good + "\n" + bad, "e.jsonl", schema)


# --------------------------------------------------------------------------- tags and ids


def test_only_the_o_words_of_records_with_unannotated_labels_become_partial() -> None:
    plain = record(["O", "B-PER"])
    marked = record(["O", "B-PER", "I-PER", "O"], ["NORP", "DATE"], 1)
    out = partial_records([plain, marked])
    assert out[0] is plain
    assert out[1]["ner_tags"] == ["O~DATE,NORP", "B-PER", "I-PER", "O~DATE,NORP"]
    assert marked["ner_tags"][0] == "O"  # the input is not changed
    assert partial_tag(["NORP", "DATE", "NORP"]) == "O~DATE,NORP"


def test_partial_tags_get_ids_after_the_schemas_and_allow_o_and_their_labels(schema: Schema) -> None:
    label2id = schema.label2id("ner")
    ids = training_label2id(label2id, ["O", "O~NORP", "B-PER", "O~DATE,NORP", "O~NORP"])
    n = len(label2id)
    assert {k: v for k, v in ids.items() if v < n} == label2id
    assert [ids["O~DATE,NORP"], ids["O~NORP"]] == [n, n + 1]
    rows = allowed_tags(ids, n)
    id2tag = {i: t for t, i in label2id.items()}
    assert [{id2tag[i] for i, ok in enumerate(row) if ok} for row in rows] == [
        {"O", "B-DATE", "I-DATE", "B-NORP", "I-NORP"},
        {"O", "B-NORP", "I-NORP"},
    ]
    assert allowed_tags(label2id, n) == []


def test_encoded_windows_carry_the_partial_ids_on_first_subwords(schema: Schema, tiny_tokenizer) -> None:
    label2id = schema.label2id("ner")
    records = partial_records([record(["O", "B-PER", "O"], ["DATE"]) | {"offsets": [[0, 2], [3, 5], [6, 8]]}])
    units = units_from_records(records, get_task("ner"))
    ids = training_label2id(label2id, [t for u in units for t in u.ner_tags or ()])
    cfg = EncodingConfig(task=get_task("ner"), max_length=64, stride=8, label2id=ids)
    [window] = encode_units(units, tiny_tokenizer, lambda w: w, cfg)
    firsts = [label for label in window.labels if label != IGNORE_INDEX]
    assert firsts == [ids["O~DATE"], label2id["B-PER"], ids["O~DATE"]]


# --------------------------------------------------------------------------- the loss


def test_without_partial_tags_the_loss_is_cross_entropy() -> None:
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 7, 5, generator=generator)
    labels = torch.randint(0, 5, (3, 7), generator=generator)
    labels[0, :2] = IGNORE_INDEX
    expected = torch.nn.functional.cross_entropy(logits.view(-1, 5), labels.view(-1), ignore_index=IGNORE_INDEX)
    allowed = torch.tensor([[True, True, False, False, False]])
    assert torch.allclose(task_loss("ner", logits, labels, None, allowed), expected, atol=1e-6)


def test_a_partial_token_costs_minus_log_the_probability_of_its_set() -> None:
    logits = torch.tensor([[2.0, 0.5, -1.0, 1.0], [0.0, 3.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    allowed = torch.tensor([[True, False, True, True]])
    labels = torch.tensor([4, 1, IGNORE_INDEX])  # partial (set 0), exact tag 1, ignored
    p = np.exp(logits.numpy()) / np.exp(logits.numpy()).sum(-1, keepdims=True)
    expected = (-math.log(p[0, [0, 2, 3]].sum()) - math.log(p[1, 1])) / 2
    assert partial_label_nll(logits, labels, allowed).item() == pytest.approx(expected, rel=1e-6)


def test_an_o_word_of_a_corpus_without_dates_no_longer_pushes_date_down() -> None:
    """The point of it: with plain O, the gradient lowers B-DATE's logit; as "O or DATE" it does not."""
    logits = torch.tensor([[1.0, 0.5, 0.2]], requires_grad=True)  # O, B-DATE, I-DATE
    task_loss("ner", logits, torch.tensor([0]), None).backward()
    assert logits.grad is not None and logits.grad[0, 1] > 0  # descending the loss lowers B-DATE
    partial = logits.detach().clone().requires_grad_(True)
    partial_label_nll(partial, torch.tensor([3]), torch.tensor([[True, True, True]])).backward()
    assert partial.grad is not None and torch.all(partial.grad.abs() < 1e-6)  # every tag allowed: nothing learnt


# --------------------------------------------------------------------------- settings and the run


def _write(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_partial_labels_without_extra_records_or_on_a_corpus_own_labels_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"data\.partial_labels=true .* none are given"):
        from_config({"data": {"partial_labels": True}})
    extra = str(_write(tmp_path / "e.jsonl", record(["O"], ["DATE"])))
    native = {"split": "external", "extra_records": [extra], "labels": "configs/corpus/anercorp.yaml"}
    with pytest.raises(ConfigError, match=r"on its own labels a corpus annotates every type"):
        from_config({"data": native | {"partial_labels": True}})


def test_partial_labels_with_records_that_declare_nothing_fail_before_training(tmp_path: Path, schema) -> None:
    extra = _write(tmp_path / "plain.jsonl", record(["O", "B-PER"]))
    data = from_config({"data": {"extra_records": [str(extra)], "partial_labels": True}}).data
    with pytest.raises(UserError, match=rf"no record of {extra} names `unannotated` labels"):
        load_extra_records(data, schema, [])
    declared = _write(tmp_path / "declared.jsonl", record(["O", "B-PER"], ["DATE"]))
    data = from_config({"data": {"extra_records": [str(declared)], "partial_labels": True}}).data
    assert load_extra_records(data, schema, [])[0]["unannotated"] == ["DATE"]


def test_the_data_block_names_the_unannotated_labels_per_source() -> None:
    extra = [record(["O"], ["DATE"]), record(["O"], ["NORP"], 1), record(["O"]) | {"source": "wojood"}]
    assert unannotated_by_source(extra) == {"anercorp": ["DATE", "NORP"]}
    blocks = [
        {"train_docs": 4, "gold_train_sentences": 10, "extra_train_sentences": 5, "extra_sources": {"anercorp": 5}}
        | {"partial_labels": {"anercorp": ["DATE"]}},
        {"train_docs": 4, "gold_train_sentences": 12, "extra_train_sentences": 6, "extra_sources": {"anercorp": 6}}
        | {"partial_labels": {"anercorp": ["NORP"]}},
    ]
    assert pooled_data_block(blocks)["partial_labels"] == {"anercorp": ["DATE", "NORP"]}
    assert "partial_labels" not in pooled_data_block(
        [{k: v for k, v in b.items() if k != "partial_labels"} for b in blocks]
    )


@pytest.mark.slow
def test_a_run_with_partial_labels_trains_and_says_so(tmp_path: Path) -> None:
    from arastance.train import train

    rows = [
        {
            "doc_id": f"c-{i // 10}",
            "sentence_id": i % 10,
            "tokens": ["قال", "محمد", "أمس", f"دمشق{i}"],
            "ner_tags": ["O", "B-PER", "O", "B-GPE"],
            "source": "anercorp",
            "unannotated": ["DATE", "NORP"],
        }
        for i in range(40)
    ]
    extra = _write(tmp_path / "extra.jsonl", *rows)
    run_dir = tmp_path / "run"
    metrics = train(
        compose_train(
            [
                "task=ner",
                "model=tiny",
                "trainer=smoke",
                "trainer.max_steps=2",
                "data.folds=[0]",
                f"data.extra_records=[{extra}]",
                "data.partial_labels=true",
                f"run_dir={run_dir}",
                f"paths.root={ROOT}",
                f"paths.cache_dir={tmp_path / 'cache'}",
            ]
        )
    )
    fold = json.loads((run_dir / "fold-0" / "metrics.json").read_text())
    assert fold["data"]["partial_labels"] == {"anercorp": ["DATE", "NORP"]}
    assert metrics["data"]["partial_labels"] == {"anercorp": ["DATE", "NORP"]}
    assert math.isfinite(fold["final"]["train_loss"])
