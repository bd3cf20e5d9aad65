"""`arastance preannotate FILE ... [--ner DIR] [--stance DIR] --out tasks.json`: Label Studio tasks
whose `predictions` an annotator corrects (import them into a project set up with
`arastance gold labelstudio-config`; bring the corrected export back with `arastance gold import`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from arastance.errors import UserError
from arastance.predict.cli import (
    add_model_arguments,
    chunks,
    expand_inputs,
    load_models,
    print_warnings,
    progress_bar,
    read_source,
)
from arastance.runs.state import path_argument
from arastance.writer import refuse_overwriting_inputs, write_text

if TYPE_CHECKING:
    import numpy as np


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "preannotate",
        help="Label Studio tasks pre-filled with model predictions, for annotators to correct",
        description=(
            "Write Label Studio tasks whose `predictions` hold the models' entities, sentence stances and document "
            "stance. Import them into a project set up with `arastance gold labelstudio-config`, correct them, export "
            "as JSON and bring the export back with `arastance gold import`."
        ),
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="text files, one document each (folders: their *.txt; `-`: stdin)"
    )
    add_model_arguments(p)
    p.add_argument(
        "--out", type=path_argument, required=True, metavar="TASKS.json", help="the Label Studio tasks file to write"
    )
    p.add_argument("--model-version", help="Label Studio model_version (default: model folder names and weight hashes)")
    p.add_argument("--batch-docs", type=int, default=32, metavar="N", help="documents predicted together (default 32)")
    p.add_argument(
        "--rank",
        choices=("input", "uncertainty"),
        default="input",
        help="task order: as given (default), or most uncertain first — mean word tag entropy (NER) and low "
        "top-two margin (stance), mean of the two, written to each task's meta.uncertainty",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from arastance.models.loading import quiet_libraries
    from arastance.predict.documents import predict_documents_with_word_probabilities
    from arastance.predict.preannotate import preannotation_tasks
    from arastance.predict.uncertainty import document_uncertainty, rank_by_uncertainty

    if args.batch_docs < 1:
        raise UserError("--batch-docs must be at least 1")
    sources = expand_inputs(args.files)
    refuse_overwriting_inputs(args.out, sources)
    # Every file is read before any prediction: a typo in the 200th name should not cost the first 199.
    texts = [read_source(s) for s in sources]
    quiet_libraries()
    ner, stance = load_models(args)
    schema = (ner or stance).schema
    if ner is not None and stance is not None and ner.schema.version != stance.schema.version:
        raise UserError(f"the NER model uses schema {ner.schema.version}, the stance model {stance.schema.version}")
    version = args.model_version or "+".join(m.version for m in (ner, stance) if m is not None)
    results = []
    uncertainties = []
    bar = progress_bar(len(sources), "preannotate")
    for batch in chunks(texts, args.batch_docs):
        batch_results, word_probs = predict_documents_with_word_probabilities(batch, ner, stance)
        if args.rank == "uncertainty":
            probs: Sequence[Sequence[np.ndarray] | None] = [None] * len(batch) if word_probs is None else word_probs
            uncertainties += [document_uncertainty(w, r) for w, r in zip(probs, batch_results, strict=True)]
        results += batch_results
        bar.update(len(batch))
    bar.close()
    for source, result in zip(sources, results, strict=True):
        print_warnings("arastance preannotate", source, result)
    tasks = preannotation_tasks(sources, texts, results, schema, version)
    if args.rank == "uncertainty":
        tasks = rank_by_uncertainty(tasks, uncertainties)
    content = json.dumps(tasks, ensure_ascii=False, indent=1) + "\n"
    write_text(args.out, content)  # a reader (or Label Studio) never sees half a file
    n_entities = sum(1 for t in tasks for r in t["predictions"][0]["result"] if r["from_name"] == "entities")
    if args.rank == "uncertainty" and tasks:
        print(
            f"ranked most uncertain first: meta.uncertainty {tasks[0]['meta']['uncertainty']} … "
            f"{tasks[-1]['meta']['uncertainty']}",
            file=sys.stderr,
        )
    print(
        f"wrote {len(tasks)} tasks ({n_entities} predicted entities, model_version {version}) to {args.out}.\n"
        "Label Studio: create a project with the labeling config of `arastance gold labelstudio-config`, import this "
        "file, correct the predictions, export as JSON, then `arastance gold import EXPORT.json`.",
        file=sys.stderr,
    )
    return 0
