"""`arastance publish`: the folder loads with plain transformers, the card says what it must, and a
push that cannot happen fails cleanly without touching the folder or leaking the token."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from arastance.cli import main
from arastance.errors import UserError
from arastance.models.model_config import check_model_config
from arastance.publish.card import front_matter, point_and_ci, render_card
from arastance.publish.package import card_facts, locate_run
from arastance.tasks import NER
from helpers.publish_runs import REPO_ROOT, schema, trained_runs

ARABIC = "قالت وزارة الدفاع الأميركية إن 900 جندي ما زالوا في سوريا"
FAKE_TOKEN = "hf_arastanceTestTokenNeverWritten1234567890"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return trained_runs(tmp_path_factory)


@pytest.fixture(scope="module")
def published(runs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("published")
    folders = {"ner": out / "ner", "stance": out / "stance"}
    assert main(["publish", str(runs["ner_cv"]), "--out", str(folders["ner"]), "--fold", "1"]) == 0
    assert main(["publish", str(runs["stance_fixed"]), "--out", str(folders["stance"])]) == 0
    return folders


def card_parts(folder: Path) -> tuple[dict, str]:
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


# --------------------------------------------------------------------------- folder contents


@pytest.mark.slow
@pytest.mark.parametrize("task", ["ner", "stance"])
def test_folder_holds_model_tokenizer_config_metrics_and_card(
    published: dict[str, Path], runs: dict[str, Path], task: str
) -> None:
    folder = published[task]
    names = {p.name for p in folder.iterdir()}
    assert {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "training_config.yaml",
        "metrics.json",
        "README.md",
        "schema.yaml",
    } <= names
    assert not any(n.startswith(".") for n in names)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert {int(k): v for k, v in config["id2label"].items()} == schema().id2label(task)
    assert config["label2id"] == schema().label2id(task)
    tokenizer_config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert tokenizer_config["model_max_length"] == 512
    assert "local_files_only" not in tokenizer_config
    run = runs["ner_cv" if task == "ner" else "stance_fixed"]
    assert (folder / "training_config.yaml").read_text(encoding="utf-8") == (run / "config.yaml").read_text(
        encoding="utf-8"
    )
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["task"] == task and task in metrics["scores"]
    assert metrics["published_fold"] == ("fold-1" if task == "ner" else None)


@pytest.mark.slow
def test_cv_run_publishes_the_chosen_fold(published: dict[str, Path], runs: dict[str, Path]) -> None:
    weights = (published["ner"] / "model.safetensors").read_bytes()
    assert weights == (runs["ner_cv"] / "fold-1" / "best" / "model.safetensors").read_bytes()
    _, body = card_parts(published["ner"])
    assert "one of 2 cross-validation models" in body and "**fold-1**" in body
    assert "train one final model on all documents" in body
    assert "data.split=fixed" in body and "--scores-from" in body  # the recipe for the final model


@pytest.mark.slow
def test_unknown_fold_and_fold_on_single_split_are_refused(
    runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["publish", str(runs["ner_cv"]), "--out", str(tmp_path / "a"), "--fold", "7"]) == 1
    assert "fold-0, fold-1" in capsys.readouterr().err
    assert main(["publish", str(runs["stance_fixed"]), "--out", str(tmp_path / "b"), "--fold", "0"]) == 1
    assert "single split" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


# --------------------------------------------------------------------------- loading with transformers


@pytest.mark.slow
def test_ner_folder_loads_with_auto_classes_and_pipeline(published: dict[str, Path]) -> None:
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    folder = str(published["ner"])
    tags = set(schema().iob_tags)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForTokenClassification.from_pretrained(folder).eval()
    assert tokenizer.model_max_length == 512
    enc = tokenizer(ARABIC.split(), is_split_into_words=True, return_tensors="pt")
    with torch.no_grad():
        predicted = model(**enc).logits[0].argmax(-1).tolist()
    assert {model.config.id2label[i] for i in predicted} <= tags

    ner = pipeline("token-classification", model=folder, aggregation_strategy="simple", ignore_labels=[])
    groups = ner(ARABIC)
    assert groups and {g["entity_group"] for g in groups} <= set(schema().entity_labels) | {"O"}
    for g in groups:
        assert ARABIC[g["start"] : g["end"]].strip()
    tokens = pipeline("token-classification", model=folder, ignore_labels=[])(ARABIC)
    assert tokens and {t["entity"] for t in tokens} <= tags


@pytest.mark.slow
def test_stance_folder_loads_with_auto_classes_and_pipeline(published: dict[str, Path]) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    folder = str(published["stance"])
    classes = set(schema().stance_classes)
    AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder)
    assert set(model.config.id2label.values()) == classes
    clf = pipeline("text-classification", model=folder, top_k=None)
    scores = clf(["أكدت واشنطن أن قواتها باقية في سوريا"])[0]  # a list in, one list of scores per text out
    assert {s["label"] for s in scores} == classes
    assert sum(s["score"] for s in scores) == pytest.approx(1.0, abs=1e-4)
    # The card shows the title/previous-sentence context as text_pair; that form must work too.
    paired = clf({"text": "أكدت واشنطن أن قواتها باقية في سوريا", "text_pair": "عنوان المقال"})
    assert {s["label"] for s in paired} == classes


# --------------------------------------------------------------------------- the card


@pytest.mark.slow
@pytest.mark.parametrize("task", ["ner", "stance"])
def test_card_front_matter(published: dict[str, Path], task: str) -> None:
    from huggingface_hub import ModelCard

    meta, body = card_parts(published[task])
    assert meta["language"] == "ar" and meta["license"] == "apache-2.0"
    kind = "token-classification" if task == "ner" else "text-classification"
    assert meta["pipeline_tag"] == kind
    assert {kind, "arabic", task, "arabert"} <= set(meta["tags"])
    assert "datasets" not in meta  # the gold is not on the Hub
    assert "base_model" not in meta  # the tiny model has none, and says so
    assert "random initial weights" in body and "Not for use" in body
    card = ModelCard.load(published[task] / "README.md")  # the Hub's own parser accepts it
    results = card.data.eval_results
    assert results and all(r.task_type == kind for r in results)
    metrics = json.loads((published[task] / "metrics.json").read_text(encoding="utf-8"))["scores"][task]
    headline = metrics["micro"]["f1"] if task == "ner" else metrics["macro_f1"]
    assert results[0].metric_value == pytest.approx(headline, abs=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("task", ["ner", "stance"])
def test_card_sections_scores_and_schema(published: dict[str, Path], task: str) -> None:
    _, body = card_parts(published[task])
    for section in (
        "## Intended use",
        "## Label schema",
        "## Scores",
        "## Training data",
        "## Limitations",
        "## How to use",
        "## How to reproduce",
    ):
        assert section in body
    s = schema()
    labels = s.entity_labels if task == "ner" else s.stance_classes
    per_label = json.loads((published[task] / "metrics.json").read_text(encoding="utf-8"))["scores"][task]["per_label"]
    for label in labels:
        assert f"| {label} | {' '.join(s.definitions[label].split())} |" in body  # schema table, from schema.yaml
        e = per_label[label]
        assert f"| {label} | {e['precision']:.3f} | {e['recall']:.3f} | {e['f1']:.3f} | – | {e['support']} |" in body
    assert "Five documents" in body and "very small data set" in body
    assert "No confidence intervals" in body  # no report/ in these runs
    kind = "token-classification" if task == "ner" else "text-classification"
    assert f'pipeline("{kind}"' in body
    assert ('aggregation_strategy="simple"' in body) == (task == "ner")
    assert "AutoModelFor" in body and "arastance predict" in body
    assert "diacritics and tatweel removed" in body
    assert "python -m arastance.train --config-dir" in body
    # what `arastance predict` outputs, as the card describes it
    assert "QUANTITY adds `value`, `unit` and `approximate`" in body
    if task == "stance":
        assert "a tie between classes goes to the class with the larger probability summed" in body


@pytest.mark.slow
def test_reproduce_command_config_composes(published: dict[str, Path]) -> None:
    """The card's `--config-dir FOLDER --config-name training_config` must be a loadable hydra config."""
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(published["stance"].resolve()), version_base="1.3"):
        cfg = compose("training_config", overrides=["run_dir=outputs/reproduce"])
    assert cfg.task.name == "stance" and cfg.model.name == "tiny"


@pytest.mark.slow
def test_card_prefers_report_with_confidence_intervals(runs: dict[str, Path], tmp_path: Path) -> None:
    """The evaluation report's shape (docs/metrics_schema.md): intervals under [task].ci, baselines."""
    run = tmp_path / "run"
    shutil.copytree(runs["stance_fixed"], run)
    stance = json.loads((run / "metrics.json").read_text(encoding="utf-8"))["stance"]
    stance["ci"] = {
        "bootstrap": {"n": 1000, "seed": 0, "confidence": 0.9},
        "per_label": {
            label: {m: {"low": 0.111, "high": 0.999} for m in ("precision", "recall", "f1")}
            for label in stance["per_label"]
        },
        "macro_f1": {"low": 0.2, "high": 0.6},
        "accuracy": {"low": 0.3, "high": 0.7},
    }
    stance["baselines"] = {
        "majority": {
            "macro_f1": 0.25,
            "model_minus_baseline": {
                "difference": 0.01,
                "low": -0.1,
                "high": 0.12,
                "share_replicates_model_better": 0.55,
            },
        }
    }
    (run / "report").mkdir()
    (run / "report" / "metrics.json").write_text(
        json.dumps({"schema_version": 1, "bootstrap": {"confidence": 0.9}, "stance": stance}), encoding="utf-8"
    )
    assert main(["publish", str(run), "--out", str(tmp_path / "out")]) == 0
    meta, body = card_parts(tmp_path / "out")
    assert "From `run/report/metrics.json`" in body
    assert "F1 90% CI" in body and "| [0.111, 0.999] |" in body
    assert f"| sentence macro F1 | {stance['macro_f1']:.3f} | [0.200, 0.600] |" in body
    assert (
        "90% percentile-bootstrap" in body
        and "understate the uncertainty" in body
        and "No confidence intervals" not in body
    )
    assert (
        "Baseline (the majority class of the training sentences): macro F1 0.250. Model minus baseline: +0.010 "
        "[-0.100, 0.120], the model ahead in 55% of bootstrap replicates." in body
    )
    assert meta["model-index"][0]["results"][0]["metrics"][0]["value"] == pytest.approx(round(stance["macro_f1"], 4))


@pytest.mark.slow
def test_report_in_an_unknown_shape_is_skipped(runs: dict[str, Path], tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(runs["stance_fixed"], run)
    (run / "report").mkdir()
    (run / "report" / "metrics.json").write_text(json.dumps({"pooled": {"stance": {}}}), encoding="utf-8")
    assert main(["publish", str(run), "--out", str(tmp_path / "out")]) == 0
    _, body = card_parts(tmp_path / "out")
    assert "From `run/metrics.json`" in body and "no scores of its own" not in body


@pytest.mark.slow
def test_all_documents_model_has_no_scores_of_its_own_unless_scores_from(runs: dict[str, Path], tmp_path: Path) -> None:
    assert main(["publish", str(runs["ner_all"]), "--out", str(tmp_path / "alone")]) == 0
    meta, body = card_parts(tmp_path / "alone")
    assert "no scores of its own" in body and "model-index" not in meta
    assert (
        main(["publish", str(runs["ner_all"]), "--out", str(tmp_path / "scored"), "--scores-from", str(runs["ner_cv"])])
        == 0
    )
    meta, body = card_parts(tmp_path / "scored")
    assert "model-index" in meta and "cross-validation" in meta["model-index"][0]["results"][0]["dataset"]["split"]
    assert "trained on all documents and has no held-out data" in body
    assert "| `000_1de9847addf50ec0` | " in body and "| train |" in body


@pytest.mark.slow
def test_scores_from_another_task_is_refused(
    runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["publish", str(runs["stance_fixed"]), "--out", str(tmp_path / "x"), "--scores-from", str(runs["ner_cv"])])
        == 1
    )
    assert "differs" in capsys.readouterr().err


@pytest.mark.slow
def test_base_model_in_front_matter_for_a_pretrained_model(runs: dict[str, Path]) -> None:
    source = locate_run(runs["stance_fixed"])
    model_config = json.loads((source.model_dir / "config.json").read_text(encoding="utf-8"))
    facts = replace(
        card_facts(source, schema(), model_config, "me/arastance-stance", None),
        base_model="aubmindlab/bert-base-arabertv02",
        tiny_spec=None,
    )
    meta = yaml.safe_load(front_matter(facts))
    assert meta["base_model"] == "aubmindlab/bert-base-arabertv02"
    assert "random-init-test-model" not in meta["tags"]
    card = render_card(facts)
    assert "Not for use" not in card and "aubmindlab/bert-base-arabertv02" in card
    assert 'model="me/arastance-stance"' in card  # loading examples use the repo id


def test_the_card_names_extra_sentences_and_the_first_stage(runs: dict[str, Path]) -> None:
    source = locate_run(runs["stance_fixed"])
    model_config = json.loads((source.model_dir / "config.json").read_text(encoding="utf-8"))
    plain = card_facts(source, schema(), model_config, None, None)
    assert "Extra sentences" not in render_card(plain) and "Two stages" not in render_card(plain)
    facts = replace(
        plain,
        extra_data={"extra_train_sentences": 120, "extra_sources": {"anercorp": 120}},
        first_stage="outputs/stage1/best",
    )
    card = render_card(facts)
    assert "120 sentences converted" in card and "anercorp (120)" in card and "`outputs/stage1/best`" in card
    assert "data.partial_labels" not in card
    partial = replace(facts, extra_data=facts.extra_data | {"partial_labels": {"anercorp": ["DATE", "NORP"]}})
    assert "(anercorp: DATE, NORP; `data.partial_labels`)" in render_card(partial)


# --------------------------------------------------------------------------- checks and refusals


def test_labels_must_match_the_schema() -> None:
    s = schema()
    good = {
        "architectures": ["BertForTokenClassification"],
        "id2label": {str(i): t for i, t in s.id2label("ner").items()},
        "label2id": s.label2id("ner"),
    }
    check_model_config(good, s, NER)
    renamed = {**good, "id2label": {**good["id2label"], "1": "B-PERSON"}}
    with pytest.raises(UserError, match="missing \\['B-PER'\\], unexpected \\['B-PERSON'\\]"):
        check_model_config(renamed, s, NER)
    with pytest.raises(UserError, match="not a ner head"):
        check_model_config({**good, "architectures": ["BertForSequenceClassification"]}, s, NER)
    with pytest.raises(UserError, match="label2id"):
        check_model_config({**good, "label2id": {}}, s, NER)


@pytest.mark.slow
def test_out_folder_protection_and_republish(
    runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = str(runs["stance_fixed"])
    assert main(["publish", run, "--out", run]) == 1
    assert "is also an input" in capsys.readouterr().err  # refused at the CLI entry, as for every --out
    assert main(["publish", run, "--out", str(Path(run).parent)]) == 1
    assert "would overwrite the run" in capsys.readouterr().err
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me", encoding="utf-8")
    assert main(["publish", run, "--out", str(other)]) == 1
    assert (other / "mine.txt").read_text(encoding="utf-8") == "keep me"
    out = tmp_path / "pub"
    assert main(["publish", run, "--out", str(out)]) == 0
    (out / "stale.bin").write_text("old", encoding="utf-8")
    assert main(["publish", run, "--out", str(out)]) == 0  # replaces its own earlier publish
    assert not (out / "stale.bin").exists() and (out / "README.md").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left behind


@pytest.mark.slow
def test_not_a_run_folder(runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["publish", str(runs["stance_fixed"] / "best"), "--out", str(tmp_path / "x")]) == 1
    run = runs["stance_fixed"]
    assert f"(the kept model of the run {run}); give the run folder {run}" in capsys.readouterr().err


@pytest.mark.slow
def test_a_run_saved_by_an_older_version_publishes_with_todays_defaults(
    runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """publish reads RUN/config.yaml through the checked settings: keys added since (here the eval group,
    trainer.compile_scope, trainer.trackers) take their defaults; a key no setting defines is refused."""
    run = tmp_path / "old-run"
    shutil.copytree(runs["stance_fixed"], run)
    config = yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8"))
    del config["eval"], config["trainer"]["compile_scope"], config["trainer"]["trackers"]
    (run / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert main(["publish", str(run), "--out", str(tmp_path / "pub")]) == 0
    card = (tmp_path / "pub" / "README.md").read_text(encoding="utf-8")
    assert f"token budget {config['trainer']['max_tokens']}" in card and f"| seed | {config['seed']} |" in card
    config["trainer"]["max_stepz"] = 3
    (run / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert main(["publish", str(run), "--out", str(tmp_path / "pub2")]) == 2
    err = capsys.readouterr().err
    assert f"{run / 'config.yaml'}: trainer.max_stepz: unknown key (did you mean trainer.max_steps?)" in err


def test_point_and_ci_shapes() -> None:
    assert point_and_ci({"f1": 0.5, "f1_ci": [0.1, 0.9]}, "f1") == (0.5, (0.1, 0.9))
    assert point_and_ci({"f1": 0.5, "f1_low": 0.1, "f1_high": 0.9}, "f1") == (0.5, (0.1, 0.9))
    assert point_and_ci({"f1": 0.5, "ci": {"f1": {"lo": 0.1, "hi": 0.9}}}, "f1") == (0.5, (0.1, 0.9))
    assert point_and_ci({"f1": {"point": 0.5, "low": 0.1, "high": 0.9}}, "f1") == (0.5, (0.1, 0.9))
    assert point_and_ci({"f1": 0.5}, "f1") == (0.5, None)
    assert point_and_ci({}, "f1") == (None, None)


# --------------------------------------------------------------------------- push


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("offline", ["HF_HUB_OFFLINE", "unreachable"])
def test_push_without_hub_fails_cleanly(
    runs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    offline: str,
) -> None:
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    if offline == "HF_HUB_OFFLINE":
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: nothing answers
    out = tmp_path / "pub"
    assert main(["publish", str(runs["stance_fixed"]), "--out", str(out)]) == 0
    before = _snapshot(out)
    rc = main(
        ["publish", str(runs["stance_fixed"]), "--out", str(out), "--push", "--repo-id", "someone/arastance-stance"]
    )
    captured = capsys.readouterr()
    assert rc == 1
    assert "cannot push to the Hub" in captured.err and "is complete" in captured.err
    assert ("HF_HUB_OFFLINE" in captured.err) == (offline == "HF_HUB_OFFLINE")
    assert "Traceback" not in captured.err
    after = _snapshot(out)
    assert after.keys() == before.keys() and after["model.safetensors"] == before["model.safetensors"]
    for name, content in after.items():
        assert FAKE_TOKEN.encode() not in content, name
    assert FAKE_TOKEN not in captured.err + captured.out


@pytest.mark.slow
def test_push_needs_a_valid_repo_id(runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["publish", str(runs["stance_fixed"]), "--out", str(tmp_path / "x"), "--push"]) == 1
    assert "--repo-id" in capsys.readouterr().err
    assert (
        main(["publish", str(runs["stance_fixed"]), "--out", str(tmp_path / "x"), "--push", "--repo-id", "no slash"])
        == 1
    )
    assert not (tmp_path / "x").exists()  # refused before any work


def test_make_publish_target_matches_the_cli() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "arastance publish $(RUN) --out" in makefile


@pytest.mark.slow
def test_publish_is_quiet_by_default_and_verbose_shows_the_libraries(runs: dict[str, Path], tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    pytest.importorskip("onnxruntime")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ARASTANCE_ROOT": str(REPO_ROOT)}
    common = [sys.executable, "-m", "arastance.cli", "publish", str(runs["stance_fixed"]), "--onnx", "yes"]
    quiet = subprocess.run([*common, "--out", str(tmp_path / "q")], capture_output=True, text=True, env=env)
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert quiet.stdout == ""
    ours = ("onnx ", "published ")
    assert [line for line in quiet.stderr.splitlines() if not line.startswith(ours)] == []
    verbose = subprocess.run(
        [*common, "--out", str(tmp_path / "v"), "--verbose"], capture_output=True, text=True, env=env
    )
    assert verbose.returncode == 0 and "Loading weights" in verbose.stderr
