"""The dataset card (README.md with Hub metadata) of the gold dataset folder: pure functions of their inputs.

The figures come from the gold itself (`gold/stats.py`), the label definitions from schema.yaml and
the agreement section verbatim from annotations/adjudication.md, so the card cannot drift from them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from arastance.annotation.dataset import CONFIGS, DEFAULT_CONFIG, SPLIT, data_file
from arastance.schema import Schema

AGREEMENT_HEADING = "## Agreement before adjudication"


def section(markdown: str, heading: str) -> str:
    """The body of one `## ` section of a markdown text (without its heading), or "" when absent."""
    match = re.search(rf"^{re.escape(heading)}\s*$(?P<body>.*?)(?=^## |\Z)", markdown, flags=re.M | re.S)
    return match["body"].strip() if match else ""


def headings(markdown: str) -> list[str]:
    return [line[3:].strip() for line in markdown.splitlines() if line.startswith("## ")]


def front_matter(built: Mapping[str, Any], schema: Schema, pretty_name: str) -> str:
    """Hub metadata: configs with their data files, features per config (dataset_info), tags."""
    import datasets
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    card_data = DatasetCardData(
        pretty_name=pretty_name,
        language=["ar"],
        license="other",
        license_name="unknown-texts",
        license_details=(
            "Annotations: Apache-2.0 (the arastance repository). Texts: news articles whose licence is unknown."
        ),
        task_categories=["token-classification", "text-classification"],
        task_ids=["named-entity-recognition"],
        size_categories=["n<1K"],
        tags=["arabic", "ner", "stance-detection", "news", "syria", "arastance"],
    )
    MetadataConfigs(
        {
            name: {
                "data_files": [{"split": SPLIT, "path": data_file(name)}],
                **({"default": True} if name == DEFAULT_CONFIG else {}),
            }
            for name in CONFIGS
        }
    ).to_dataset_card_data(card_data)
    infos = {
        name: datasets.DatasetInfo(
            features=dataset.features,
            config_name=name,
            splits=[{"name": SPLIT, "num_examples": len(dataset)}],
        )
        for name, dataset in built.items()
    }
    datasets.info.DatasetInfosDict(infos).to_dataset_card_data(card_data)
    return card_data.to_yaml()


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_card(
    built: Mapping[str, Any],
    stats: Mapping[str, Any],
    schema: Schema,
    guidelines: str,
    adjudication: str,
    words: int,
    pretty_name: str = "arastance gold: Arabic news NER + stance toward the US military presence in Syria",
) -> str:
    entities = stats["entities"]
    stance = stats["stance"]
    tokens = sum(len(t) for t in built["sentences"]["tokens"])
    agreement = section(adjudication, AGREEMENT_HEADING) or "_annotations/adjudication.md has no agreement section._"
    label_rows = [
        f"| {label} | {entities['per_label'].get(label, 0)} | {_cell(schema.definitions.get(label, ''))} |"
        for label in schema.entity_labels
    ]
    stance_rows = [
        f"| {label} | {stance['sentences'].get(label, 0)} | {stance['documents'].get(label, 0)} | "
        f"{_cell(schema.definitions.get(label, ''))} |"
        for label in schema.stance_classes
    ]
    parts: list[str] = [
        "---",
        front_matter(built, schema, pretty_name).rstrip("\n"),
        "---",
        "",
        f"# {pretty_name}",
        "",
        f"{stats['documents']} Arabic news articles ({stats['sentences']} sentences, {words:,} words; {tokens:,} "
        f"tokens with punctuation) annotated with named entities ({entities['total']} mentions, "
        f"{len(schema.entity_labels)} labels) and, per sentence, the stance toward "
        f"**{schema.stance_target.rstrip('.')}** with its holder. Schema version {schema.version}. Made with the "
        "arastance repository (`arastance gold dataset`); the files `schema.yaml`, `guidelines.md` and "
        "`adjudication.md` in this folder are the ones the annotators used.",
        "",
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset",
        f'sentences = load_dataset("DIR_OR_REPO")["{SPLIT}"]               # default configuration: one row per '
        "sentence",
        f'documents = load_dataset("DIR_OR_REPO", "documents")["{SPLIT}"]  # one row per document, standoff '
        "annotations",
        'tags = sentences.features["ner_tags"].feature.names            # O, B-PER, I-PER, ... (the models\' id2label '
        "order)",
        "```",
        "",
        "## Configurations",
        "",
        f"Both have one split, `{SPLIT}`: the gold is too small for a fixed test split and is evaluated by "
        "leave-one-document-out cross-validation over `doc_id` (what `arastance` does); never split sentences "
        "of one document between training and evaluation.",
        "",
        "| configuration | rows | fields |",
        "|---|---:|---|",
        f"| `sentences` (default) | {len(built['sentences'])} | `doc_id`, `sentence_id` (index in the document), "
        "`tokens` (words as `arastance.corpus.segment.tokenize_words` splits them), `offsets` (`[start, end]` of each "
        "token in the document text), `ner_tags` (IOB2, ClassLabel), `stance` (ClassLabel), `holder` (`{start, end, "
        "text}` in the document text, or null for the article's own voice) |",
        f"| `documents` | {len(built['documents'])} | `doc_id`, `text` (the raw article, byte-identical to the "
        "source), `doc_stance` (ClassLabel), `entities` (`start`, `end`, `label` ClassLabel, `text`; QUANTITY also "
        "`value`, `unit`, `approximate`, null on other labels), `sentences` (`start`, `end`, `stance`, `holder`) |",
        "",
        "## Label schema",
        "",
        "| entity label | mentions | definition |",
        "|---|---:|---|",
        *label_rows,
        "",
        f"Stance target: {schema.stance_target}",
        "",
        "| stance | sentences | documents | definition |",
        "|---|---:|---:|---|",
        *stance_rows,
        "",
        f"{stats['holders']['total']} sentences name a stance holder; the others voice the article itself.",
        "",
        "## Annotation guidelines (summary)",
        "",
        "`guidelines.md` decides the hard cases, each rule with a corpus example. Its sections: "
        + "; ".join(headings(guidelines))
        + ". The rules that shape the data most:",
        "",
        "- spans start and end on word boundaries; attached proclitics (و ف ب ل ك) stay inside the span, titles and "
        "quotation marks stay outside (`الرئيس دونالد ترامب` → PER `دونالد ترامب`);",
        "- a country's forces or government named with its adjective is one ORG (`القوات الأمريكية`, `النظام السوري`); "
        "a nationality adjective on a generic noun is NORP alone; a capital standing for its government is GPE;",
        "- QUANTITY is a number with the noun it counts (`900 جندي`), approximators outside; it carries `value`, "
        "`unit`, `approximate`;",
        "- every sentence has one stance and a holder (the actor who voices it, or null); the document stance is "
        "annotated, not computed.",
        "",
        "## How it was made",
        "",
        "Two annotators annotated every document independently from the schema and the guidelines; each "
        "disagreement was adjudicated against the guidelines (`adjudication.md` lists them all) and the gold "
        "checked by `arastance gold validate` (offsets, word boundaries, labels, holders inside their sentence, "
        "sentences covering the text).",
        "",
        "### Agreement before adjudication",
        "",
        agreement,
        "",
        "## Licence",
        "",
        "The annotations are part of the arastance repository (Apache-2.0). **The licence of the texts is "
        "unknown**: they are news articles reproduced for research; their copyright stays with their "
        "publishers. Check before redistributing the `text` field or training a model you publish on it.",
        "",
        "## Limitations",
        "",
        f"- {stats['documents']} documents on one topic: far too few to train a general Arabic NER or stance model, "
        "and scores measured on them have wide confidence intervals.",
        f"- The classes are unbalanced: {_smallest(stance['sentences'])}; "
        f"{_smallest(entities['per_label'])} entity mentions.",
        "- Modern Standard Arabic news only; no dialect, no social media.",
        "- Tokens are the project's word segmentation, not a morphological one: a proclitic stays attached, so "
        "`وسوريا` is one token tagged GPE.",
        "",
    ]
    return "\n".join(parts)


def _smallest(counts: Mapping[str, int]) -> str:
    label, n = min(counts.items(), key=lambda item: item[1])
    return f"{label} has {n}"
