"""Seeds and sweeps: multirun job folders, the search objective, the nested search's outer fold, and
`arastance aggregate` (finding runs, grouping, statistics, its files and errors). The end-to-end test
runs a 2-seed multirun and a 2-trial Optuna search on the tiny model and checks the aggregate
against the runs' own metrics.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from hydra import compose, initialize_config_dir
from hydra.types import RunMode
from omegaconf import OmegaConf

from arastance.errors import UserError
from arastance.evaluation.aggregate import (
    aggregate,
    differing_keys,
    find_runs,
    read_run_scores,
    run_scores,
    seed_spread,
    summary_stats,
)
from arastance.evaluation.aggregate_output import AGGREGATE_JSON, AGGREGATE_MD, write_aggregate
from arastance.runs.layout import RunDir
from arastance.train import job_run_dir, overridden_keys, refuse_run_dir_in_multirun, refuse_search_without_dev
from arastance.training.objective import dev_objective, require_objective, without_outer_fold

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
LABELS = ("PER", "ORG", "GPE")


# ----------------------------------------------------------------------------------- fake runs


def fake_run(
    path: Path, seed: int, rng: np.random.Generator, lr: float = 1e-3, task: str = "ner", folds: int = 2
) -> dict:
    """A finished CV run folder as training leaves it (config.yaml, metrics.json, fold folders)."""
    headline = "micro_f1" if task == "ner" else "macro_f1"
    fold_scores = rng.uniform(0, 1, size=(folds, len(LABELS) + 1))
    block = {
        headline: float(rng.uniform()),
        "per_label": {label: {"f1": float(rng.uniform()), "support": 3} for label in LABELS},
        "folds": {
            "headline": {
                "mean": float(fold_scores[:, 0].mean()),
                "std": float(fold_scores[:, 0].std()),
                "values": fold_scores[:, 0].tolist(),
            },
            "per_label": {
                label: {"mean": 0.5, "std": float(fold_scores[:, i + 1].std()), "n_folds": folds}
                for i, label in enumerate(LABELS)
            },
        },
    }
    metrics = {task: block, "final": {"folds": folds}, "config": {"task": task, "seed": seed}}
    path.mkdir(parents=True)
    config = {
        "seed": seed,
        "run_dir": str(path),
        "task": {"name": task, "metric": headline},
        "trainer": {"learning_rate": lr},
        "paths": {"root": "."},
    }
    (path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (path / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    for k in range(folds):
        (path / f"fold-{k}").mkdir()
        (path / f"fold-{k}" / "metrics.json").write_text(
            json.dumps({"final": {"best_dev": float(rng.uniform())}}), encoding="utf-8"
        )
    return metrics


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


# ----------------------------------------------------------------------------------- multirun


def _job(mode: RunMode, overrides: list[str], sweep_dir: str = "sweeps/s", subdir: str = "3"):
    return OmegaConf.create(
        {"mode": mode, "overrides": {"task": overrides}, "sweep": {"dir": sweep_dir, "subdir": subdir}, "sweeper": {}}
    )


def test_run_dir_default_outside_a_hydra_app_is_the_single_run_folder() -> None:
    assert job_run_dir("outputs/ner/tiny/now") == "outputs/ner/tiny/now"


def test_a_multirun_job_s_run_dir_is_its_own_folder_under_the_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    import arastance.train as train_module

    for subdir in ("0", "1"):
        monkeypatch.setattr(
            train_module, "_hydra_job", lambda subdir=subdir: _job(RunMode.MULTIRUN, [], "sweeps/s", subdir)
        )
        assert job_run_dir("outputs/single") == os.path.join("sweeps/s", subdir)
    monkeypatch.setattr(train_module, "_hydra_job", lambda: _job(RunMode.RUN, []))
    assert job_run_dir("outputs/single") == "outputs/single"


def test_overridden_keys_strip_the_add_and_delete_prefixes() -> None:
    assert overridden_keys(["run_dir=X", "+data.outer_fold=1", "~trainer.compile", "seed=1,2"]) == {
        "run_dir",
        "data.outer_fold",
        "trainer.compile",
        "seed",
    }


def test_an_explicit_run_dir_is_refused_in_a_multirun_only() -> None:
    with pytest.raises(UserError, match=r"hydra\.sweep\.dir"):
        refuse_run_dir_in_multirun(_job(RunMode.MULTIRUN, ["seed=1", "run_dir=/tmp/x"]))
    refuse_run_dir_in_multirun(_job(RunMode.MULTIRUN, ["seed=1"]))
    refuse_run_dir_in_multirun(_job(RunMode.RUN, ["run_dir=/tmp/x"]))
    refuse_run_dir_in_multirun(None)


@pytest.mark.parametrize("task", ["ner", "stance"])
def test_the_search_configs_compose_with_the_optuna_sweeper(task: str) -> None:
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose(
            "train", overrides=[f"hparams_search={task}_optuna_nested", "data.outer_fold=3"], return_hydra_config=True
        )
    assert cfg.task.name == task
    assert "optuna" in cfg.hydra.sweeper._target_.lower()
    assert cfg.hydra.mode == RunMode.MULTIRUN
    assert set(cfg.hydra.sweeper.params) == {
        "trainer.learning_rate",
        "trainer.num_epochs",
        "trainer.max_tokens",
        "trainer.warmup_ratio",
    }
    assert cfg.hydra.sweeper.direction == "maximize"
    assert cfg.data.outer_fold == 3 and cfg.hydra.sweeper.study_name.endswith("_3")


def test_a_search_without_dev_documents_is_refused_before_training() -> None:
    search = OmegaConf.merge(
        _job(RunMode.MULTIRUN, []),
        {"sweeper": {"_target_": "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper"}},
    )
    no_dev = [
        OmegaConf.create({"split": "cv", "dev_docs": 0}),
        OmegaConf.create({"split": "fixed", "dev_docs_ids": []}),
    ]
    for data in no_dev:
        with pytest.raises(UserError, match="no dev documents"):
            refuse_search_without_dev(search, data)
        refuse_search_without_dev(_job(RunMode.MULTIRUN, []), data)  # a seed sweep needs no dev score
    refuse_search_without_dev(search, OmegaConf.create({"split": "cv", "dev_docs": 1}))
    refuse_search_without_dev(search, OmegaConf.create({"split": "fixed", "dev_docs_ids": ["d1"]}))


# ----------------------------------------------------------------------------------- objective


def test_the_objective_is_the_mean_best_dev_over_splits(rng: np.random.Generator) -> None:
    values = rng.uniform(size=4).tolist()
    assert dev_objective([{"best_dev": v} for v in values]) == pytest.approx(float(np.mean(values)))
    assert dev_objective([{"best_dev": values[0]}, {"best_dev": None}]) is None
    assert dev_objective([]) is None


def test_a_search_without_dev_scores_is_a_user_error(tmp_path: Path) -> None:
    assert require_objective(0.25, RunDir(tmp_path)) == 0.25
    with pytest.raises(UserError, match=r"data\.dev_docs"):
        require_objective(None, RunDir(tmp_path))


def test_the_outer_fold_s_document_is_left_out_and_no_other() -> None:
    docs = ["d0", "d1", "d2", "d3", "d4"]
    assert without_outer_fold(docs, None) == docs
    for k in range(len(docs)):
        kept = without_outer_fold(docs, k)
        assert docs[k] not in kept and len(kept) == len(docs) - 1
    with pytest.raises(UserError, match=r"data\.outer_fold"):
        without_outer_fold(docs, 5)


# ----------------------------------------------------------------------------------- aggregate


def test_summary_stats_match_numpy(rng: np.random.Generator) -> None:
    values = rng.uniform(size=5).tolist()
    stats = summary_stats(values)
    assert stats["n"] == 5 and stats["values"] == values
    assert stats["mean"] == pytest.approx(np.mean(values)) and stats["sd"] == pytest.approx(np.std(values, ddof=1))
    assert (stats["min"], stats["max"]) == (min(values), max(values))
    assert summary_stats([0.5])["sd"] is None


def test_run_scores_take_headlines_and_every_label_with_the_fold_spread(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    metrics = fake_run(tmp_path / "run", 1, rng)
    scores, fold_sd = run_scores(metrics)
    assert scores["ner.micro_f1"] == metrics["ner"]["micro_f1"]
    assert {f"ner.{label}.f1" for label in LABELS} <= set(scores)
    assert fold_sd["ner.micro_f1"] == metrics["ner"]["folds"]["headline"]["std"]
    assert fold_sd["ner.ORG.f1"] == metrics["ner"]["folds"]["per_label"]["ORG"]["std"]


def test_a_seed_sweep_is_one_group_whose_figures_are_the_runs(tmp_path: Path, rng: np.random.Generator) -> None:
    written = [fake_run(tmp_path / "sweep" / str(i), seed, rng) for i, seed in enumerate((1, 2, 3))]
    runs = find_runs([tmp_path / "sweep"])
    assert [p.name for p in runs] == ["0", "1", "2"]
    summary = aggregate([read_run_scores(p) for p in runs])
    assert summary["runs"] == [str(p) for p in runs] and summary["differing"] == []
    assert len(summary["groups"]) == 1 and summary["groups"][0]["seeds"] == [1, 2, 3]
    micro = summary["metrics"]["ner.micro_f1"]
    assert micro["values"] == [m["ner"]["micro_f1"] for m in written]
    assert micro["sd"] == pytest.approx(np.std(micro["values"], ddof=1))
    assert micro["fold_sd"] == pytest.approx(np.mean([m["ner"]["folds"]["headline"]["std"] for m in written]))
    assert summary["metrics"]["ner.PER.f1"]["values"] == [m["ner"]["per_label"]["PER"]["f1"] for m in written]
    best_dev = [
        [json.loads((p / f"fold-{k}" / "metrics.json").read_text())["final"]["best_dev"] for k in (0, 1)] for p in runs
    ]
    assert summary["metrics"]["ner.dev_micro_f1"]["values"] == pytest.approx([np.mean(b) for b in best_dev])


def test_runs_that_differ_in_more_than_the_seed_are_grouped_by_it(tmp_path: Path, rng: np.random.Generator) -> None:
    for i, (seed, lr) in enumerate(((1, 1e-3), (2, 1e-3), (1, 3e-3))):
        fake_run(tmp_path / "sweep" / str(i), seed, rng, lr=lr)
    fake_run(tmp_path / "other-run", 5, rng, lr=3e-3)
    runs = [read_run_scores(p) for p in find_runs([tmp_path / "sweep", tmp_path / "other-run"])]
    assert differing_keys(runs) == ["trainer.learning_rate"]
    summary = aggregate(runs)
    assert [g["overrides"] for g in summary["groups"]] == [
        {"trainer.learning_rate": 1e-3},
        {"trainer.learning_rate": 3e-3},
    ]
    assert [g["seeds"] for g in summary["groups"]] == [[1, 2], [1, 5]]
    assert "metrics" not in summary  # with several groups, only each group's own


def test_aggregate_cli_writes_json_md_and_one_plot_per_group(
    tmp_path: Path, rng: np.random.Generator, capsys: pytest.CaptureFixture[str]
) -> None:
    from arastance.cli import main

    fake_run(tmp_path / "sweep" / "0", 1, rng)
    fake_run(tmp_path / "sweep" / "1", 2, rng, lr=5e-4)
    assert main(["aggregate", str(tmp_path / "sweep"), "--out", str(tmp_path / "agg")]) == 0
    summary = json.loads((tmp_path / "agg" / AGGREGATE_JSON).read_text())
    md = (tmp_path / "agg" / AGGREGATE_MD).read_text()
    assert len(summary["groups"]) == 2 and "seed sd" in md and "fold sd" in md
    assert all(
        f"aggregate-{i}.png" in md and (tmp_path / "agg" / f"aggregate-{i}.png").stat().st_size > 0 for i in (1, 2)
    )
    assert "group 1" in capsys.readouterr().out


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: None, "no such folder"),
        (lambda d: d.mkdir(), "holds no training run"),
        (lambda d: (d / "0" / ".hydra").mkdir(parents=True), "a sweep folder of 1 run(s), of which 0 did not finish"),
        (
            lambda d: ((d / "run").mkdir(parents=True), (d / "run" / "config.yaml").write_text("seed: 1\n")),
            "of which run did not finish",
        ),
    ],
    ids=["missing", "empty", "failed-job", "unfinished-run"],
)
def test_bad_aggregate_input_is_one_message_and_status_1(
    tmp_path: Path, make, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from arastance.cli import main

    folder = tmp_path / "in"
    make(folder)
    assert main(["aggregate", str(folder), "--out", str(tmp_path / "agg")]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "agg").exists()


def test_a_metrics_json_without_scores_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("seed: 1\n")
    (run / "metrics.json").write_text("{}")
    with pytest.raises(UserError, match="no NER or stance scores"):
        read_run_scores(run)


def test_write_aggregate_replaces_files_atomically(tmp_path: Path, rng: np.random.Generator) -> None:
    fake_run(tmp_path / "r", 1, rng)
    summary = aggregate([read_run_scores(tmp_path / "r")])
    write_aggregate(tmp_path / "agg", summary, plots=False)
    assert not list((tmp_path / "agg").glob("*.tmp*")) and not list((tmp_path / "agg").glob(".*.tmp*"))
    assert json.loads((tmp_path / "agg" / AGGREGATE_JSON).read_text()) == json.loads(json.dumps(summary))


def test_a_report_given_a_sweep_takes_its_first_run_and_the_seeds_spread(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    written = [fake_run(tmp_path / "sweep" / str(i), seed, rng) for i, seed in enumerate((4, 5))]
    paths = find_runs([tmp_path / "sweep"])
    assert paths == [tmp_path / "sweep" / "0", tmp_path / "sweep" / "1"]
    assert find_runs([paths[1]]) == [paths[1]]  # a run folder is itself
    spread = seed_spread([read_run_scores(p) for p in paths], "ner")
    assert spread["seeds"] == [4, 5]
    assert spread["headline"]["values"] == [m["ner"]["micro_f1"] for m in written]
    assert spread["per_label"]["GPE"]["mean"] == pytest.approx(
        np.mean([m["ner"]["per_label"]["GPE"]["f1"] for m in written])
    )


def test_seed_spread_refuses_runs_of_different_configurations(tmp_path: Path, rng: np.random.Generator) -> None:
    fake_run(tmp_path / "sweep" / "0", 1, rng, lr=1e-3)
    fake_run(tmp_path / "sweep" / "1", 2, rng, lr=2e-3)
    with pytest.raises(UserError, match=r"differ in trainer\.learning_rate"):
        seed_spread([read_run_scores(p) for p in find_runs([tmp_path / "sweep"])], "ner")


# ----------------------------------------------------------------------------------- end to end


# Both ways in: `arastance train …` (the console script's module) and `python -m arastance.train …`.
ARASTANCE_TRAIN = ["arastance.cli", "train"]
PYTHON_M_TRAIN = ["arastance.train"]


def _train_cli(*args: str, cache: Path, entry: list[str] = PYTHON_M_TRAIN) -> subprocess.CompletedProcess[str]:
    common = [
        "model=tiny",
        "trainer=smoke",
        "trainer.max_steps=2",
        "trainer.precision=fp32",
        "data.folds=[0,1]",
        f"paths.root={ROOT}",
        f"paths.cache_dir={cache}",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", *entry, *args, *common], capture_output=True, text=True, env=env, cwd=ROOT, timeout=600
    )


def _metrics(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())


@pytest.mark.slow
def test_a_seed_multirun_and_an_optuna_search_aggregate_to_their_runs_figures(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    seeds_dir, search_dir = tmp_path / "seeds", tmp_path / "search"
    done = _train_cli("-m", "seed=1,2", f"hydra.sweep.dir={seeds_dir}", cache=cache, entry=ARASTANCE_TRAIN)
    assert done.returncode == 0, done.stderr[-3000:]
    done = _train_cli(
        "hparams_search=ner_optuna", "hydra.sweeper.n_trials=2", f"hydra.sweep.dir={search_dir}", cache=cache
    )
    assert done.returncode == 0, done.stderr[-3000:]

    # Each job in its own folder under its sweep, with its own seed.
    seed_runs = [seeds_dir / "0", seeds_dir / "1"]
    assert [yaml.safe_load((r / "config.yaml").read_text())["run_dir"] for r in seed_runs] == [
        str(r) for r in seed_runs
    ]
    assert [_metrics(r)["config"]["seed"] for r in seed_runs] == [1, 2]

    # The search maximised the mean best dev score over folds (never a held-out score).
    trials = [search_dir / "0", search_dir / "1"]
    objectives = [float(np.mean([_metrics(t / f"fold-{k}")["final"]["best_dev"] for k in (0, 1)])) for t in trials]
    result = yaml.safe_load((search_dir / "optimization_results.yaml").read_text())
    assert result["best_value"] == pytest.approx(max(objectives))

    from arastance.cli import main

    assert main(["aggregate", str(seeds_dir), str(search_dir), "--out", str(tmp_path / "agg")]) == 0
    summary = json.loads((tmp_path / "agg" / "aggregate.json").read_text())
    assert summary["runs"] == [str(r) for r in seed_runs + trials]
    seeds_group = next(g for g in summary["groups"] if g["runs"] == [str(r) for r in seed_runs])
    for name, pick in (
        ("ner.micro_f1", lambda m: m["ner"]["micro_f1"]),
        ("ner.PER.f1", lambda m: m["ner"]["per_label"]["PER"]["f1"]),
    ):
        values = [pick(_metrics(r)) for r in seed_runs]
        figures = seeds_group["metrics"][name]
        assert figures["values"] == values and figures["mean"] == pytest.approx(np.mean(values))
        assert figures["sd"] == pytest.approx(np.std(values, ddof=1))
    # `arastance report` given the seed sweep: the first run's report with the seeds' spread beside the folds'.
    assert (
        main(
            [
                "report",
                "--ner",
                str(seeds_dir),
                "--out",
                str(tmp_path / "report"),
                "--bootstrap-n",
                "20",
                "--no-plots",
                "--no-baselines",
            ]
        )
        == 0
    )
    report = json.loads((tmp_path / "report" / "metrics.json").read_text())
    assert report["ner"]["run"]["run_dir"] == str(seed_runs[0])
    assert report["ner"]["seeds"]["headline"] == seeds_group["metrics"]["ner.micro_f1"]
    assert "seed F1 mean ± sd (seeds)" in (tmp_path / "report" / "report.md").read_text()
    # `arastance evaluate` given the seed sweep: the first run re-scored, the same seed spread beside it.
    evaluated = subprocess.run(
        [
            sys.executable,
            "-m",
            "arastance.evaluate",
            f"run_dir={seeds_dir}",
            f"report_dir={tmp_path / 'evaluated'}",
            "eval.bootstrap.n=20",
            "eval.plots=false",
            "eval.baselines=false",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"},
        cwd=ROOT,
        timeout=600,
    )
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert "scores equal the training-time metrics.json" in evaluated.stdout
    assert json.loads((tmp_path / "evaluated" / "metrics.json").read_text())["ner"]["seeds"] == report["ner"]["seeds"]
    # The two trials drew different parameters: each is a group of its own.
    trial_groups = [g for g in summary["groups"] if g is not seeds_group]
    assert sorted(r for g in trial_groups for r in g["runs"]) == [str(t) for t in trials]
    for group in trial_groups:
        (run,) = group["runs"]
        assert group["metrics"]["ner.micro_f1"]["values"] == [_metrics(Path(run))["ner"]["micro_f1"]]
        assert group["metrics"]["ner.dev_micro_f1"]["values"] == pytest.approx([objectives[trials.index(Path(run))]])


@pytest.mark.slow
def test_a_nested_search_never_sees_the_outer_fold_s_document(tmp_path: Path) -> None:
    sweep = tmp_path / "nested"
    done = _train_cli(
        "hparams_search=ner_optuna_nested",
        "data.outer_fold=2",
        "hydra.sweeper.n_trials=1",
        f"hydra.sweep.dir={sweep}",
        cache=tmp_path / "cache",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outer_doc = sorted(p.stem for p in (ROOT / "annotations" / "gold").glob("*.json"))[2]
    folds = [_metrics(sweep / "0" / f"fold-{k}") for k in (0, 1)]
    assert all(outer_doc not in ids for fold in folds for ids in fold["split"].values())
    best = yaml.safe_load((sweep / "optimization_results.yaml").read_text())["best_value"]
    assert best == pytest.approx(np.mean([f["final"]["best_dev"] for f in folds]))
