"""A corpus's own test split (`data.eval_records`) scored beside the gold, and runs on a corpus's own labels
(`data.labels`, `corpus convert --native-labels`, experiment=anercorp_arabert), on fixtures in ANERcorp's
format (tests/fixtures/conll/anercorp_*.txt: made-up sentences, nothing of the corpus)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.helpers.configs import compose_train

from arastance.cli import main as cli_main
from arastance.corpus.external import CorpusError, load_label_map, native_label_map, native_schema
from arastance.corpus.records import ExtraRecordsError
from arastance.errors import ConfigError, UserError
from arastance.evaluation.report import render_report_md
from arastance.evaluation.test_sets import absent_labels_line, corpus_test_lines, load_corpus_test_sets
from arastance.gold.splits import run_schema
from arastance.schema import Schema
from arastance.settings import DataSettings, validate_training_config

ROOT = Path(__file__).resolve().parents[1]
ANERCORP = ROOT / "configs" / "corpus" / "anercorp.yaml"
FIXTURES = ROOT / "tests" / "fixtures" / "conll"
NATIVE = ("PERS", "LOC", "ORG", "MISC")


def convert(tmp_path: Path, name: str, native: bool, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / f"{name}{'-native' if native else ''}.jsonl"
    argv = [
        "corpus",
        "convert",
        "--format",
        "conll",
        "--label-map",
        str(ANERCORP),
        str(FIXTURES / f"anercorp_{name}.txt"),
    ]
    assert cli_main([*argv, *(["--native-labels"] if native else []), "--out", str(out)]) == 0
    capsys.readouterr()
    return out


def tags(path: Path) -> set[str]:
    return {t for line in path.read_text(encoding="utf-8").splitlines() for t in json.loads(line)["ner_tags"]}


# --------------------------------------------------------------------------- the corpus's own labels


def test_native_labels_keep_the_corpus_types_and_the_mapped_ones_do_not(tmp_path, capsys) -> None:
    native, mapped = convert(tmp_path, "test", True, capsys), convert(tmp_path, "test", False, capsys)
    assert {t[2:] for t in tags(native) if t != "O"} == set(NATIVE)
    assert {t[2:] for t in tags(mapped) if t != "O"} == {"PER", "GPE", "ORG"}  # LOC→GPE, MISC dropped


def test_the_run_schema_is_the_corpus_labels_only_when_data_labels_is_set(schema: Schema) -> None:
    assert run_schema(schema, DataSettings(split="external")) is schema
    native = run_schema(schema, DataSettings(split="external", labels=str(ANERCORP)))
    assert native.entity_labels == NATIVE and native.iob_tags[:3] == ("O", "B-PERS", "I-PERS")
    assert native.stance_classes == schema.stance_classes


@pytest.mark.parametrize(
    "overrides",
    [["data=cv"], ["data=fixed"], ["task=stance", "data=external", "data.extra_records=[x.jsonl]"]],
)
def test_the_corpus_labels_need_ner_trained_on_that_corpus_alone(overrides: list[str]) -> None:
    with pytest.raises(ConfigError, match="needs task=ner and data=external"):
        validate_training_config(compose_train([*overrides, f"data.labels={ANERCORP}"]))


def test_a_map_without_native_labels_says_so(schema: Schema, tmp_path: Path) -> None:
    bare = tmp_path / "bare.yaml"
    bare.write_text("source: x\nlabels: {PERS: PER}\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bare\.yaml: no `native_labels:`"):
        native_schema(schema, bare)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("source: x\nlabels: {PERS: PER}\nnative_labels: [PERS, LOC]\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="native_labels"):
        load_label_map(wrong, schema)
    assert native_label_map(load_label_map(ANERCORP, schema)).labels == {t: t for t in NATIVE}


def test_native_records_are_refused_by_a_gold_schema_run(tmp_path, capsys, schema: Schema) -> None:
    native = convert(tmp_path, "test", True, capsys)
    with pytest.raises(ExtraRecordsError, match="B-PERS"):
        load_corpus_test_sets([native], "ner", schema)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("data.eval_records=5", "data.eval_records=5: must be a list"),
        ("data.labels=''", "data.labels='': must be null"),
    ],
)
def test_bad_values_are_refused_before_any_work(override: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        validate_training_config(compose_train([override]))


def test_a_recipe_seed_is_not_overwritten_by_the_default_and_the_command_line_wins() -> None:
    cfg = compose_train(["experiment=anercorp_camelbert"])
    assert (cfg.seed, cfg.model.name, cfg.trainer.learning_rate, cfg.trainer.max_rows) == (
        12345,
        "camelbert_msa",
        5e-5,
        32,
    )
    assert compose_train(["experiment=anercorp_arabert", "seed=3"]).seed == 3
    assert compose_train([]).seed == 42


# --------------------------------------------------------------------------- test sets


def test_test_sets_are_grouped_by_source(tmp_path, capsys, schema: Schema) -> None:
    mapped = convert(tmp_path, "test", False, capsys)
    other = tmp_path / "other.jsonl"
    other.write_text(
        json.dumps({"doc_id": "o-0", "sentence_id": 0, "tokens": ["في", "دمشق"], "ner_tags": ["O", "B-GPE"]}) + "\n",
        encoding="utf-8",
    )
    sets = load_corpus_test_sets([mapped, other], "ner", schema)
    assert [(s.source, len(s.records), s.files) for s in sets] == [
        ("anercorp", 4, (str(mapped),)),
        ("other", 1, (str(other),)),
    ]
    with pytest.raises(UserError, match="task=stance"):
        load_corpus_test_sets([mapped], "stance", schema)


def _block(micro: float) -> dict:
    row = {"precision": micro, "recall": micro, "f1": micro, "support": 3}
    interval = {"low": micro - 0.1, "high": micro + 0.1}
    return {
        "files": ["test.jsonl"],
        "sentences": 4,
        "documents": 1,
        "bootstrap": {"n": 10, "seed": 0, "confidence": 0.95},
        "splits": {
            "fixed": {
                "ner": {
                    "per_label": {"PERS": row},
                    "micro": row,
                    "macro": row,
                    "micro_f1": micro,
                    "conlleval": {"per_label": {"PERS": row}, "micro": row},
                },
                "ci": {"per_label": {"PERS": {"f1": interval}}, "micro": {"f1": interval}, "macro_f1": interval},
            }
        },
    }


def test_summaries_name_the_test_set_and_keep_it_apart_from_the_gold() -> None:
    lines = corpus_test_lines({"anercorp": _block(0.625)})
    assert lines == ["test set anercorp (4 sentences): micro-F1 0.6250 [0.5250, 0.7250], macro-F1 0.6250"]
    metrics = {
        "title": "t",
        "ner": {
            "run": {"run_dir": "r", "model": "tiny", "folds": ["fixed"]},
            "per_fold": [{"fold": "fixed", "test": [], "sentences": 0, "micro_f1": 0.0}],
        },
        "test_sets": {"anercorp": _block(0.625)},
    }
    report = render_report_md(metrics, {})
    assert "## Test set: anercorp" in report and "| **micro** | 0.625 | 0.625 | 0.625 | [0.525, 0.725]" in report
    assert "No gold document was held out" in report and "## NER" not in report


def test_labels_the_test_set_lacks_leave_the_table_but_their_predictions_still_count(schema: Schema) -> None:
    """A mapped ANERcorp has no DATE or NORP: no row of zeros for them, their predictions named and kept
    as false positives in micro, in the report and the card alike."""
    from arastance.evaluation.bootstrap import ner_counts, ner_intervals, resample_weights
    from arastance.evaluation.test_sets import absent_labels_line, without_absent_labels
    from arastance.scoring.metrics import ner_metrics

    gold = [["B-PER", "I-PER", "O", "B-GPE"], ["O", "B-GPE", "O", "O"]]
    pred = [["B-PER", "I-PER", "B-NORP", "B-GPE"], ["O", "B-GPE", "O", "O"]]
    labels = schema.entity_labels
    counts = ner_counts(gold, pred, labels)
    full = {
        "ner": ner_metrics(gold, pred, labels),
        "ci": ner_intervals(counts, resample_weights(["d", "d"], 20, 0), 0.95, labels),
    }
    block = without_absent_labels(full, counts)
    assert set(block["ner"]["per_label"]) == {"PER", "GPE"} == set(block["ci"]["per_label"])
    assert block["absent_labels"] == {label: int(label == "NORP") for label in labels if label not in {"PER", "GPE"}}
    assert block["ner"]["micro"] == full["ner"]["micro"] and block["ner"]["micro"]["precision"] == pytest.approx(0.75)
    line = absent_labels_line(block)
    assert "NORP (1 predicted)" in line and "DATE (0 predicted)" in line
    assert absent_labels_line(without_absent_labels(full | {"ner": full["ner"] | {"per_label": {}}}, counts)) == ""

    test_block = _block(0.5)
    test_block["splits"]["fixed"] |= {"absent_labels": block["absent_labels"]}
    metrics = {
        "title": "t",
        "ner": {"run": {"run_dir": "r", "model": "tiny", "folds": ["fixed"]}, "per_fold": []},
        "test_sets": {"anercorp": test_block},
    }
    assert line in render_report_md(metrics, {})


# --------------------------------------------------------------------------- end to end (tiny model)


@pytest.mark.slow
def test_the_anercorp_recipe_trains_and_scores_on_the_corpus_labels_with_the_tiny_model(
    tmp_path, capsys, monkeypatch
) -> None:
    """experiment=anercorp_arabert as `make anercorp` runs it, on the tiny model: trained on the native
    training records, no gold held out, the test set scored with intervals; `evaluate` scores it again."""
    from arastance.evaluate import evaluate
    from arastance.train import train

    train_records, test_records = convert(tmp_path, "train", True, capsys), convert(tmp_path, "test", True, capsys)
    run_dir = tmp_path / "run"
    cfg = compose_train(
        [
            "experiment=anercorp_arabert",
            "model=tiny",
            "trainer.precision=fp32",
            "trainer.num_epochs=2",
            "trainer.trackers=[]",
            f"data.extra_records=[{train_records}]",
            f"data.eval_records=[{test_records}]",
            f"run_dir={run_dir}",
            f"paths.root={ROOT}",
            f"paths.cache_dir={tmp_path / 'cache'}",
        ]
    )
    metrics = train(cfg)
    printed = capsys.readouterr().out
    assert json.loads((run_dir / "best" / "config.json").read_text())["label2id"].keys() == {
        "O",
        *(f"{p}-{t}" for t in NATIVE for p in "BI"),
    }
    assert metrics["split"]["test"] == [] and "no gold documents held out" in printed
    block = json.loads((run_dir / "metrics.json").read_text())["test_sets"]["anercorp"]
    scored = block["splits"]["fixed"]
    assert block["sentences"] == 4 and list(scored["ner"]["per_label"]) == list(NATIVE)
    assert sum(r["support"] for r in scored["ner"]["per_label"].values()) == 10  # the fixture's mentions
    low, high = scored["ci"]["micro"]["f1"]["low"], scored["ci"]["micro"]["f1"]["high"]
    assert low <= scored["ner"]["micro_f1"] <= high
    assert f"test set anercorp (4 sentences): micro-F1 {scored['ner']['micro_f1']:.4f}" in printed

    from omegaconf import OmegaConf

    report = evaluate(
        OmegaConf.create(
            {
                "run_dir": str(run_dir),
                "report_dir": str(tmp_path / "report"),
                "eval": {"bootstrap": {"n": 1000}, "plots": False},
            }
        )
    )
    assert report["test_sets"]["anercorp"]["splits"] == block["splits"]  # the same model, the same scores
    assert "## Test set: anercorp" in (tmp_path / "report" / "report.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_cross_validation_run_scores_the_test_set_with_every_fold_model_apart_from_the_gold(
    tmp_path, capsys, schema: Schema
) -> None:
    """On our schema (mapped records), two folds: the gold figures are the gold's alone, each fold's model
    has its own test-set block with the folds' spread, and the published fold's block is in the card."""
    from arastance.train import train

    test_records = convert(tmp_path, "test", False, capsys)
    run_dir = tmp_path / "run"
    cfg = compose_train(
        [
            "experiment=demo_ner",
            "data.folds=[0,1]",
            "trainer.max_steps=2",
            "trainer.precision=fp32",
            f"data.eval_records=[{test_records}]",
            f"run_dir={run_dir}",
            f"paths.root={ROOT}",
            f"paths.cache_dir={tmp_path / 'cache'}",
        ]
    )
    metrics = train(cfg)
    printed = capsys.readouterr().out
    block = metrics["test_sets"]["anercorp"]
    assert set(block["splits"]) == {"fold-0", "fold-1"} and "test_sets" not in metrics["ner"]
    per_fold = {name: b["ner"]["micro_f1"] for name, b in block["splits"].items()}
    assert block["folds_micro_f1"]["per_fold"] == per_fold
    assert block["folds_micro_f1"]["mean"] == pytest.approx(sum(per_fold.values()) / 2)
    fold_0 = block["splits"]["fold-0"]
    # The mapped ANERcorp has no NORP, LOC, FAC, QUANTITY or DATE: named apart, not zero rows in the table.
    assert set(fold_0["ner"]["per_label"]) == {"PER", "ORG", "GPE"}
    assert set(fold_0["absent_labels"]) == set(schema.entity_labels) - {"PER", "ORG", "GPE"}
    assert "fold-1's model" in printed and "micro-F1 over the fold models" in printed
    assert json.loads((run_dir / "metrics.json").read_text())["test_sets"]["anercorp"] == block
    assert cli_main(["publish", str(run_dir), "--out", str(tmp_path / "pub")]) == 0
    card = (tmp_path / "pub" / "README.md").read_text(encoding="utf-8")
    assert "## Scores on the anercorp test set" in card and "4 sentences of the corpus's own test split" in card
    assert f"Micro-F1 {per_fold['fold-0']:.3f}" in card
    assert absent_labels_line(fold_0) in card  # publish takes the first fold unless told otherwise


@pytest.mark.slow
def test_the_extra_data_table_script_measures_every_row_for_every_seed(tmp_path: Path) -> None:
    """scripts/extra_data_table.sh (README "Does extra data help the tiny model?") on the ANERcorp-format
    fixture, two seeds, one fold and one step per run: every row gets a score per seed, a mean and a spread."""
    import os
    import subprocess
    import sys

    out = tmp_path / "table"
    env = {
        **os.environ,
        "SEEDS": "1 2",
        "ARGS": "trainer.max_steps=1 data.folds=[0] trainer.num_epochs=1",
        "ARASTANCE": str(Path(sys.executable).with_name("arastance")),
    }
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "extra_data_table.sh"), str(FIXTURES / "anercorp_train.txt"), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert lines[0] == "| training data | seed 1 | seed 2 | mean | sd |"
    rows = [line.strip("| ").split(" | ") for line in lines[1:]]
    assert [r[0] for r in rows][-1] == "the same, `data.partial_labels=true`" and len(rows) == 5
    for row in rows:
        values = [float(v) for v in row[1:]]
        assert len(values) == 4 and all(0.0 <= v <= 1.0 for v in values[:3])
        assert values[2] == pytest.approx((values[0] + values[1]) / 2, abs=1e-3)
    partial = json.loads((out / "partial-1" / "fold-0" / "metrics.json").read_text())
    assert partial["data"]["partial_labels"] == {"anercorp": ["DATE", "FAC", "LOC", "NORP", "QUANTITY"]}
