"""The card's sections about the model: title, intended use, label schema, scores, training data, limitations."""

from __future__ import annotations

from arastance.evaluation.test_sets import absent_labels_line
from arastance.publish.card.facts import CardFacts
from arastance.publish.card.scores import total_support
from arastance.publish.card.text import doc_ids, fmt_ci, fmt_score, table_cell
from arastance.tasks import get_task


def title_section(facts: CardFacts) -> str:
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
    if get_task(facts.task).per_word:
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
            f"(trained on {doc_ids((facts.split or {}).get('train'))}, dev {doc_ids((facts.split or {}).get('dev'))}, "
            f"tested on {doc_ids((facts.split or {}).get('test'))}). The scores below are of all folds' models, "
            "pooled. For a model to use, train one final model on all documents (see *How to reproduce*) and publish "
            "that with `--scores-from` this cross-validation run.",
            "",
        ]
    return "\n".join(lines)


def intended_use_section(facts: CardFacts) -> str:
    if get_task(facts.task).per_word:
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
            + (
                "stance towards any other target (the classes only make sense for this one)."
                if not get_task(facts.task).per_word
                else "nested entities, entity linking, relations."
            ),
        ]
    )


def schema_section(facts: CardFacts) -> str:
    schema = facts.schema
    lines = [
        "## Label schema",
        "",
        f"Schema version {schema.version} (`annotations/schema.yaml`, the project's single source of truth).",
        "",
    ]
    if get_task(facts.task).per_word:
        lines += ["| label | definition |", "|---|---|"]
        lines += [f"| {label} | {table_cell(schema.definitions.get(label, ''))} |" for label in schema.entity_labels]
        lines += [
            "",
            "The model predicts one IOB2 tag per word, `config.json` `id2label`: "
            f"{', '.join(f'`{t}`' for t in schema.iob_tags)}. Only the first sub-word of each word was trained (the "
            "others are ignored by the loss): `arastance predict` "
            'reads each word\'s tag from its first sub-word; a pipeline with `aggregation_strategy="simple"` uses '
            'every sub-word\'s own guess, `"first"` is closer to training. QUANTITY entities get a normalised '
            "`value`, `unit` and `approximate` flag from `arastance predict` (rules in the annotation guidelines).",
        ]
    else:
        lines += [f"Target: *{schema.stance_target}*", "", "| class | definition |", "|---|---|"]
        lines += [f"| {label} | {table_cell(schema.definitions.get(label, ''))} |" for label in schema.stance_classes]
        context = [name for name in ("title", "previous") if facts.context.get(name)]
        lines += [""]
        if context:
            what = " and ".join(
                {"title": "the article's title", "previous": "the previous sentence"}[c] for c in context
            )
            lines.append(
                f"Each sentence was encoded with {what} as the second segment (`text_pair`), when it fits in "
                f"{facts.max_length} sub-words."
            )
        if facts.doc_aggregation:
            lines.append(
                f"The document stance is derived from the sentence predictions by `{facts.doc_aggregation}`"
                + doc_stance_rule(facts.doc_aggregation, facts.doc_threshold)
                + "; `arastance predict` reports it as `doc_stance`."
            )
    return "\n".join(lines)


def doc_stance_rule(aggregation: str, threshold: float | None) -> str:
    """How `aggregation` (configs/task/stance.yaml, features/predictions.py) picks a document stance, ties included."""
    if aggregation == "majority_non_none":
        return (
            ": the most frequent non-NONE sentence stance; a tie between classes goes to the class with the larger "
            "probability summed over the document's sentences (still equal: the one predicted first in the document); "
            "NONE when no sentence has a stance"
        )
    if aggregation == "mean_prob":
        below = f"below {threshold:g}" if threshold is not None else "below the threshold"
        return (
            ": the non-NONE class with the highest mean sentence probability (equal means: the first class in "
            f"schema.yaml's order); NONE when that mean is {below}"
        )
    return ""


def scores_section(facts: CardFacts) -> str:
    lines = ["## Scores", ""]
    if total_support(facts.rows) == 0:
        lines += [
            "**This model has no scores of its own**: it was trained without held-out documents. Publish it with "
            "`--scores-from <cross-validation run>` to report the cross-validated scores of the same configuration.",
        ]
        return "\n".join(lines)
    lines += _scores_provenance(facts)
    unit = "entities (strict IOB2: exact span and label)" if get_task(facts.task).per_word else "sentences"
    lines += ["", f"Per label, counted over {unit}; support is the number of gold {unit.split(' ')[0]}.", ""]
    lines += _per_label_table(facts)
    lines += ["", f"| summary | value | {facts.ci_confidence:.0%} CI |", "|---|---|---|"]
    lines += [f"| {h.name} | {h.value:.3f} | {fmt_ci(h.ci)} |" for h in facts.headlines]
    if facts.baseline:
        lines += ["", facts.baseline]
    if facts.own_test:
        lines += [
            "",
            f"The published {facts.published_fold} model alone, on its own test document: "
            + ", ".join(f"{k} {v:.3f}" for k, v in facts.own_test.items())
            + ".",
        ]
    return "\n".join(lines)


def test_sets_section(facts: CardFacts) -> str:
    """The model on a corpus's own test split, under the corpus's name and apart from the gold scores."""
    lines = []
    for source, block in facts.test_sets.items():
        m, ci = block["ner"], block["ci"]
        lines += [
            f"## Scores on the {source} test set",
            "",
            f"{block['sentences']} sentences of the corpus's own test split, never trained on and not part of the "
            f"scores above. Strict IOB2 entities, {facts.ci_confidence:.0%} bootstrap intervals over its sentences.",
            "",
            f"| label | precision | recall | F1 | {facts.ci_confidence:.0%} CI | support |",
            "|---|---|---|---|---|---|",
        ]
        for label, row in m["per_label"].items():
            interval = (ci["per_label"].get(label) or {}).get("f1")
            pair = (interval["low"], interval["high"]) if interval else None
            lines.append(
                f"| {table_cell(label)} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} "
                f"| {fmt_ci(pair)} | {row['support']} |"
            )
        micro = ci["micro"]["f1"]
        lines += [
            "",
            f"Micro-F1 {m['micro']['f1']:.3f} {fmt_ci((micro['low'], micro['high']))}, "
            f"macro-F1 {m['macro']['f1']:.3f}, conlleval micro-F1 {m['conlleval']['micro']['f1']:.3f}.",
            "",
        ]
        if absent := absent_labels_line(block):
            lines += [absent, ""]
    return "\n".join(lines)


def _scores_provenance(facts: CardFacts) -> list[str]:
    """Where the scores come from, on which documents, and what their intervals mean (or that there are none)."""
    how = (
        f"leave-one-document-out cross-validation ({facts.n_folds} folds): each fold's model is scored on the one "
        "document it never saw, and the predictions of all folds are pooled before scoring"
        if facts.is_cv
        else f"the held-out document(s) {doc_ids((facts.split or {}).get('test'))} of a fixed split"
    )
    lines = [f"From `{facts.scores_source}`, on {how}."]
    if facts.scores_from_other_run:
        lines += [
            "",
            "These are the scores of a cross-validation run with the same task and model configuration; the "
            "published model itself was trained on all documents and has no held-out data of its own.",
        ]
    if facts.has_ci:
        lines += [
            f"Intervals are {facts.ci_confidence:.0%} percentile-bootstrap confidence intervals from the evaluation "
            "report, resampling sentences within each document: they show sentence-to-sentence variation inside these "
            "five articles only, not how much the scores would change on other articles, so they understate the "
            "uncertainty."
        ]
    else:
        lines += [
            "No confidence intervals: the evaluation report (`make evaluate RUN=<run dir>`, written to "
            "`report/metrics.json`) was not there when this card was written. With this little data the "
            "intervals are wide; read every number below as rough."
        ]
    return lines


def _per_label_table(facts: CardFacts) -> list[str]:
    """One row per label; a per-fold F1 column when the run has fold spreads."""
    with_folds = any(r.folds for r in facts.rows)
    header = f"| label | precision | recall | F1 | F1 {facts.ci_confidence:.0%} CI | support |"
    rule = "|---|---|---|---|---|---|"
    if with_folds:
        header += " F1 per fold (mean ± std, folds) |"
        rule += "---|"
    lines = [header, rule]
    for r in facts.rows:
        row = (
            f"| {r.label} | {fmt_score(r.precision)} | {fmt_score(r.recall)} | {fmt_score(r.f1)} | {fmt_ci(r.f1_ci)} | "
            f"{r.support if r.support is not None else '–'} |"
        )
        if with_folds:
            row += f" {r.folds[0]:.3f} ± {r.folds[1]:.3f} ({r.folds[2]}) |" if r.folds else " – |"
        lines.append(row)
    return lines


def training_data_section(facts: CardFacts) -> str:
    docs = facts.documents
    lines = ["## Training data", ""]
    total_words = sum(d.words for d in docs)
    lines += [
        f"**Five documents.** The whole gold set is {len(docs) or 5} Arabic news articles"
        + (
            f" ({total_words:,} words, {sum(d.sentences for d in docs)} sentences, {sum(d.entities for d in docs)} "
            "entity mentions)"
            if docs
            else ""
        )
        + " about the US military presence in Syria, annotated independently by two annotators from written "
        "guidelines, every disagreement adjudicated (`annotations/adjudication.md`). The data is not published on the "
        "Hub.",
        "",
        "What that means: this is a very small data set"
        + (_size_in_words(facts) if docs else "")
        + ", from a handful of outlets and one topic. Labels with a support of a few dozen or less (see *Scores*) are "
        "barely learned, cross-validation test sets are single documents, and the scores would move a lot with one "
        "more document. Treat the model as a starting point for pre-annotation, not as a finished tagger.",
    ]
    lines += _beyond_the_gold(facts)
    if docs:
        lines += ["", "| document | words | sentences | entities | used by this model for |", "|---|---|---|---|---|"]
        lines += [f"| `{d.doc_id}` | {d.words} | {d.sentences} | {d.entities} | {d.role} |" for d in docs]
    return "\n".join(lines)


def _beyond_the_gold(facts: CardFacts) -> list[str]:
    """What else this model learned from: extra converted sentences, a first-stage model."""
    lines = []
    if facts.extra_data:
        sources = ", ".join(f"{name} ({count:g})" for name, count in facts.extra_data.get("extra_sources", {}).items())
        lines += [
            "",
            f"**Extra sentences.** Training also used {facts.extra_data['extra_train_sentences']:g} sentences "
            f"converted from external corpora ({sources}; `data.extra_records`), on the training side only: dev and "
            "held-out documents are gold, so the scores below are on gold documents.",
        ]
        partial = facts.extra_data.get("partial_labels") or {}
        if partial:
            named = "; ".join(f"{source}: {', '.join(labels)}" for source, labels in partial.items())
            lines.append(
                f"Their `O` words were trained as `O` or one of the labels their corpus does not annotate ({named}; "
                "`data.partial_labels`), not as `O`."
            )
    if facts.first_stage:
        lines += [
            "",
            f"**Two stages.** This model was fine-tuned on the gold from a first-stage model (`{facts.first_stage}`), "
            "itself trained on external corpora (configs/experiment/ner_two_stage_*.yaml).",
        ]
    return lines


def _size_in_words(facts: CardFacts) -> str:
    entities = sum(d.entities for d in facts.documents)
    sentences = sum(d.sentences for d in facts.documents)
    if get_task(facts.task).per_word:
        return f": {entities} entity mentions in all, a few per label for the rare ones"
    return f": {sentences} sentences in all, most of them NONE"


def limitations_section(facts: CardFacts) -> str:
    lines = [
        "## Limitations",
        "",
        "- Five training documents on one topic: expect much lower scores on other topics, outlets, dialects or "
        "social-media text; nothing here was evaluated outside the five articles.",
        f"- Inputs must be normalised as AraBERT v0.2 expects (`{facts.normalization}`): diacritics and tatweel "
        "removed, Arabic-Indic digits as ASCII, punctuation spaced. Raw text given to a plain `pipeline` is "
        "tokenised differently from training; `arastance predict` normalises per word and keeps offsets into the raw "
        "text.",
        f"- Inputs longer than {facts.max_length} sub-words are cut into overlapping windows ({facts.stride} sub-words "
        "of overlap) by `arastance predict`; a plain `pipeline` truncates or strides on its own terms.",
    ]
    if get_task(facts.task).per_word:
        lines += [
            "- Flat entities only (no nesting); entity spans are whole words (proclitics such as و/ب/ل stay inside the "
            "span when written attached, as in the guidelines).",
            "- QUANTITY `value`/`unit` are derived from the predicted span text by rules, so a wrong span gives a "
            "wrong value.",
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
