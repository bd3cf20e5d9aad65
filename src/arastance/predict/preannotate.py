"""Model predictions → Label Studio tasks with `predictions`, for annotators to correct.

The result items are built by annotation.labelstudio.document_to_task (the exporter), from a GoldDocument
made of the predictions, so they have exactly the from_name/to_name/type/value shapes of the labeling
config (`arastance gold labelstudio-config`) and of the importer: a corrected task exported from Label
Studio comes back with `arastance gold import`. What a model cannot predict is left for the
annotator: with no stance model, sentence regions carry no stance choice and there is no document
stance; holders are the rule method's (holders/rules.py), as `arastance predict` writes them.

Each region result also carries the model's `score` (Label Studio shows it and can sort by the
task-level `score`, the mean over regions, so the least confident tasks can be corrected first).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from arastance.annotation.labelstudio import DOC_STANCE, ENTITIES, STANCE, document_to_task
from arastance.gold.io import DOC_ID
from arastance.gold.model import GoldDocument, Holder, Sentence
from arastance.schema import Schema


def doc_id_for(source: str, text: str) -> str:
    """The file's stem when it is a valid doc_id (re-annotating `000_1de9….txt` keeps its id), else
    `<cleaned stem>_<hash of the text>` (`stdin_<hash>` for stdin): stable, file-safe ids."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    if source == "-":
        return f"stdin_{digest}"
    stem = Path(source).stem
    if DOC_ID.fullmatch(stem):
        return stem
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("._-") or "doc"
    return f"{cleaned}_{digest}"


def predicted_document(doc_id: str, text: str, result: dict[str, Any], schema: Schema) -> GoldDocument:
    """A GoldDocument holding the predictions (predict_documents' result for one text)."""
    from arastance.gold.convert import entity_at
    from arastance.predict.documents import raw_sentence_records

    entities = tuple(entity_at(text, e["start"], e["end"], e["label"], schema) for e in result.get("entities") or [])
    if result.get("sentences") is not None:
        sentences = tuple(
            Sentence(s["start"], s["end"], s["stance"], _holder(s.get("holder"))) for s in result["sentences"]
        )
    else:
        # No stance model: the sentence regions are still needed (the importer builds sentences from
        # them); their stance is left for the annotator.
        sentences = tuple(
            Sentence(r["offsets"][0][0], r["offsets"][-1][1], "") for r in raw_sentence_records(doc_id, text)
        )
    return GoldDocument(doc_id, text, result.get("doc_stance") or "", entities, sentences, schema.version)


def _holder(raw: dict[str, Any] | None) -> Holder | None:
    return Holder(int(raw["start"]), int(raw["end"]), str(raw["text"])) if raw else None


def _region_scores(result: dict[str, Any]) -> dict[str, float]:
    """Region id → model score, with the ids document_to_task gives (e<i> by (start, end), s<j> by start)."""
    scores: dict[str, float] = {}
    entities = sorted(result.get("entities") or [], key=lambda e: (e["start"], e["end"]))
    for i, e in enumerate(entities):
        scores[f"e{i}"] = float(e["score"])
    for j, s in enumerate(sorted(result.get("sentences") or [], key=lambda s: s["start"])):
        scores[f"s{j}"] = float(max(s["scores"].values()))
    return scores


def _unpredicted(item: dict[str, Any]) -> bool:
    """A choice the model did not make (empty stance): left out so the annotator must choose."""
    if item["from_name"] not in (STANCE, DOC_STANCE):
        return False
    return item["value"].get("choices") in ([""], [])


def prediction_task(doc: GoldDocument, result: dict[str, Any], model_version: str) -> dict[str, Any]:
    """One Label Studio task whose only content besides the text is a prediction."""
    exported = document_to_task(doc, doc.schema_version or "")
    items = [item for item in exported["annotations"][0]["result"] if not _unpredicted(item)]
    scores = _region_scores(result)
    for item in items:
        if item["from_name"] in (ENTITIES, STANCE) and item["id"] in scores:
            item["score"] = round(scores[item["id"]], 4)
    prediction: dict[str, Any] = {"model_version": model_version, "result": items}
    if scores:
        prediction["score"] = round(sum(scores.values()) / len(scores), 4)
    task = {"data": exported["data"], "predictions": [prediction]}
    if result.get("warnings"):
        task["meta"] = {"warnings": list(result["warnings"])}  # shown in Label Studio's task info
    return task


def preannotation_tasks(
    sources: Sequence[str], texts: Sequence[str], results: Sequence[dict[str, Any]], schema: Schema, model_version: str
) -> list[dict[str, Any]]:
    """Tasks for documents and their predictions; refuses two documents with the same doc_id."""
    from arastance.errors import UserError

    tasks: list[dict[str, Any]] = []
    seen: dict[str, str] = {}  # doc_id → the source that took it
    for source, text, result in zip(sources, texts, results, strict=True):
        doc_id = doc_id_for(source, text)
        if doc_id in seen:
            raise UserError(f"{source} and {seen[doc_id]} would both be document {doc_id}; rename one")
        seen[doc_id] = source
        tasks.append(prediction_task(predicted_document(doc_id, text, result, schema), result, model_version))
    return tasks
