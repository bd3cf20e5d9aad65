"""Evaluation reports: metrics.json, report.md, report.html, errors.md and PNG figures for an NER and/or a stance run.

    build_report(Path("reports/demo"), ner_run, stance_run, cfg.eval, "Demo")   # from run folders
    write_report(out_dir, [analysis, ...], ...)                                 # from computed analyses

The computation lives in analysis.py (pure, testable); this module only lays out and writes.
docs/metrics_schema.md documents metrics.json.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from arastance.errors import UserError
from arastance.evaluation import plots
from arastance.evaluation.aggregate import sweep_seed_block
from arastance.evaluation.analysis import (
    GAZETTEER,
    MAJORITY,
    TaskAnalysis,
    analyse_ner,
    analyse_stance,
    top_error_strings,
)
from arastance.evaluation.bootstrap import BootstrapSettings
from arastance.evaluation.errors_report import render_errors_md
from arastance.evaluation.holders import attach_holder_metrics, holder_section_md
from arastance.evaluation.report_html import figure_uris, render_report_html
from arastance.evaluation.test_sets import absent_labels_line
from arastance.gold.model import GoldDocument
from arastance.gold.stats import compute_stats
from arastance.runs.layout import METRICS, SINGLE_SPLIT
from arastance.runs.reader import RunData, load_run
from arastance.runs.state import RUN_OR_SWEEP, require, run_paths
from arastance.schema import Schema
from arastance.settings import EvalSettings, checked
from arastance.tasks import get_task
from arastance.writer import write_text

SCHEMA_VERSION = 1  # of metrics.json, see docs/metrics_schema.md


@dataclass(frozen=True)
class ReportSettings:
    bootstrap: BootstrapSettings
    baselines: bool = True
    plots: bool = True
    top_errors: int = 20

    @classmethod
    def from_cfg(cls, eval_cfg: Any) -> ReportSettings:
        """From the `eval` config group (DictConfig, plain mapping or checked EvalSettings): every key and
        value checked by the settings rules; missing keys take their defaults."""
        settings = eval_cfg if isinstance(eval_cfg, EvalSettings) else checked(EvalSettings, eval_cfg, prefix="eval.")
        boot = settings.bootstrap
        return cls(
            bootstrap=BootstrapSettings(boot.n, boot.seed, boot.confidence),
            baselines=settings.baselines,
            plots=settings.plots,
            top_errors=settings.top_errors,
        )


# ----------------------------------------------------------------------------------- entry points


def build_report(
    out_dir: Path, ner_run: Path | None, stance_run: Path | None, eval_cfg: Any, title: str
) -> dict[str, Any]:
    """Read the runs' held-out predictions and write the report folder; returns its metrics.json."""
    if ner_run is None and stance_run is None:
        raise UserError("a report needs an NER run, a stance run, or both")
    settings = ReportSettings.from_cfg(eval_cfg)  # checked before any run is read
    runs, seeds = [], {}
    for expected, path in (("ner", ner_run), ("stance", stance_run)):
        if path is None:
            continue
        # A sweep folder of seeds: the report is the first run's, with the seeds' spread beside the folds'.
        seed_paths = run_paths(require(path, f"--{expected}", RUN_OR_SWEEP))
        run = load_run(seed_paths[0])
        if run.task != expected:
            raise UserError(f"{path} is a {run.task} run, given as the {expected} run")
        runs.append(run)
        seed_block = sweep_seed_block(seed_paths, expected)
        if seed_block is not None:
            seeds[expected] = seed_block
    return write_runs_report(Path(out_dir), runs, settings, title, seeds=seeds)


def write_runs_report(
    out_dir: Path,
    runs: Sequence[RunData],
    settings: ReportSettings,
    title: str,
    extra: Mapping[str, Any] | None = None,
    seeds: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    analyses = [analyse(run, settings) for run in runs]
    for analysis in analyses:
        if analysis.task in (seeds or {}):
            analysis.metrics["seeds"] = dict((seeds or {})[analysis.task])
    ner_run = next((r for r in runs if r.task == "ner"), None)
    for analysis, run in zip(analyses, runs, strict=True):
        if run.task == "stance" and ner_run is not None:  # holder (b) needs the NER run's predictions
            attach_holder_metrics(analysis.metrics, run, ner_run, settings.bootstrap)
    return write_report(out_dir, analyses, runs[0].docs, runs[0].schema, settings, title, extra)


def analyse_stance_and_holders(run: RunData, bootstrap: BootstrapSettings, baselines: bool) -> TaskAnalysis:
    """Stance scores, plus the holder scores given the gold entities and stance (the method's ceiling)."""
    analysis = analyse_stance(run, bootstrap, baselines)
    attach_holder_metrics(analysis.metrics, run, None, bootstrap)
    return analysis


# What a report computes for each task (tasks.py names them).
ANALYSES: dict[str, Callable[[RunData, BootstrapSettings, bool], TaskAnalysis]] = {
    "ner": analyse_ner,
    "stance": analyse_stance_and_holders,
}


def analyse(run: RunData, settings: ReportSettings) -> TaskAnalysis:
    return ANALYSES[run.task](run, settings.bootstrap, settings.baselines)


def headline_line(task: str, block: Mapping[str, Any]) -> str:
    """ "ner micro-F1 0.5590 [0.5150, 0.6050]": the task's headline score with its interval."""
    spec = get_task(task)
    ci: Any = block["ci"]
    for key in spec.headline_ci:
        ci = ci[key]
    return f"{task} {spec.headline_name} {spec.headline_value(dict(block)):.4f} [{ci['low']:.4f}, {ci['high']:.4f}]"


def write_report(
    out_dir: Path,
    analyses: Sequence[TaskAnalysis],
    docs: Sequence[GoldDocument],
    schema: Schema,
    settings: ReportSettings,
    title: str,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    by_task = {a.task: a for a in analyses}
    metrics: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "title": title,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "bootstrap": settings.bootstrap.to_json(),
        **{a.task: a.metrics for a in analyses},
        "data": compute_stats(docs, schema),
        **(extra or {}),
    }
    figures = write_figures(out_dir, by_task, title, settings.top_errors) if settings.plots else {}
    metrics["figures"] = figures
    _write(out_dir / METRICS, json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    report_md = render_report_md(metrics, figures)
    _write(out_dir / "report.md", report_md)
    inlined = render_report_md(metrics, figure_uris(out_dir, figures))  # one file: figures as data: URIs
    _write(out_dir / "report.html", render_report_html(metrics, inlined, by_task, docs, schema))
    ner, stance = by_task.get("ner"), by_task.get("stance")
    _write(
        out_dir / "errors.md",
        render_errors_md(
            title,
            ner.ner_errors if ner else None,
            schema.entity_labels,
            stance.stance_items if stance else None,
            schema.stance_classes,
            ner.quantity_disagreements if ner else (),
        ),
    )
    return metrics


def _write(path: Path, text: str) -> None:
    # Atomic, and a full disk or read-only folder is a message naming the folder: never half a report.
    write_text(path, text)


# ----------------------------------------------------------------------------------- figures


def _f1_figure(
    out_dir: Path, name: str, heading: str, a: TaskAnalysis, baseline_key: str, baseline_name: str, headline: str
) -> str:
    """Per-label F1 with CI whiskers and the baseline's F1 beside it; `headline` is micro (NER) or macro_f1."""
    m = a.metrics
    labels = list(a.labels)
    ci = m["ci"]["per_label"]
    base = m.get("baselines", {}).get(baseline_key)
    value = m[headline]["f1"] if headline == "micro" else m[headline]
    interval = m["ci"][headline]["f1"] if headline == "micro" else m["ci"][headline]
    base_value = (base[headline]["f1"] if headline == "micro" else base[headline]) if base else None
    plots.plot_f1_with_ci(
        out_dir / f"{name}.png",
        f"{heading}, {int(m['ci']['bootstrap']['confidence'] * 100)}% bootstrap CI",
        labels,
        [m["per_label"][label]["f1"] for label in labels],
        [ci[label]["f1"]["low"] for label in labels],
        [ci[label]["f1"]["high"] for label in labels],
        support=[m["per_label"][label]["support"] for label in labels],
        baseline=[base["per_label"][label]["f1"] for label in labels] if base else None,
        baseline_name=baseline_name,
        headline=(headline.split("_")[0], value, interval["low"], interval["high"]),
        baseline_headline=base_value,
    )
    return f"{name}.png"


def write_figures(
    out_dir: Path, by_task: Mapping[str, TaskAnalysis], title: str, top_errors: int = 20
) -> dict[str, str]:
    """PNG files in out_dir; returns name → file name (relative, as report.md links them)."""
    figures: dict[str, str] = {}
    if "ner" in by_task:
        a = by_task["ner"]
        figures["ner_f1"] = _f1_figure(
            out_dir, "ner_f1", f"NER F1 per label (strict) — {title}", a, GAZETTEER, "gazetteer baseline", "micro"
        )
        plots.plot_learning_curves(
            out_dir / "ner_learning_curves.png", f"NER learning curves — {title}", a.logs, a.dev_metric
        )
        figures["ner_learning_curves"] = "ner_learning_curves.png"
        plots.plot_top_errors(
            out_dir / "ner_top_errors.png",
            f"NER: entity strings with most errors — {title}",
            top_error_strings(a.ner_errors, top_errors),
        )
        figures["ner_top_errors"] = "ner_top_errors.png"
    if "stance" in by_task:
        a = by_task["stance"]
        figures["stance_f1"] = _f1_figure(
            out_dir, "stance_f1", f"Stance F1 per class — {title}", a, MAJORITY, "majority baseline", "macro_f1"
        )
        cm = a.metrics["confusion_matrix"]
        plots.plot_confusion(
            out_dir / "stance_confusion.png",
            f"Stance confusion matrix (sentences) — {title}",
            cm["labels"],
            cm["matrix"],
        )
        figures["stance_confusion"] = "stance_confusion.png"
        plots.plot_learning_curves(
            out_dir / "stance_learning_curves.png", f"Stance learning curves — {title}", a.logs, a.dev_metric
        )
        figures["stance_learning_curves"] = "stance_learning_curves.png"
    return figures


# ----------------------------------------------------------------------------------- report.md


def _f(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _ci(interval: Mapping[str, float] | None) -> str:
    return f"[{_f(interval['low'])}, {_f(interval['high'])}]" if interval else "–"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], align: str | None = None) -> list[str]:
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else ":---" for a in align]
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(rule) + " |",
        *("| " + " | ".join(str(c) for c in row) + " |" for row in rows),
    ]


def _spread(folds: Mapping[str, Any], label: str) -> str:
    row = folds["per_label"].get(label)
    if not row or not row["n_folds"]:
        return "–"
    return f"{_f(row['mean'])} ± {_f(row['std'])} ({row['n_folds']})"


def _seed_header(m: Mapping[str, Any]) -> list[str]:
    return ["seed F1 mean ± sd (seeds)"] if "seeds" in m else []


def _seed_spread(seeds: Mapping[str, Any] | None, label: str | None = None) -> str:
    """ "0.512 ± 0.031 (3)": a label's (or the headline's, label None) mean ± sd over the seeds' runs."""
    stats = None if seeds is None else seeds["headline"] if label is None else seeds["per_label"].get(label)
    if not stats:
        return "–"
    return f"{_f(stats['mean'])} ± {_f(stats['sd'])} ({stats['n']})"


def _seed_columns(m: Mapping[str, Any], label: str | None) -> list[str]:
    """The seed spread cell beside the fold spread, when the report was given a sweep of seeds."""
    return [_seed_spread(m["seeds"], label)] if "seeds" in m else []


def _seed_sentence(m: Mapping[str, Any], name: str) -> str:
    seeds = m.get("seeds")
    if not seeds:
        return ""
    listed = ", ".join(str(s) for s in seeds["seeds"])
    return (
        f" Seeds: {name} {_seed_spread(seeds)} over {len(seeds['runs'])} runs (seeds {listed}); every other figure is "
        f"the first run's (`{seeds['runs'][0]}`), and the seed column is each label's F1 mean ± sample sd over the "
        "runs."
    )


def _design_sentence(metrics: Mapping[str, Any]) -> str:
    """How the scored predictions were produced: CV over all documents, some folds, or a fixed split."""
    n_docs = metrics["data"]["documents"]
    runs = [metrics[t]["run"] for t in ("ner", "stance") if t in metrics]
    if any(f == SINGLE_SPLIT for run in runs for f in run["folds"]):
        tested = sorted(
            {d for t in ("ner", "stance") if t in metrics for f in metrics[t]["per_fold"] for d in f["test"]}
        )
        return (
            f"Scores are on the fixed split's test documents only ({', '.join(tested)}), by a model that never "
            "saw them."
        )
    folds = max(len(run["folds"]) for run in runs)
    coverage = (
        "so each document is scored exactly once"
        if folds == n_docs
        else f"here {folds} of the {n_docs} folds, so only their test documents are scored"
    )
    return (
        "Every score below is pooled over the held-out documents of leave-one-document-out cross-validation, "
        f"{coverage}, by a model that never saw it."
    )


def _honesty_paragraph(metrics: Mapping[str, Any]) -> list[str]:
    data = metrics["data"]
    conf = int(metrics["bootstrap"]["confidence"] * 100)
    return [
        "## How to read these numbers",
        "",
        f"The gold set is {data['documents']} documents ({data['sentences']} sentences, {data['entities']['total']} "
        f"entities). {_design_sentence(metrics)} With this little data the point estimates move a lot with a single "
        f"sentence: **the {conf}% intervals are the honest headline, not the point estimates.** Labels with a handful "
        "of gold mentions (see the support column) have intervals too wide to rank them, and a difference between two "
        "systems counts only when the paired interval of their difference excludes 0. Intervals come from a "
        f"{metrics['bootstrap']['n']}-replicate percentile bootstrap that resamples sentences within each document "
        "(documents are too few to resample), so they reflect sentence-to-sentence variation within these documents, "
        "not how the model would do on other sources, topics or time periods; that uncertainty is larger and this "
        "evaluation cannot measure it.",
    ]


def _ner_section(m: Mapping[str, Any], labels: Sequence[str], figures: Mapping[str, str]) -> list[str]:
    ci = m["ci"]
    base = m.get("baselines", {}).get(GAZETTEER)
    lines = ["## NER", ""]
    lines.append(
        f"Entity-level, strict IOB2 (seqeval strict). Micro-F1 **{_f(m['micro']['f1'])}** {_ci(ci['micro']['f1'])}, "
        f"macro-F1 {_f(m['macro']['f1'])} {_ci(ci['macro_f1'])}; folds: micro-F1 {_f(m['folds']['headline']['mean'])} "
        f"± {_f(m['folds']['headline']['std'])} over {len(m['folds']['headline']['values'])} "
        f"fold(s).{_seed_sentence(m, 'micro-F1')}"
    )
    lines.append("")
    header = [
        "label",
        "support",
        "P",
        "R",
        "F1",
        "F1 95% CI",
        "fold F1 mean ± sd (folds)",
        *_seed_header(m),
        "conlleval F1",
    ]
    if base:
        header.append("gazetteer F1")
    rows = []
    for label in labels:
        r = m["per_label"][label]
        row = [
            label,
            r["support"],
            _f(r["precision"]),
            _f(r["recall"]),
            _f(r["f1"]),
            _ci(ci["per_label"][label]["f1"]),
            _spread(m["folds"], label),
            *_seed_columns(m, label),
            _f(m["conlleval"]["per_label"].get(label, {}).get("f1", 0.0)),
        ]
        if base:
            row.append(_f(base["per_label"][label]["f1"]))
        rows.append(row)
    micro = m["micro"]
    row = [
        "**micro**",
        micro["support"],
        _f(micro["precision"]),
        _f(micro["recall"]),
        f"**{_f(micro['f1'])}**",
        _ci(ci["micro"]["f1"]),
        f"{_f(m['folds']['headline']['mean'])} ± {_f(m['folds']['headline']['std'])}",
        *_seed_columns(m, None),
        _f(m["conlleval"]["micro"]["f1"]),
    ]
    if base:
        row.append(_f(base["micro"]["f1"]))
    rows.append(row)
    lines += _table(header, rows)
    if "ner_f1" in figures:
        lines += ["", f"![NER F1 per label]({figures['ner_f1']})"]

    nv = m["nervaluate"]
    strategies = list(nv["overall"])
    lines += [
        "",
        "### Partial matches (nervaluate)",
        "",
        "F1 under SemEval-2013 schemes: strict = exact extent and type; exact = extent only; "
        "partial = any overlap, half credit; ent_type = overlap and type.",
        "",
    ]
    rows = [[label, *(_f(nv["per_label"][label][s]["f1"]) for s in strategies)] for label in labels]
    rows.append(["**overall**", *(_f(nv["overall"][s]["f1"]) for s in strategies)])
    lines += _table(["label", *strategies], rows)

    q = m["quantity"]
    lines += ["", "### QUANTITY values", ""]
    lines.append(
        f"{q['exact_span_matches']} of {q['predicted']} predicted QUANTITY spans match a gold span exactly; for "
        f"{q['value_agree']} of them the normalised value equals the gold value ({_f(q['agreement_on_matched'])} of "
        f"matched, {_f(q['agreement_on_gold'])} of all {q['gold']} gold QUANTITY entities). On the gold spans "
        f"themselves the normaliser agrees with the annotated value {_f(q['normaliser_on_gold_spans'])} of the time "
        "(its ceiling)."
    )
    return lines


def _stance_section(m: Mapping[str, Any], classes: Sequence[str], figures: Mapping[str, str]) -> list[str]:
    ci = m["ci"]
    base = m.get("baselines", {}).get(MAJORITY)
    lines = ["## Stance", ""]
    stance_eval = (
        f", StanceEval F1 (mean of PRO_STAY and PRO_WITHDRAWAL) {_f(m['stance_eval_f1'])} "
        f"{_ci(ci.get('stance_eval_f1'))}"
        if "stance_eval_f1" in m
        else ""
    )
    lines.append(
        f"Sentence level. Macro-F1 **{_f(m['macro_f1'])}** {_ci(ci['macro_f1'])}{stance_eval}, accuracy "
        f"{_f(m['accuracy'])} {_ci(ci['accuracy'])}; folds: macro-F1 {_f(m['folds']['headline']['mean'])} ± "
        f"{_f(m['folds']['headline']['std'])}.{_seed_sentence(m, 'macro-F1')}"
    )
    lines.append("")
    header = ["class", "support", "P", "R", "F1", "F1 95% CI", "fold F1 mean ± sd (folds)", *_seed_header(m)] + (
        ["majority F1"] if base else []
    )
    rows = []
    for c in classes:
        r = m["per_label"][c]
        row = [
            c,
            r["support"],
            _f(r["precision"]),
            _f(r["recall"]),
            _f(r["f1"]),
            _ci(ci["per_label"][c]["f1"]),
            _spread(m["folds"], c),
            *_seed_columns(m, c),
        ]
        if base:
            row.append(_f(base["per_label"][c]["f1"]))
        rows.append(row)
    lines += _table(header, rows)
    if "stance_f1" in figures:
        lines += ["", f"![Stance F1 per class]({figures['stance_f1']})"]
    cm = m["confusion_matrix"]
    lines += ["", "### Confusion matrix (rows gold, columns predicted)", ""]
    lines += _table(
        ["gold \\ predicted", *cm["labels"], "total"],
        [[g, *row, sum(row)] for g, row in zip(cm["labels"], cm["matrix"], strict=True)],
    )
    if "stance_confusion" in figures:
        lines += ["", f"![Stance confusion matrix]({figures['stance_confusion']})"]
    doc = m.get("document")
    if doc:
        dcm = doc["confusion_matrix"]
        lines += [
            "",
            "### Document stance",
            "",
            f"Derived from the sentence predictions; {_f(doc['accuracy'])} accuracy over {doc['n']} documents "
            "(with this few documents, read it as a count, not a rate).",
            "",
        ]
        lines += _table(
            ["gold \\ predicted", *dcm["labels"]],
            [[g, *row] for g, row in zip(dcm["labels"], dcm["matrix"], strict=True)],
        )
    if "holder" in m:
        lines += ["", *holder_section_md(m["holder"])]
    return lines


def _baselines_section(metrics: Mapping[str, Any]) -> list[str]:
    rows = []
    if "ner" in metrics and GAZETTEER in metrics["ner"].get("baselines", {}):
        m, b = metrics["ner"], metrics["ner"]["baselines"][GAZETTEER]
        d = b["model_minus_baseline"]
        rows.append(
            [
                "NER micro-F1",
                f"{_f(m['micro']['f1'])} {_ci(m['ci']['micro']['f1'])}",
                "gazetteer",
                f"{_f(b['micro']['f1'])} {_ci(b['ci']['micro']['f1'])}",
                f"{_f(d['difference'])} {_ci(d)}",
            ]
        )
    if "stance" in metrics and MAJORITY in metrics["stance"].get("baselines", {}):
        m, b = metrics["stance"], metrics["stance"]["baselines"][MAJORITY]
        d = b["model_minus_baseline"]
        rows.append(
            [
                "Stance macro-F1",
                f"{_f(m['macro_f1'])} {_ci(m['ci']['macro_f1'])}",
                "majority class",
                f"{_f(b['macro_f1'])} {_ci(b['ci']['macro_f1'])}",
                f"{_f(d['difference'])} {_ci(d)}",
            ]
        )
    if not rows:
        return []
    return [
        "## Model vs baselines",
        "",
        "Same folds, same held-out sentences, same scoring functions. The difference interval is paired "
        "(both systems on the same bootstrap resamples).",
        "",
        *_table(
            ["score", "model [95% CI]", "baseline", "baseline [95% CI]", "model − baseline [95% CI]"], rows, "llllr"
        ),
    ]


def _folds_section(metrics: Mapping[str, Any]) -> list[str]:
    lines = ["## Per fold", ""]
    rows = []
    for task, key in (("ner", "micro_f1"), ("stance", "macro_f1")):
        for f in metrics.get(task, {}).get("per_fold", []):
            rows.append([task, f["fold"], ", ".join(f["test"]), f["sentences"], f"{key} {_f(f[key])}"])
    return lines + _table(["task", "fold", "test documents", "sentences", "score"], rows, "lllrl")


def _gold_held_out(metrics: Mapping[str, Any]) -> bool:
    return any(f["sentences"] for task in ("ner", "stance") for f in metrics.get(task, {}).get("per_fold", []))


def _test_sets_section(test_sets: Mapping[str, Any]) -> list[str]:
    """A corpus's own test split, apart from the gold figures above (evaluation/test_sets.py)."""
    lines: list[str] = []
    for source, block in test_sets.items():
        lines += [
            f"## Test set: {source}",
            "",
            f"The corpus's own test split ({', '.join(f'`{f}`' for f in block['files'])}: "
            f"{block['sentences']} sentences, "
            f"{block['documents']} documents), kept apart from the gold figures. Strict IOB2 entities; "
            f"{int(block['bootstrap']['confidence'] * 100)}% bootstrap intervals over its sentences.",
            "",
        ]
        for name, split in block["splits"].items():
            m, ci = split["ner"], split["ci"]
            rows = [
                [
                    label,
                    _f(v["precision"]),
                    _f(v["recall"]),
                    _f(v["f1"]),
                    _ci(ci["per_label"].get(label, {}).get("f1")),
                    _f(m["conlleval"]["per_label"].get(label, {}).get("f1")),
                    v["support"],
                ]
                for label, v in m["per_label"].items()
            ]
            rows.append(
                [
                    "**micro**",
                    _f(m["micro"]["precision"]),
                    _f(m["micro"]["recall"]),
                    _f(m["micro"]["f1"]),
                    _ci(ci["micro"]["f1"]),
                    _f(m["conlleval"]["micro"]["f1"]),
                    "",
                ]
            )
            rows.append(["**macro**", "", "", _f(m["macro"]["f1"]), _ci(ci["macro_f1"]), "", ""])
            if len(block["splits"]) > 1:
                lines += [f"Model of {name}:", ""]
            lines += [*_table(["label", "P", "R", "F1", "F1 CI", "conlleval F1", "support"], rows), ""]
            if absent := absent_labels_line(split):
                lines += [absent, ""]
        if "folds_micro_f1" in block:
            f = block["folds_micro_f1"]
            lines += [f"Micro-F1 over the fold models: {_f(f['mean'])} ± {_f(f['std'])}.", ""]
    return lines


def _data_section(data: Mapping[str, Any]) -> list[str]:
    entities = data["entities"]
    labels = list(entities["per_label"])
    lines = [
        "## Data",
        "",
        f"{data['documents']} documents, {data['sentences']} sentences, {entities['total']} entities.",
        "",
    ]
    rows = [[d["doc_id"], *(d["entities"][label] for label in labels), d["total"]] for d in entities["per_document"]]
    rows.append(["**total**", *(entities["per_label"][label] for label in labels), entities["total"]])
    lines += _table(["document", *labels, "total"], rows)
    stance = data["stance"]
    lines += [
        "",
        *_table(
            ["stance", "sentences", "documents"],
            [[c, n, stance["documents"].get(c, 0)] for c, n in stance["sentences"].items()],
        ),
    ]
    length = data["sentence_length_words"]
    lines += [
        "",
        f"Sentence length in words: min {length['min']}, median {length['median']}, mean {length['mean']}, max "
        f"{length['max']}.",
    ]
    return lines


def render_report_md(metrics: Mapping[str, Any], figures: Mapping[str, str]) -> str:
    lines = [f"# Evaluation report — {metrics['title']}", ""]
    for task in ("ner", "stance"):
        if task in metrics:
            run = metrics[task]["run"]
            lines.append(f"- {task}: `{run['run_dir']}` (model {run['model']}, folds {', '.join(run['folds'])})")
    if "checkpoint_eval" in metrics:
        ce = metrics["checkpoint_eval"]
        verdict = "equal to" if ce["matches_training"] else "**different from**"
        lines.append(
            f"- re-predicted from the saved checkpoints ({ce['device']}, {ce['precision']}): scores {verdict} the "
            "training-time metrics.json"
        )
    if not _gold_held_out(metrics):
        # A run on a corpus's own labels (data.labels) holds no gold out: its only scores are the test set's.
        lines += ["", "No gold document was held out: the run trained on a corpus's own labels (data.labels).", ""]
        return "\n".join([*lines, *_test_sets_section(metrics.get("test_sets") or {})])
    lines += ["", *_honesty_paragraph(metrics), ""]
    if "ner" in metrics:
        lines += [*_ner_section(metrics["ner"], list(metrics["ner"]["per_label"]), figures), ""]
    if "stance" in metrics:
        lines += [*_stance_section(metrics["stance"], list(metrics["stance"]["per_label"]), figures), ""]
    baselines = _baselines_section(metrics)
    if baselines:
        lines += [*baselines, ""]
    lines += [*_folds_section(metrics), ""]
    lines += _test_sets_section(metrics.get("test_sets") or {})
    curves = [(name, figures[name]) for name in ("ner_learning_curves", "stance_learning_curves") if name in figures]
    if curves or "ner_top_errors" in figures:
        lines += ["## Training curves and errors", ""]
        lines += [f"![{name.replace('_', ' ')}]({file})" for name, file in curves]
        if "ner_top_errors" in figures:
            lines.append(f"![NER errors by entity string]({figures['ner_top_errors']})")
        lines.append("")
    lines += ["Every individual error, with its sentence, is listed in [errors.md](errors.md).", ""]
    lines += [*_data_section(metrics["data"]), ""]
    return "\n".join(lines)
