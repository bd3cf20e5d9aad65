"""`arastance publish RUN_DIR --out DIR [--fold K] [--scores-from CV_RUN] [--push --repo-id ID]`."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from arastance.errors import UserError
from arastance.models.model_config import check_model_config
from arastance.paths import schema_path
from arastance.publish.card import render_card
from arastance.publish.package import card_facts, locate_run, metrics_payload, write_package
from arastance.runs.state import path_argument
from arastance.schema import SchemaError, load_schema
from arastance.tasks import TaskSpec, get_task

ONNX_DEFAULT_VARIABLE = "ARASTANCE_PUBLISH_ONNX"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "publish",
        help="package a training run for plain transformers users, with a model card",
        description=(
            "Write DIR with the run's best model and tokenizer (save_pretrained), training_config.yaml, "
            "metrics.json, schema.yaml and a model card README.md with Hub metadata; optionally upload it."
        ),
    )
    p.add_argument(
        "run_dir",
        type=path_argument,
        metavar="RUN_DIR",
        help="a training run folder (holds config.yaml and best/ or fold-K/)",
    )
    p.add_argument(
        "--out",
        type=path_argument,
        required=True,
        metavar="DIR",
        help="the folder to write (replaced if an earlier publish wrote it)",
    )
    p.add_argument(
        "--fold", type=int, metavar="K", help="cross-validation run: publish fold-K's model (default: fold 0)"
    )
    p.add_argument(
        "--scores-from",
        type=path_argument,
        metavar="CV_RUN",
        help="report the scores of this cross-validation run (same task and model config), e.g. for a final model "
        "trained on all documents",
    )
    p.add_argument(
        "--onnx",
        choices=("auto", "yes", "no"),
        default=os.environ.get(ONNX_DEFAULT_VARIABLE, "auto"),
        help=(
            "export onnx/ (fp32 + int8; with the openvino extra also openvino/ static int8) gated against torch on the "
            "gold, for `predict --backend auto` (auto: when onnxruntime is installed; default "
            f"${ONNX_DEFAULT_VARIABLE} or auto)"
        ),
    )
    p.add_argument("--name", help="model name in the card (default: from --repo-id, else arastance-TASK-MODEL)")
    p.add_argument(
        "--push", action="store_true", help="upload DIR to the Hugging Face Hub (uses your cached login or HF_TOKEN)"
    )
    p.add_argument("--repo-id", metavar="OWNER/NAME", help="Hub repository for --push (created if missing)")
    p.add_argument("--private", action="store_true", help="create the Hub repository as private")
    p.add_argument(
        "--verbose",
        action="store_true",
        help="show the libraries' own output (weight loading, ONNX Runtime and NNCF logs and progress bars)",
    )
    p.set_defaults(func=run)


class _FromLibrary(logging.Filter):
    """Drops records logged on the root logger by a library module (onnxruntime's quantizer logs its
    "consider pre-processing" advice with a bare `logging.warning`)."""

    def __init__(self, packages: tuple[str, ...]) -> None:
        super().__init__()
        self.parts = tuple(f"{os.sep}{name}{os.sep}" for name in packages)

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(part in record.pathname for part in self.parts)


def quiet_export_libraries() -> None:
    """Publish's default: our lines only. Transformers' weight-loading bar, ONNX Runtime's advice and
    NNCF's log and progress bars (rich, on its global console) are for --verbose."""
    from arastance.models.loading import quiet_libraries

    quiet_libraries()
    logging.getLogger().addFilter(_FromLibrary(("onnxruntime", "nncf", "openvino")))
    # A filter, not a level: NNCF sets its logger's level when it is imported, later than this.
    logging.getLogger("nncf").addFilter(lambda record: record.levelno >= logging.ERROR)
    try:
        import rich
    except ImportError:  # NNCF not installed: nothing draws with rich
        return
    rich.reconfigure(quiet=True)


def onnx_hook(choice: str, task: TaskSpec) -> Callable[[Path], None] | None:
    """The staging-folder step that exports and gates ONNX, or None (`--onnx no`, or auto without onnxruntime)."""
    from arastance.models.onnx_backend import onnx_available, require_onnx
    from arastance.publish.onnx_gate import export_and_gate, export_settings

    if choice == "no" or (choice == "auto" and not onnx_available()):
        return None
    require_onnx()
    settings = export_settings()  # checked here, before the model is copied and exported

    def export(staging: Path) -> None:
        gate = export_and_gate(staging, task, settings)
        for name, figures in gate["variants"].items():
            verdict = "passed" if figures["passed"] else "failed"
            print(
                f"onnx {name}: gate {verdict} (agreement {figures['agreement']:.4f}, {gate['score_name']} difference "
                f"{figures['score_difference']:.4f})",
                file=sys.stderr,
            )
        if not gate["variants"]:
            print(f"onnx: {gate.get('note', 'not gated')}; `--backend auto` will use torch", file=sys.stderr)

    return export


def run(args: argparse.Namespace) -> int:
    # Local: push reaches huggingface_hub through models.loading (transformers, torch), which
    # `arastance publish --help` should not wait for.
    from arastance.publish.push import check_repo_id, push_folder

    if args.push:
        check_repo_id(args.repo_id)  # before any work: a typo should not cost a publish
    if not args.verbose:
        quiet_export_libraries()
    try:
        schema_file = schema_path()
        schema = load_schema(schema_file)
    except SchemaError as err:
        raise UserError(str(err)) from err
    source = locate_run(args.run_dir, args.fold, args.scores_from)
    model_config = json.loads((source.model_dir / "config.json").read_text(encoding="utf-8"))
    spec = get_task(source.task)  # looked up once; the spec travels from here
    check_model_config(model_config, schema, spec)
    facts = card_facts(source, schema, model_config, args.repo_id, args.name)
    export = onnx_hook(args.onnx, spec)
    out = write_package(
        source, args.out, render_card(facts), metrics_payload(source, facts), schema_file, facts.max_length, export
    )
    what = f"{source.fold} of the cross-validation run" if source.fold else "the run's model"
    print(f"published {what} {source.run_dir} to {out}", file=sys.stderr)
    if source.fold:
        print(
            f"note: a CV run has one model per fold; this is {source.fold}. For a model to use, train one on all "
            "documents and publish it with --scores-from this run (see the card's 'How to reproduce').",
            file=sys.stderr,
        )
    if args.push:
        url = push_folder(out, args.repo_id, private=args.private)
        print(f"pushed {out} to {url}", file=sys.stderr)
    return 0
