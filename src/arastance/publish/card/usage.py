"""The card's sections for users: how to use the model (pipeline, Auto classes, arastance) and how to reproduce it."""

from __future__ import annotations

from arastance.publish.card.facts import CardFacts
from arastance.publish.card.text import shell_quote
from arastance.tasks import get_task


def how_to_use_section(facts: CardFacts) -> str:
    model = facts.repo_id or "path/to/this/folder"
    lines = ["## How to use", "", "### Normalise the input first", ""]
    lines += _normalise_first()
    lines += _pipeline_example(facts, model)
    lines += _auto_classes_example(facts, model)
    lines += _arastance_example(facts, model)
    return "\n".join(lines)


def _normalise_first() -> list[str]:
    return [
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
    ]


def _pipeline_example(facts: CardFacts, model: str) -> list[str]:
    lines = [
        "### With a `transformers` pipeline",
        "",
        "```python",
        "from transformers import pipeline",
    ]
    if get_task(facts.task).per_word:
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
    return lines


def _auto_classes_example(facts: CardFacts, model: str) -> list[str]:
    lines = ["", "### With the Auto classes", "", "```python", "import torch"]
    if get_task(facts.task).per_word:
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
    return [*lines, "```"]


def _arastance_example(facts: CardFacts, model: str) -> list[str]:
    return [
        "",
        "### With arastance (offsets into the raw text)",
        "",
        "```bash",
        "pip install -e .   # in a clone of the arastance project",
        f"arastance predict --{facts.task} {model if facts.repo_id is None else 'LOCAL_COPY'} article.txt",
        "```",
        "",
        "One JSON line per document: `entities` (`start`, `end`, `label`, `score`, `text`; QUANTITY adds `value`, "
        "`unit` and `approximate`), `sentences` (`start`, `end`, `stance`, `scores`, `holder`) and `doc_stance`, with "
        "offsets into the original, un-normalised text. It reads `training_config.yaml` from this folder for the "
        "normalisation, windowing and stance context used in training."
        + (
            " (Download the folder first: `hf download " + facts.repo_id + " --local-dir LOCAL_COPY`.)"
            if facts.repo_id
            else ""
        ),
    ]


def reproduce_section(facts: CardFacts) -> str:
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
        lines += [
            "# or, as it was launched:",
            ".venv/bin/python -m arastance.train " + " ".join(shell_quote(o) for o in facts.train_overrides),
        ]
    lines += [
        "make evaluate RUN=outputs/reproduce            # report/metrics.json with bootstrap intervals",
        ".venv/bin/arastance publish outputs/reproduce --out published"
        + (
            f" --fold {facts.published_fold.split('-')[-1]}"
            if facts.published_fold and not facts.scores_from_other_run
            else ""
        )
        + (" --scores-from <the cross-validation run>" if facts.scores_from_other_run else ""),
        "```",
    ]
    if facts.scores_from_other_run:
        lines += [
            "",
            f"The scores come from the cross-validation run `{facts.scores_source}` (same task and model settings).",
        ]
    if facts.is_cv and not facts.scores_from_other_run:
        lines += _final_model(facts)
    lines += _settings_table(facts)
    return "\n".join(lines)


def _final_model(facts: CardFacts) -> list[str]:
    """How to train one model on all documents and publish it with this run's cross-validated scores."""
    docs = [d.doc_id for d in facts.documents]
    all_docs = ",".join(docs) if docs else "<all document ids>"
    return [
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


def _settings_table(facts: CardFacts) -> list[str]:
    t = facts.trainer
    return [
        "",
        "| setting | value |",
        "|---|---|",
        "| base model | "
        f"{('`' + facts.base_model + '`') if facts.base_model else 'tiny random-init BERT (test model)'} |",
        f"| normalisation | `{facts.normalization}` |",
        f"| max length / window overlap | {facts.max_length} / {facts.stride} sub-words |",
        f"| learning rate | {t.learning_rate} |",
        f"| epochs / max steps | {t.num_epochs} / {t.max_steps or '–'} |",
        f"| batch | token budget {t.max_tokens} (max {t.max_rows} rows) |",
        f"| precision | {t.precision} |",
        f"| seed | {facts.seed} |",
    ]
