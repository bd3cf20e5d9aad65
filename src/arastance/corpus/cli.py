"""`arastance corpus convert`: a public NER corpus onto our schema, as the gold's IOB2 sentence records.

    arastance corpus convert --format conll --label-map configs/corpus/anercorp.yaml ANERCorp.txt --out anercorp.jsonl
    arastance corpus convert --format conll --label-map configs/corpus/anercorp.yaml --native-labels \
        ANERCorp_CamelLab_test.txt --out test.jsonl     (the corpus's own labels, for its published figures)
    arastance corpus convert --format hf --dataset NAME_OR_FOLDER [--split train] --label-map MAP --out OUT.jsonl

Counts per source type (mentions, and the label each became or `dropped`) go to stderr. On any
problem nothing is written: the output goes to a temporary file renamed into place at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from arastance.corpus.external import (
    Conversion,
    LabelMap,
    SourceSentence,
    convert_sentences,
    format_counts,
    load_label_map,
    native_label_map,
    read_conll_file,
)
from arastance.errors import UserError
from arastance.schema import load_schema
from arastance.writer import replacing

FORMATS = ("conll", "hf")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    corpus = subparsers.add_parser("corpus", help="bring public NER corpora onto the schema")
    sub = corpus.add_subparsers(dest="corpus_command", required=True, metavar="SUBCOMMAND")
    p = sub.add_parser(
        "convert",
        help="convert a CoNLL file or a Hub dataset to IOB2 sentence records through a label map",
        description=(
            "Read IOB1 or IOB2 tags, map each source type to a schema label or drop it (label map YAML), "
            "write one JSON record per sentence (doc_id, sentence_id, tokens, ner_tags, source)."
        ),
    )
    p.add_argument("inputs", nargs="*", type=Path, metavar="IN", help="CoNLL files (--format conll)")
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument("--label-map", required=True, type=Path, metavar="YAML", help="e.g. configs/corpus/anercorp.yaml")
    p.add_argument("--out", required=True, type=Path, metavar="OUT.jsonl")
    p.add_argument(
        "--native-labels",
        action="store_true",
        help="keep the corpus's own types (the map's native_labels) instead of mapping them onto the schema",
    )
    p.add_argument("--strict-iob2", action="store_true", help="an I-X that does not continue an X entity is an error")
    p.add_argument("--dataset", metavar="NAME", help="--format hf: Hub dataset id or a local dataset folder")
    p.add_argument("--config", dest="dataset_config", metavar="NAME", help="--format hf: the dataset's configuration")
    p.add_argument("--split", default="train", help="--format hf: split to read (default: train)")
    p.add_argument("--tokens-column", default="tokens", help="--format hf (default: tokens)")
    p.add_argument("--tags-column", default="ner_tags", help="--format hf (default: ner_tags)")
    p.set_defaults(func=cmd_convert)


def _sentences(args: argparse.Namespace, label_map: LabelMap) -> list[SourceSentence]:
    if args.format == "conll":
        if not args.inputs or args.dataset:
            raise UserError("--format conll takes one or more CoNLL files (and no --dataset)")
        return [s for path in args.inputs for s in read_conll_file(path, _source_for(label_map, path, args.inputs))]
    if args.inputs or not args.dataset:
        raise UserError("--format hf takes --dataset NAME (and no input files)")
    from arastance.corpus.hf import dataset_sentences, load_split

    dataset = load_split(args.dataset, args.split, args.dataset_config)
    return dataset_sentences(dataset, args.dataset, args.split, label_map.source, args.tokens_column, args.tags_column)


def _source_for(label_map: LabelMap, path: Path, inputs: list[Path]) -> str:
    """Document ids are `<source>-<n>`; with several files each file's stem keeps them apart."""
    return label_map.source if len(inputs) == 1 else f"{label_map.source}-{path.stem}"


def write_records_atomically(conversion: Conversion, out: Path) -> None:
    """JSON lines into a temporary file beside `out`, renamed into place: a failure leaves no output."""
    with replacing(out) as handle:
        for record in conversion.records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def cmd_convert(args: argparse.Namespace) -> int:
    label_map = load_label_map(args.label_map, load_schema())
    if args.native_labels:
        label_map = native_label_map(label_map)
    conversion = convert_sentences(_sentences(args, label_map), label_map, args.strict_iob2)
    write_records_atomically(conversion, args.out)
    sys.stderr.write(format_counts(conversion, label_map))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0
