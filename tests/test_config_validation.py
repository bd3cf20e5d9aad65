"""Every training config value is checked before any work: one message naming key, value and the
allowed range, exit status 2, nothing left in run_dir."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf
from tests.helpers.configs import compose_train

from arastance.errors import ConfigError, failure_status
from arastance.settings import (
    EvaluateSettings,
    ExportSettings,
    PageSettings,
    PredictWarnings,
    RunSettings,
    ThreadPolicy,
    config_fields,
    config_problems,
    from_config,
    read_saved_config,
    validate_training_config,
)

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
# The config groups train.yaml composes, and the settings class of each.
GROUPS = {name: f.metadata["section"] for name, f in config_fields(RunSettings).items() if "section" in f.metadata}


def problems(*overrides: str) -> list[str]:
    return config_problems(OmegaConf.to_container(compose_train(list(overrides)), resolve=True))


@pytest.mark.parametrize(
    ("override", "key", "shown", "allowed"),
    [
        ("trainer.max_steps=-5", "trainer.max_steps", "-5", ">= 0"),
        ("trainer.max_tokens=0", "trainer.max_tokens", "0", ">= 1"),
        ("trainer.learning_rate=-1", "trainer.learning_rate", "-1", "> 0"),
        ("seed=abc", "seed", "'abc'", "an integer"),
        ("seed=1.5", "seed", "1.5", "not a float"),
        ("trainer.warmup_ratio=1.5", "trainer.warmup_ratio", "1.5", "<= 1.0"),
        ("trainer.early_stopping_patience=-1", "trainer.early_stopping_patience", "-1", ">= 0"),
        ("trainer.num_epochs=0", "trainer.num_epochs", "0", ">= 1"),
        ("trainer.max_rows=many", "trainer.max_rows", "'many'", "'auto' or an integer"),
        ("trainer.pad_to_multiple_of=0", "trainer.pad_to_multiple_of", "0", "'auto' or an integer"),
        ("trainer.eval_batch_tokens=-2", "trainer.eval_batch_tokens", "-2", "'auto' or an integer"),
        ("trainer.precision=fp16", "trainer.precision", "'fp16'", "bf16, fp32"),
        ("trainer.compile_scope=layers", "trainer.compile_scope", "'layers'", "regions, model"),
        ("trainer.log_steps=0", "trainer.log_steps", "0", ">= 1"),
        ("trainer.keep_checkpoints=-1", "trainer.keep_checkpoints", "-1", ">= 0"),
        ("trainer.save_steps=2.5", "trainer.save_steps", "2.5", "an integer"),
        ("trainer.gradient_accumulation_steps=0", "trainer.gradient_accumulation_steps", "0", ">= 1"),
        ("trainer.adam_betas=[0.9,1.5]", "trainer.adam_betas", "1.5", "< 1"),
        ("resume=maybe", "resume", "'maybe'", "true or false"),
    ],
)
def test_a_bad_value_is_named_with_its_allowed_range(override: str, key: str, shown: str, allowed: str) -> None:
    found = problems("model=tiny", override)
    assert len(found) == 1, found
    assert found[0].startswith(f"{key}=") and shown in found[0] and allowed in found[0]


def test_a_token_budget_below_one_window_is_refused() -> None:
    (found,) = problems("model=tiny", "trainer.max_tokens=100")
    assert "trainer.max_tokens=100" in found and "model.max_length (512)" in found


def test_every_shipped_config_is_valid() -> None:
    """Every option of every group, every experiment and every search passes the rules it is trained with."""
    options = [f"{group}={p.stem}" for group in GROUPS for p in sorted((CONFIGS / group).glob("*.yaml"))]
    experiments = [f"experiment={p.stem}" for p in sorted((CONFIGS / "experiment").glob("*.yaml"))]
    searches = [f"hparams_search={p.stem}" for p in sorted((CONFIGS / "hparams_search").glob("*.yaml"))]
    assert len(experiments) >= 7 and len(searches) >= 4
    # What a recipe requires on the command line (its comment says so; without it the rules refuse it).
    required = {
        "data=external": ["data.extra_records=[extra.jsonl]"],
        "experiment=ner_two_stage_external": ["data.extra_records=[extra.jsonl]"],
        "experiment=ner_two_stage_gold": ["model.pretrained=outputs/ner-stage1/best"],
        "experiment=anercorp_arabert": ["data.extra_records=[train.jsonl]"],
        "experiment=anercorp_camelbert": ["data.extra_records=[train.jsonl]"],
    }
    for override in (*options, *experiments, *searches):
        assert problems(override, *required.get(override, [])) == [], override
    for override in required:
        assert problems(override) != [], override


def test_every_problem_is_in_one_message_and_is_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError) as err:
        validate_training_config(compose_train(["trainer.max_steps=-5", "seed=abc"]))
    assert "trainer.max_steps=-5" in str(err.value) and "seed='abc'" in str(err.value)
    assert failure_status("arastance train", err.value) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_train_cli_exits_2_on_a_bad_value_and_writes_nothing(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "arastance.train", "model=tiny", "trainer.max_steps=-5", f"run_dir={run_dir}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "arastance train: config error: trainer.max_steps=-5: must be an integer >= 0 "
        "(0: train for trainer.num_epochs). Fix it in configs/ or on the command line."
    ]
    assert not run_dir.exists()  # not even hydra's .hydra/ and train.log


# --------------------------------------------------------------------------- each setting defined once


def _leaves(cls: type, node: dict, prefix: str = "") -> dict[str, tuple[object, object]]:
    """key → (the yaml's value as the field holds it, the field's default), for every key of `node`."""
    from arastance.settings import _coerce

    out = {}
    for name, value in node.items():
        f = config_fields(cls)[name]
        if "section" in f.metadata:
            out.update(_leaves(f.metadata["section"], value, f"{prefix}{name}."))
            continue
        default = f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
        out[prefix + name] = (_coerce(value, default), default)
    return out


def _defaults_composed(monkeypatch: pytest.MonkeyPatch, config: str, overrides: list[str]) -> dict:
    from hydra import compose, initialize_config_dir

    # configs/paths/default.yaml reads these; the fields' defaults are the paths without them.
    monkeypatch.delenv("ARASTANCE_ROOT", raising=False)
    monkeypatch.delenv("ARASTANCE_CACHE", raising=False)
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return OmegaConf.to_container(compose(config_name=config, overrides=overrides), resolve=True)


# Keys whose yaml default is computed when the config is composed (a dated folder, <run_dir>/report).
COMPUTED = {"run_dir", "report_dir"}


@pytest.mark.parametrize(
    ("config", "overrides", "cls"),
    [("train", [], RunSettings), ("evaluate", ["run_dir=RUN"], EvaluateSettings)],
)
def test_every_yaml_default_agrees_with_its_field(
    monkeypatch: pytest.MonkeyPatch, config: str, overrides: list[str], cls: type
) -> None:
    raw = _defaults_composed(monkeypatch, config, overrides)
    leaves = _leaves(cls, raw)  # a key without a field fails here (KeyError names it)
    differ = {k: v for k, v in leaves.items() if k not in COMPUTED and v[0] != v[1]}
    assert differ == {}, "yaml default → field default: " + repr(differ)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("onnx/export.yaml", ExportSettings),
        ("threads.yaml", ThreadPolicy),
        ("predict.yaml", PredictWarnings),
        ("pages.yaml", PageSettings),
    ],
)
def test_the_plain_yaml_configs_agree_with_their_fields(name: str, cls: type) -> None:
    """configs/onnx/export.yaml and configs/threads.yaml are read without hydra; an installed package
    without configs/ runs on the fields' defaults, so the two must be the same."""
    raw = yaml.safe_load((CONFIGS / name).read_text(encoding="utf-8"))
    assert {k: v for k, v in _leaves(cls, raw).items() if v[0] != v[1]} == {}
    assert set(raw) == set(config_fields(cls))


def test_a_disagreeing_default_or_a_key_without_field_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agreement check itself fails on the two faults it is there for (injected into the composed yaml)."""
    raw = _defaults_composed(monkeypatch, "train", ["trainer.max_tokens=1234", "+trainer.max_tokenz=1"])
    with pytest.raises(KeyError, match="max_tokenz"):
        _leaves(RunSettings, raw)
    del raw["trainer"]["max_tokenz"]
    leaves = _leaves(RunSettings, raw)
    assert leaves["trainer.max_tokens"] == (1234, "auto")


def test_every_key_of_every_group_file_has_a_field() -> None:
    for group, cls in GROUPS.items():
        for path in sorted((CONFIGS / group).glob("*.yaml")):
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            raw.pop("defaults", None)  # hydra's composition list (trainer/smoke.yaml), not a key
            unknown = set(raw) - set(config_fields(cls))
            assert not unknown, f"{path}: {unknown}"


# Fields a default yaml may leave out, and why.
NOT_IN_THE_DEFAULT_YAML = {
    "task.doc_aggregation": "stance only: configs/task/stance.yaml",
    "task.doc_threshold": "stance only: configs/task/stance.yaml",
}


def _field_keys(cls: type, prefix: str = "") -> set[str]:
    out = set()
    for name, f in config_fields(cls).items():
        if "section" in f.metadata:
            out |= _field_keys(f.metadata["section"], f"{prefix}{name}.")
        else:
            out.add(prefix + name)
    return out


def test_every_field_is_in_its_default_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """A field no yaml names is a setting nobody can find in configs/."""
    composed = set(_leaves(RunSettings, _defaults_composed(monkeypatch, "train", [])))
    assert _field_keys(RunSettings) - composed == set(NOT_IN_THE_DEFAULT_YAML)
    stance = yaml.safe_load((CONFIGS / "task" / "stance.yaml").read_text(encoding="utf-8"))
    assert {f"task.{k}" for k in stance} >= set(NOT_IN_THE_DEFAULT_YAML)
    evaluate = set(_leaves(EvaluateSettings, _defaults_composed(monkeypatch, "evaluate", ["run_dir=RUN"])))
    assert _field_keys(EvaluateSettings) == evaluate


def test_the_normalization_choices_are_the_normalizers() -> None:
    from arastance.corpus.normalize import NORMALIZERS
    from arastance.settings import NORMALIZATIONS

    assert set(NORMALIZATIONS) == set(NORMALIZERS)


# --------------------------------------------------------------------------- what is not known


def test_an_unknown_plus_key_is_refused_with_the_closest_and_the_known_keys() -> None:
    (found,) = problems("model=tiny", "+trainer.max_stepz=3")
    assert found.startswith("trainer.max_stepz: unknown key (did you mean trainer.max_steps?)")
    assert "the keys of trainer are: learning_rate," in found and "trackers" in found
    (top,) = problems("model=tiny", "+learning_rate=0.1")
    assert top.startswith("learning_rate: unknown key") and "the top-level keys are: seed," in top
    (nested,) = problems("task=stance", "+task.context.titel=true")
    assert "task.context=" in nested and "title: true or false" in nested


@pytest.mark.parametrize(
    ("override", "shown", "choices"),
    [
        ("task.name=ners", "'ners'", "one of ner, stance"),
        ("model.normalization=arabert", "'arabert'", "one of arabert_v02, none"),
        ("+task.doc_aggregation=mean", "'mean'", "one of majority_non_none, mean_prob"),
        ("data.split=random", "'random'", "one of cv, fixed, external"),
        ("task.metric=accuracy", "'accuracy'", "choose one of micro_f1"),
        ("trainer.trackers=[wandb]", "['wandb']", "trackers from: tensorboard, mlflow"),
    ],
)
def test_an_unknown_choice_is_named_with_the_known_ones(override: str, shown: str, choices: str) -> None:
    (found,) = problems("model=tiny", override)
    assert found.startswith(f"{override.split('=')[0].lstrip('+')}={shown}") and choices in found


def test_a_stance_metric_is_accepted_for_stance_only() -> None:
    assert problems("model=tiny", "task=stance", "task.metric=accuracy") == []
    assert problems("model=tiny", "task=stance", "task.metric=micro_f1") != []


@pytest.mark.parametrize(
    ("override", "key", "allowed"),
    [
        ("model.normalization=", "model.normalization=''", "one of arabert_v02, none"),
        ("model.normalization=null", "model.normalization=None", "one of arabert_v02, none"),
        ("eval.bootstrap.confidence=95", "eval.bootstrap.confidence=95", "> 0.0 and < 1.0"),
        ("eval.bootstrap.confidence=1", "eval.bootstrap.confidence=1", "> 0.0 and < 1.0"),
        ("eval.bootstrap.n=0", "eval.bootstrap.n=0", ">= 1"),
        ("eval.plots=maybe", "eval.plots='maybe'", "true or false"),
        ("+task.doc_threshold=2", "task.doc_threshold=2", "<= 1.0"),
        ("data.folds=[-1]", "data.folds=[-1]", "fold indices"),
        ("data.extra_ratio=0", "data.extra_ratio=0", "> 0.0"),
        ("paths.gold_dir=", "paths.gold_dir=''", "a folder (not empty)"),
        ("model.max_length=0", "model.max_length=0", ">= 8"),
        ("trainer=smoke", None, None),
    ],
)
def test_empty_and_out_of_range_values_are_named(override: str, key: str | None, allowed: str | None) -> None:
    found = problems("model=tiny", "trainer.max_tokens=4096", override)
    if key is None:
        assert found == []
        return
    assert len(found) == 1 and found[0].startswith(key) and allowed in found[0], found


def test_the_ner_metric_is_refused_before_training(tmp_path: Path) -> None:
    from arastance.train import train

    run_dir = tmp_path / "run"
    with pytest.raises(ConfigError, match=r"task\.metric='accuracy': task ner has no such dev metric"):
        train(compose_train(["model=tiny", "task.metric=accuracy", f"run_dir={run_dir}"]))
    assert not run_dir.exists()


def _cli(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, env=env, timeout=120)


def test_train_refuses_a_plus_key_typo_and_writes_nothing(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    done = _cli("arastance.train", "model=tiny", "+trainer.max_stepz=3", f"run_dir={run_dir}")
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "trainer.max_stepz: unknown key (did you mean trainer.max_steps?)" in line
    assert not run_dir.exists()


def test_evaluate_checks_its_config_before_reading_the_run(tmp_path: Path) -> None:
    done = _cli("arastance.evaluate", f"run_dir={tmp_path}", "eval.bootstrap.confidence=95", "+eval.bootstrap.nn=5")
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "eval.bootstrap.nn: unknown key (did you mean eval.bootstrap.n?)" in line
    assert "eval.bootstrap.confidence=95: must be a number > 0.0 and < 1.0" in line
    missing = _cli("arastance.evaluate")
    assert missing.returncode == 2 and "run_dir" in missing.stderr and "Traceback" not in missing.stderr


# --------------------------------------------------------------------------- a saved config


def _saved(tmp_path: Path, config: dict) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_a_saved_config_reads_as_the_same_settings_as_the_composed_one(tmp_path: Path) -> None:
    cfg = compose_train(["model=tiny", "task=stance", "seed=7", f"run_dir={tmp_path}"])
    text = OmegaConf.to_yaml(cfg, resolve=True)
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    assert read_saved_config(tmp_path / "config.yaml") == from_config(cfg, text)


def test_an_old_saved_config_takes_todays_defaults_for_newer_keys(tmp_path: Path) -> None:
    """A config saved before a key existed reads with that key's default (what the run did then)."""
    old = {"seed": 3, "task": {"name": "ner", "metric": "micro_f1"}, "trainer": {"max_tokens": 2048}, "model": {}}
    settings = read_saved_config(_saved(tmp_path, old))
    assert settings.seed == 3 and settings.trainer.max_tokens == 2048
    assert settings.trainer.compile_scope == "regions" and settings.eval.bootstrap.n == 1000
    assert settings.model.max_length == 512


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"task": {"name": "ner"}, "trainer": {"max_stepz": 3}}, "trainer.max_stepz: unknown key"),
        ({"task": {"name": "ner", "metric": "accuracy"}}, "task.metric='accuracy'"),
        ({"task": {"metric": "micro_f1"}}, "not a training config (no task.name)"),
        (["task", "ner"], "not a training config (no task.name)"),
    ],
)
def test_a_saved_config_the_rules_refuse_names_the_file(tmp_path: Path, config: object, message: str) -> None:
    path = _saved(tmp_path, config)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        read_saved_config(path)
    assert str(err.value).startswith(f"{path}: ")


def test_publish_reads_the_run_config_as_typed_settings(tmp_path: Path) -> None:
    from arastance.publish.package import _read_config
    from arastance.runs.layout import RunDir

    old = {"seed": 5, "task": {"name": "stance", "metric": "macro_f1"}, "trainer": {"max_tokens": 1024}}
    _saved(tmp_path, old)
    settings = _read_config(RunDir(tmp_path))
    assert isinstance(settings, RunSettings)
    assert (settings.seed, settings.trainer.max_tokens, settings.task.doc_aggregation) == (5, 1024, "majority_non_none")
