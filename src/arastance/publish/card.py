"""The model card (README.md with Hub metadata) of a published model: pure functions of `CardFacts`.

Everything the card says comes from the run (config, metrics, split) and from annotations/schema.yaml,
gathered by package.py; nothing here reads files, so the card can be tested on hand-made facts.

Scores: the evaluation harness's report (run_dir/report/metrics.json) is preferred because it has
bootstrap confidence intervals; `point_and_ci` reads the interval in any of the shapes listed there,
so the card does not break when the report adds fields. Without a report the run's own metrics.json
is used and the card says that there are no intervals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from arastance.schema import Schema

PIPELINE_TAG = {"ner": "token-classification", "stance": "text-classification"}
TASK_TAG = {"ner": "ner", "stance": "stance"}
TASK_TITLE = {"ner": "Named entity recognition", "stance": "Stance detection"}
DATASET_TYPE = "arastance-gold"


@dataclass(frozen=True)
class DocFacts:
    doc_id: str
    words: int
    sentences: int
    entities: int
    role: str  # what the published model did with it: train / dev / test / unused


@dataclass(frozen=True)
class ScoreRow:
    label: str
    precision: float | None
    recall: float | None
    f1: float | None
    f1_ci: tuple[float, float] | None
    support: int | None
    folds: tuple[float, float, int] | None  # F1 mean, std, number of folds with the label


@dataclass(frozen=True)
class Headline:
    name: str  # shown in the card
    metric_type: str  # Hub metric id: f1, precision, recall, accuracy
    value: float
    ci: tuple[float, float] | None


@dataclass(frozen=True)
class CardFacts:
    task: str
    model_name: str
    model_config_name: str  # configs/model/<name>.yaml of the run
    schema: Schema
    base_model: str | None  # hub id of the pre-trained model; None for the tiny random-init model
    tiny_spec: dict[str, Any] | None  # the tiny model's size, when it is the tiny model
    normalization: str
    max_length: int
    stride: int
    context: dict[str, Any]  # stance: title / previous sentence as second segment
    doc_aggregation: str | None
    doc_threshold: float | None
    is_cv: bool  # the scores come from cross-validation
    n_folds: int
    published_fold: str | None  # the fold whose model was published (CV run)
    split: dict[str, Any] | None  # the published model's own split (train/dev/test ids)
    scores_source: str  # human-readable: which file the scores come from
    scores_from_other_run: bool  # --scores-from: the scores are of a CV run with the same config
    rows: list[ScoreRow]
    headlines: list[Headline]
    has_ci: bool
    documents: list[DocFacts]
    trainer: dict[str, Any]
    seed: int
    train_overrides: list[str] | None  # hydra overrides of the training command, when known
    repo_id: str | None
    own_test: dict[str, Any] | None = None  # the published fold model's scores on its own test document
    ci_confidence: float = 0.95
    baseline: str | None = None  # the report's baseline comparison, one sentence
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- reading scores


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _pair(raw: Any) -> tuple[float, float] | None:
    """A confidence interval written as [lo, hi] or {low|lo|lower, high|hi|upper}."""
    if isinstance(raw, Mapping):
        for lo_key, hi_key in (("low", "high"), ("lo", "hi"), ("lower", "upper"), ("ci_low", "ci_high")):
            pair = _pair([raw.get(lo_key), raw.get(hi_key)])
            if pair:
                return pair
        return None
    if isinstance(raw, (list, tuple)) and len(raw) == 2:
        lo, hi = _number(raw[0]), _number(raw[1])
        if lo is not None and hi is not None:
            return lo, hi
    return None


def point_and_ci(entry: Mapping[str, Any], key: str) -> tuple[float | None, tuple[float, float] | None]:
    """The value of `key` in a metrics entry and its confidence interval, if the entry has one.

    Accepted shapes: {key: 0.8, key_ci: [lo, hi]}, {key: 0.8, key_low, key_high}, {key: 0.8,
    ci: {key: [lo, hi]}}, {key: {value|point|estimate|mean: 0.8, ci: [lo, hi] | low/high}}.
    """
    raw = entry.get(key)
    ci: tuple[float, float] | None = None
    if isinstance(raw, Mapping):
        value = next((v for v in (_number(raw.get(k)) for k in ("value", "point", "estimate", "mean")) if v is not None), None)
        ci = _pair(raw.get("ci")) or _pair(raw)
    else:
        value = _number(raw)
    if ci is None:
        ci = _pair(entry.get(f"{key}_ci")) or _pair([entry.get(f"{key}_low"), entry.get(f"{key}_high")])
    if ci is None and isinstance(entry.get("ci"), Mapping):
        ci = _pair(entry["ci"].get(key))
    return value, ci


def dig(data: Any, path: Sequence[str]) -> Any:
    """data[path[0]][path[1]]…, or None where a key is missing."""
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def score_rows(task_scores: Mapping[str, Any], labels: Sequence[str], spread: Mapping[str, Any] | None) -> list[ScoreRow]:
    """One row per schema label (in schema order), with fold mean ± std when the run has them."""
    per_label = task_scores.get("per_label") or {}
    fold_table = (spread or {}).get("per_label") or {}
    ci_table = dig(task_scores, ("ci", "per_label")) or {}  # the evaluation report's intervals
    rows = []
    for label in labels:
        entry = per_label.get(label) or {}
        precision, _ = point_and_ci(entry, "precision")
        recall, _ = point_and_ci(entry, "recall")
        f1, f1_ci = point_and_ci(entry, "f1")
        f1_ci = f1_ci or _pair(dig(ci_table, (label, "f1")))
        support = entry.get("support")
        folds = fold_table.get(label)
        rows.append(
            ScoreRow(
                label,
                precision,
                recall,
                f1,
                f1_ci,
                int(support) if _number(support) is not None else None,
                (float(folds["mean"]), float(folds["std"]), int(folds["n_folds"])) if folds else None,
            )
        )
    return rows


def headlines(task: str, task_scores: Mapping[str, Any]) -> list[Headline]:
    """The few numbers that summarise the task (also the model-index results of the front matter)."""
    # (where the value is, its key, name in the card, Hub metric type, where the report keeps its interval)
    wanted: list[tuple[Mapping[str, Any], str, str, str, tuple[str, ...]]]
    if task == "ner":
        micro = task_scores.get("micro") or {}
        macro = task_scores.get("macro") or {}
        wanted = [
            (micro, "f1", "micro F1 (strict IOB2 entities)", "f1", ("ci", "micro", "f1")),
            (micro, "precision", "micro precision", "precision", ("ci", "micro", "precision")),
            (micro, "recall", "micro recall", "recall", ("ci", "micro", "recall")),
            (macro, "f1", "macro F1 over entity labels", "f1", ("ci", "macro_f1")),
        ]
    else:
        document = task_scores.get("document") or {}
        wanted = [
            (task_scores, "macro_f1", "sentence macro F1", "f1", ("ci", "macro_f1")),
            (task_scores, "stance_eval_f1", "StanceEval F1 (mean of PRO_STAY and PRO_WITHDRAWAL F1)", "f1", ("ci", "stance_eval_f1")),
            (task_scores, "accuracy", "sentence accuracy", "accuracy", ("ci", "accuracy")),
            (document, "accuracy", f"document-stance accuracy (n={document.get('n', '?')})", "accuracy", ("ci", "document_accuracy")),
        ]
    out = []
    for entry, key, name, metric_type, ci_path in wanted:
        value, ci = point_and_ci(entry, key)
        if value is not None:
            out.append(Headline(name, metric_type, value, ci or _pair(dig(task_scores, ci_path))))
    return out


BASELINES = {
    "ner": ("gazetteer", "micro_f1", "micro F1", "a gazetteer of the training documents' entity strings"),
    "stance": ("majority", "macro_f1", "macro F1", "the majority class of the training sentences"),
}


def baseline_line(task: str, task_scores: Mapping[str, Any]) -> str | None:
    """The report's baseline and the paired bootstrap difference, in one sentence (None without a report)."""
    name, key, metric, description = BASELINES[task]
    baseline = dig(task_scores, ("baselines", name))
    if not isinstance(baseline, Mapping) or _number(baseline.get(key)) is None:
        return None
    line = f"Baseline ({description}): {metric} {baseline[key]:.3f}."
    diff = baseline.get("model_minus_baseline") or {}
    if _number(diff.get("difference")) is not None:
        line += f" Model minus baseline: {diff['difference']:+.3f} {_ci(_pair(diff))}"
        share = _number(diff.get("share_replicates_model_better"))
        line += f", the model ahead in {share:.0%} of bootstrap replicates." if share is not None else "."
    return line


def total_support(rows: Sequence[ScoreRow]) -> int:
    return sum(r.support or 0 for r in rows)


# --------------------------------------------------------------------------- rendering


def front_matter(facts: CardFacts) -> str:
    """Hub metadata as YAML, built with huggingface_hub's own ModelCardData so the Hub accepts it."""
    from huggingface_hub import EvalResult, ModelCardData

    task = facts.task
    tags = [PIPELINE_TAG[task], "arabic", TASK_TAG[task], "arabert"]
    if facts.base_model is None:
        tags.append("random-init-test-model")
    dataset_name = "arastance gold: 5 Arabic news articles (US forces in Syria)"
    split = "leave-one-document-out cross-validation, pooled" if facts.is_cv else "held-out documents"
    results = []
    if total_support(facts.rows) > 0:
        results = [
            EvalResult(
                task_type=PIPELINE_TAG[task],
                task_name=TASK_TITLE[task],
                dataset_type=DATASET_TYPE,
                dataset_name=dataset_name,
                dataset_split=split,
                metric_type=h.metric_type,
                metric_name=h.name,
                metric_value=round(h.value, 4),
            )
            for h in facts.headlines
        ]
    data = ModelCardData(
        language="ar",
        license="apache-2.0",
        library_name="transformers",
        pipeline_tag=PIPELINE_TAG[task],
        tags=tags,
        base_model=facts.base_model,
        metrics=["f1", "precision", "recall"] if task == "ner" else ["f1", "accuracy"],
        model_name=facts.model_name,
        eval_results=results or None,
    )
    return data.to_yaml()


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _ci(ci: tuple[float, float] | None) -> str:
    return "–" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def render_card(facts: CardFacts) -> str:
    sections = [
        f"---\n{front_matter(facts).rstrip()}\n---\n",
        _title(facts),
        _intended_use(facts),
        _schema_section(facts),
        _scores_section(facts),
        _training_data(facts),
        _limitations(facts),
        _how_to_use(facts),
        _reproduce(facts),
    ]
    return "\n".join(s.rstrip() + "\n" for s in sections)


def _title(facts: CardFacts) -> str:
    lines = [f"# {facts.model_name}", ""]
    if facts.base_model is None:
        spec = facts.tiny_spec or {}
        lines += [
            "> **Not for use.** This is the arastance project's *tiny test model*: a "
            f"{spec.get('num_hidden_layers', '?')}-layer BERT (hidden size {spec.get('hidden_size', '?')}) with "
            "**random initial weights** (no pre-training) and a WordPiece vocabulary built from the five "
            "training documents. It exists so that training, evaluation and publishing can be tested offline "
            "in seconds; its predictions are close to meaningless. Train and publish an AraBERT run "
            f"(`experiment={facts.task}_arabert`) for anything real.",
            "",
        ]
        origin = "trained from random initialisation"
    else:
        origin = f"fine-tuned from [`{facts.base_model}`](https://huggingface.co/{facts.base_model})"
    if facts.task == "ner":
        what = (
            f"Named-entity recognition for Modern Standard Arabic news: {len(facts.schema.entity_labels)} entity "
            f"types ({', '.join(facts.schema.entity_labels)}) tagged per word in IOB2."
        )
    else:
        what = (
            "Sentence-level stance detection for Arabic news towards one fixed target: "
            f"*{facts.schema.stance_target}* Classes: {', '.join(facts.schema.stance_classes)}."
        )
    lines += [f"{what} A BERT model {origin} with the arastance project, on five annotated news articles.", ""]
    if facts.is_cv and facts.published_fold and not facts.scores_from_other_run:
        lines += [
            f"**This is one of {facts.n_folds} cross-validation models.** Cross-validation trains one model per "
            f"fold, each on a subset of the documents; this folder holds the model of **{facts.published_fold}** "
            f"(trained on {_ids((facts.split or {}).get('train'))}, dev {_ids((facts.split or {}).get('dev'))}, "
            f"tested on {_ids((facts.split or {}).get('test'))}). The scores below are of all folds' models, pooled. "
            "For a model to use, train one final model on all documents (see *How to reproduce*) and publish that "
            "with `--scores-from` this cross-validation run.",
            "",
        ]
    return "\n".join(lines)


def _ids(ids: Sequence[str] | None) -> str:
    return ", ".join(f"`{i}`" for i in ids) if ids else "none"


def _intended_use(facts: CardFacts) -> str:
    if facts.task == "ner":
        use = "finding people, organisations, places, quantities and dates in Arabic news reporting"
    else:
        target = facts.schema.stance_target.rstrip(".")
        use = f"flagging sentences of Arabic news that take a position on {target[:1].lower() + target[1:]}"
    return "\n".join(
        [
            "## Intended use",
            "",
            f"- Research and prototyping: {use}, on the same topic and register as the training articles "
            "(Arabic-language news about US forces in Syria, 2023–2024).",
            "- **Pre-annotation**: proposing labels that a human annotator corrects in Label Studio "
            "(`arastance preannotate`), to grow the gold set faster than annotating from scratch.",
            "",
            "Out of scope: any decision about people or organisations without human review; other topics, "
            "dialects or genres without a new evaluation; "
            + ("stance towards any other target (the classes only make sense for this one)." if facts.task == "stance" else "nested entities, entity linking, relations."),
        ]
    )


def _schema_section(facts: CardFacts) -> str:
    schema = facts.schema
    lines = ["## Label schema", "", f"Schema version {schema.version} (`annotations/schema.yaml`, the project's single source of truth).", ""]
    if facts.task == "ner":
        lines += ["| label | definition |", "|---|---|"]
        lines += [f"| {label} | {_cell(schema.definitions.get(label, ''))} |" for label in schema.entity_labels]
        lines += [
            "",
            f"The model predicts one IOB2 tag per word, `config.json` `id2label`: {', '.join(f'`{t}`' for t in schema.iob_tags)}. "
            "Only the first sub-word of each word was trained (the others are ignored by the loss): `arastance predict` "
            "reads each word's tag from its first sub-word; a pipeline with `aggregation_strategy=\"simple\"` uses "
            "every sub-word's own guess, `\"first\"` is closer to training. QUANTITY entities get a normalised "
            "`value`, `unit` and `approximate` flag from `arastance predict` (rules in the annotation guidelines).",
        ]
    else:
        lines += [f"Target: *{schema.stance_target}*", "", "| class | definition |", "|---|---|"]
        lines += [f"| {label} | {_cell(schema.definitions.get(label, ''))} |" for label in schema.stance_classes]
        context = [name for name in ("title", "previous") if facts.context.get(name)]
        lines += [""]
        if context:
            what = " and ".join({"title": "the article's title", "previous": "the previous sentence"}[c] for c in context)
            lines.append(f"Each sentence was encoded with {what} as the second segment (`text_pair`), when it fits in {facts.max_length} sub-words.")
        if facts.doc_aggregation:
            lines.append(
                f"The document stance is derived from the sentence predictions by `{facts.doc_aggregation}`"
                + (f" (threshold {facts.doc_threshold:g})" if facts.doc_aggregation == "mean_prob" and facts.doc_threshold is not None else "")
                + "; `arastance predict` reports it as `doc_stance`."
            )
    return "\n".join(lines)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _scores_section(facts: CardFacts) -> str:
    lines = ["## Scores", ""]
    if total_support(facts.rows) == 0:
        lines += [
            "**This model has no scores of its own**: it was trained without held-out documents. Publish it with "
            "`--scores-from <cross-validation run>` to report the cross-validated scores of the same configuration.",
        ]
        return "\n".join(lines)
    how = (
        f"leave-one-document-out cross-validation ({facts.n_folds} folds): each fold's model is scored on the one "
        "document it never saw, and the predictions of all folds are pooled before scoring"
        if facts.is_cv
        else f"the held-out document(s) {_ids((facts.split or {}).get('test'))} of a fixed split"
    )
    lines += [f"From `{facts.scores_source}`, on {how}."]
    if facts.scores_from_other_run:
        lines += [
            "",
            "These are the scores of a cross-validation run with the same task and model configuration; the "
            "published model itself was trained on all documents and has no held-out data of its own.",
        ]
    if facts.has_ci:
        lines += [
            f"Intervals are {facts.ci_confidence:.0%} percentile-bootstrap confidence intervals from the evaluation report, "
            "resampling sentences within each document: they show sentence-to-sentence variation inside these five "
            "articles only, not how much the scores would change on other articles, so they understate the uncertainty."
        ]
    else:
        lines += [
            "No confidence intervals: the evaluation report (`make evaluate RUN=<run dir>`, written to "
            "`report/metrics.json`) was not there when this card was written. With this little data the "
            "intervals are wide; read every number below as rough."
        ]
    unit = "entities (strict IOB2: exact span and label)" if facts.task == "ner" else "sentences"
    lines += ["", f"Per label, counted over {unit}; support is the number of gold {unit.split(' ')[0]}.", ""]
    header = f"| label | precision | recall | F1 | F1 {facts.ci_confidence:.0%} CI | support |"
    rule = "|---|---|---|---|---|---|"
    if any(r.folds for r in facts.rows):
        header += " F1 per fold (mean ± std, folds) |"
        rule += "---|"
    lines += [header, rule]
    for r in facts.rows:
        row = f"| {r.label} | {_fmt(r.precision)} | {_fmt(r.recall)} | {_fmt(r.f1)} | {_ci(r.f1_ci)} | {r.support if r.support is not None else '–'} |"
        if any(x.folds for x in facts.rows):
            row += f" {r.folds[0]:.3f} ± {r.folds[1]:.3f} ({r.folds[2]}) |" if r.folds else " – |"
        lines.append(row)
    lines += ["", f"| summary | value | {facts.ci_confidence:.0%} CI |", "|---|---|---|"]
    lines += [f"| {h.name} | {h.value:.3f} | {_ci(h.ci)} |" for h in facts.headlines]
    if facts.baseline:
        lines += ["", facts.baseline]
    if facts.own_test:
        lines += ["", f"The published {facts.published_fold} model alone, on its own test document: " + ", ".join(f"{k} {v:.3f}" for k, v in facts.own_test.items()) + "."]
    return "\n".join(lines)


def _training_data(facts: CardFacts) -> str:
    docs = facts.documents
    lines = ["## Training data", ""]
    total_words = sum(d.words for d in docs)
    lines += [
        f"**Five documents.** The whole gold set is {len(docs) or 5} Arabic news articles"
        + (f" ({total_words:,} words, {sum(d.sentences for d in docs)} sentences, {sum(d.entities for d in docs)} entity mentions)" if docs else "")
        + " about the US military presence in Syria, annotated independently by two annotators from written "
        "guidelines, every disagreement adjudicated (`annotations/adjudication.md`). The data is not published on the Hub.",
        "",
        "What that means: this is a very small data set"
        + (_size_in_words(facts) if docs else "")
        + ", from a handful of outlets and one topic. Labels with a support of a few dozen or less (see *Scores*) are "
        "barely learned, cross-validation test sets are single documents, and the scores would move a lot with one "
        "more document. Treat the model as a starting point for pre-annotation, not as a finished tagger.",
    ]
    if docs:
        lines += ["", "| document | words | sentences | entities | used by this model for |", "|---|---|---|---|---|"]
        lines += [f"| `{d.doc_id}` | {d.words} | {d.sentences} | {d.entities} | {d.role} |" for d in docs]
    return "\n".join(lines)


def _size_in_words(facts: CardFacts) -> str:
    entities = sum(d.entities for d in facts.documents)
    sentences = sum(d.sentences for d in facts.documents)
    if facts.task == "ner":
        return f": {entities} entity mentions in all, a few per label for the rare ones"
    return f": {sentences} sentences in all, most of them NONE"


def _limitations(facts: CardFacts) -> str:
    lines = [
        "## Limitations",
        "",
        "- Five training documents on one topic: expect much lower scores on other topics, outlets, dialects or "
        "social-media text; nothing here was evaluated outside the five articles.",
        f"- Inputs must be normalised as AraBERT v0.2 expects (`{facts.normalization}`): diacritics and tatweel "
        "removed, Arabic-Indic digits as ASCII, punctuation spaced. Raw text given to a plain `pipeline` is "
        "tokenised differently from training; `arastance predict` normalises per word and keeps offsets into the raw text.",
        f"- Inputs longer than {facts.max_length} sub-words are cut into overlapping windows ({facts.stride} sub-words "
        "of overlap) by `arastance predict`; a plain `pipeline` truncates or strides on its own terms.",
    ]
    if facts.task == "ner":
        lines += [
            "- Flat entities only (no nesting); entity spans are whole words (proclitics such as و/ب/ل stay inside the span "
            "when written attached, as in the guidelines).",
            "- QUANTITY `value`/`unit` are derived from the predicted span text by rules, so a wrong span gives a wrong value.",
        ]
    else:
        lines += [
            f"- One target only: *{facts.schema.stance_target}* Other targets need new annotation.",
            "- The stance holder (who voices the stance) is annotated in the gold but not predicted.",
            "- Most sentences are NONE; the minority classes have little support, so their scores are unstable.",
        ]
    if facts.base_model is None:
        lines.append("- Random-init tiny test model: not for use (see the top of this card).")
    lines += ["- " + note for note in facts.notes]
    return "\n".join(lines)


def _how_to_use(facts: CardFacts) -> str:
    model = facts.repo_id or "path/to/this/folder"
    lines = ["## How to use", "", "### Normalise the input first", ""]
    lines += [
        "The model was trained on AraBERT-v0.2-normalised words. Either normalise with the `arabert` package "
        "(offsets then refer to the normalised text):",
        "",
        "```python",
        "from arabert.preprocess import ArabertPreprocessor  # pip install arabert",
        'prep = ArabertPreprocessor(model_name="aubmindlab/bert-base-arabertv02")',
        'text = prep.preprocess("نَصٌّ عربيّ ـــ خام")',
        "```",
        "",
        "or use `arastance predict` (below), which normalises word by word and reports offsets into the raw text.",
        "",
        "### With a `transformers` pipeline",
        "",
        "```python",
        "from transformers import pipeline",
    ]
    if facts.task == "ner":
        lines += [
            f'ner = pipeline("token-classification", model="{model}", aggregation_strategy="simple")',
            'ner("قالت وزارة الدفاع الأميركية إن 900 جندي ما زالوا في سوريا")',
            "# [{'entity_group': 'ORG', 'word': ..., 'start': ..., 'end': ..., 'score': ...}, ...]",
            "```",
        ]
    else:
        lines += [
            f'stance = pipeline("text-classification", model="{model}", top_k=None)',
            'stance("أكدت واشنطن أن قواتها باقية في سوريا")',
        ]
        if any(facts.context.get(k) for k in ("title", "previous")):
            lines += [
                "# trained with context as the second segment: pass it as text_pair",
                'stance({"text": "أكدت واشنطن أن قواتها باقية في سوريا", "text_pair": "<title> <previous sentence>"})',
            ]
        lines += ["```"]
    lines += ["", "### With the Auto classes", "", "```python", "import torch"]
    if facts.task == "ner":
        lines += [
            "from transformers import AutoModelForTokenClassification, AutoTokenizer",
            "",
            f'tokenizer = AutoTokenizer.from_pretrained("{model}")',
            f'model = AutoModelForTokenClassification.from_pretrained("{model}").eval()',
            'words = "قالت وزارة الدفاع الأميركية إن 900 جندي ما زالوا في سوريا".split()',
            'enc = tokenizer(words, is_split_into_words=True, truncation=True, return_tensors="pt")',
            "with torch.no_grad():",
            "    predicted = model(**enc).logits[0].argmax(-1).tolist()",
            "tags, seen = [], set()",
            "for position, word_id in enumerate(enc.word_ids()):",
            "    if word_id is not None and word_id not in seen:  # the first sub-word carries the word's tag",
            "        seen.add(word_id)",
            "        tags.append((words[word_id], model.config.id2label[predicted[position]]))",
            "print(tags)",
        ]
    else:
        lines += [
            "from transformers import AutoModelForSequenceClassification, AutoTokenizer",
            "",
            f'tokenizer = AutoTokenizer.from_pretrained("{model}")',
            f'model = AutoModelForSequenceClassification.from_pretrained("{model}").eval()',
            'enc = tokenizer("أكدت واشنطن أن قواتها باقية في سوريا", return_tensors="pt", truncation=True)',
            "with torch.no_grad():",
            "    probs = model(**enc).logits.softmax(-1)[0]",
            "print({model.config.id2label[i]: round(float(p), 3) for i, p in enumerate(probs)})",
        ]
    lines += [
        "```",
        "",
        "### With arastance (offsets into the raw text)",
        "",
        "```bash",
        "pip install -e .   # in a clone of the arastance project",
        f"arastance predict --{facts.task} {model if facts.repo_id is None else 'LOCAL_COPY'} article.txt",
        "```",
        "",
        "One JSON line per document: `entities` (`start`, `end`, `label`, `score`, `text`; QUANTITY adds `value`, "
        "`unit`), `sentences` (`start`, `end`, `stance`, `scores`) and `doc_stance`, with offsets into the "
        "original, un-normalised text. It reads `training_config.yaml` from this folder for the normalisation, "
        "windowing and stance context used in training."
        + (" (Download the folder first: `huggingface-cli download " + facts.repo_id + " --local-dir LOCAL_COPY`.)" if facts.repo_id else ""),
    ]
    return "\n".join(lines)


def _reproduce(facts: CardFacts) -> str:
    t = facts.trainer
    lines = [
        "## How to reproduce",
        "",
        "This folder holds the resolved training configuration (`training_config.yaml`) and the metrics "
        "(`metrics.json`). In a clone of the arastance project:",
        "",
        "```bash",
        "make setup",
        "# exactly this configuration:",
        ".venv/bin/python -m arastance.train --config-dir /path/to/this/folder --config-name training_config "
        "run_dir=outputs/reproduce hydra.run.dir=outputs/reproduce",
    ]
    if facts.train_overrides is not None:
        lines += ["# or, as it was launched:", ".venv/bin/python -m arastance.train " + " ".join(_shell_quote(o) for o in facts.train_overrides)]
    lines += [
        "make evaluate RUN=outputs/reproduce            # report/metrics.json with bootstrap intervals",
        ".venv/bin/arastance publish outputs/reproduce --out published"
        + (f" --fold {facts.published_fold.split('-')[-1]}" if facts.published_fold and not facts.scores_from_other_run else "")
        + (" --scores-from <the cross-validation run>" if facts.scores_from_other_run else ""),
        "```",
    ]
    if facts.scores_from_other_run:
        lines += ["", f"The scores come from the cross-validation run `{facts.scores_source}` (same task and model settings)."]
    docs = [d.doc_id for d in facts.documents]
    if facts.is_cv and not facts.scores_from_other_run:
        all_docs = ",".join(docs) if docs else "<all document ids>"
        lines += [
            "",
            "A final model on all five documents, with the same settings, published with the cross-validated scores "
            "of this configuration. Without a dev document there is no early stopping: it trains for the configured "
            "epochs/steps and keeps the last model, where each fold kept its best dev step.",
            "",
            "```bash",
            ".venv/bin/python -m arastance.train --config-dir /path/to/this/folder --config-name training_config "
            f"data.split=fixed 'data.train_docs=[{all_docs}]' 'data.dev_docs_ids=[]' 'data.test_docs=[]' "
            f"run_dir=outputs/final-{facts.task} hydra.run.dir=outputs/final-{facts.task}",
            f".venv/bin/arastance publish outputs/final-{facts.task} --scores-from outputs/reproduce --out published",
            "```",
        ]
    lines += [
        "",
        "| setting | value |",
        "|---|---|",
        f"| base model | {('`' + facts.base_model + '`') if facts.base_model else 'tiny random-init BERT (test model)'} |",
        f"| normalisation | `{facts.normalization}` |",
        f"| max length / window overlap | {facts.max_length} / {facts.stride} sub-words |",
        f"| learning rate | {t.get('learning_rate')} |",
        f"| epochs / max steps | {t.get('num_epochs')} / {t.get('max_steps') or '–'} |",
        f"| batch | token budget {t.get('max_tokens')} (max {t.get('max_rows')} rows) |",
        f"| precision | {t.get('precision')} |",
        f"| seed | {facts.seed} |",
    ]
    return "\n".join(lines)


def _shell_quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)
