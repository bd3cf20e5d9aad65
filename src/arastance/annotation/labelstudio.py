"""Label Studio: export gold as tasks, generate the labeling config, import an export back.

Task design (one task per document; everything the gold holds round-trips):

    {"data": {"text": ..., "doc_id": ..., "schema_version": ...},
     "annotations": [{"result": [...]}]}

Results, all with to_name "text":
- an entity is a `labels` region, from_name "entities", id "e<i>",
  value {start, end, text, labels: [LABEL]};
- a QUANTITY's attributes are per-region results with the entity region's id (Label Studio's way
  of attaching controls to a region): from_name "quantity_value" (`number`, value.number),
  "quantity_unit" (`textarea`, value.text = [unit]) and "quantity_approximate" (`choices`,
  ["approximate"] or ["exact"]); each value also repeats the region's start/end;
- a sentence is a `labels` region, from_name "sentences", label SENTENCE, id "s<j>", and its stance
  a per-region `choices` result, from_name "stance", with the same id;
- a holder is a `labels` region, from_name "holder", label HOLDER, id "h<j>"; it belongs to the
  sentence region that contains it (the validator requires holders inside their sentence, so no
  relation is needed and annotators only draw a span);
- the document stance is a `choices` result without a region, from_name "doc_stance".

Import takes, per task, the latest annotation that was not cancelled (by updated_at, created_at, id),
checks `text[start:end] == value.text` for every region (Label Studio has known offset bugs with some
unicode, where the browser counts UTF-16 code units), and reports every mismatch as a Problem naming
the task id and offset instead of importing a shifted span. Two regions with one id (a hand-edited or
merged export) are a Problem too: regions are keyed by id, so one would silently be lost. A QUANTITY
without its attributes gets them from `parse_quantity`, so annotators may leave them to the tool.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from arastance.gold.io import Problem
from arastance.gold.model import QUANTITY, Entity, GoldDocument, Holder, Sentence
from arastance.gold.quantity import parse_quantity
from arastance.schema import Schema

TEXT = "text"
ENTITIES = "entities"
SENTENCES = "sentences"
SENTENCE_LABEL = "SENTENCE"
HOLDER = "holder"
HOLDER_LABEL = "HOLDER"
STANCE = "stance"
DOC_STANCE = "doc_stance"
Q_VALUE, Q_UNIT, Q_APPROX = "quantity_value", "quantity_unit", "quantity_approximate"
APPROXIMATE, EXACT = "approximate", "exact"


# --------------------------------------------------------------------------- export


def _region(region_id: str, from_name: str, start: int, end: int, text: str, label: str) -> dict[str, Any]:
    return {
        "id": region_id,
        "from_name": from_name,
        "to_name": TEXT,
        "type": "labels",
        "value": {"start": start, "end": end, "text": text, "labels": [label]},
    }


def _per_region(
    region_id: str, from_name: str, kind: str, start: int, end: int, extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": region_id,
        "from_name": from_name,
        "to_name": TEXT,
        "type": kind,
        "value": {"start": start, "end": end, **extra},
    }


def document_to_task(doc: GoldDocument, schema_version: str) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    for i, e in enumerate(sorted(doc.entities, key=lambda e: (e.start, e.end))):
        rid = f"e{i}"
        results.append(_region(rid, ENTITIES, e.start, e.end, e.text, e.label))
        if e.label != QUANTITY:
            continue
        if e.value is not None:
            results.append(_per_region(rid, Q_VALUE, "number", e.start, e.end, {"text": e.text, "number": e.value}))
        if e.unit is not None:
            results.append(_per_region(rid, Q_UNIT, "textarea", e.start, e.end, {"text": [e.unit]}))
        if e.approximate is not None:
            choice = APPROXIMATE if e.approximate else EXACT
            results.append(_per_region(rid, Q_APPROX, "choices", e.start, e.end, {"text": e.text, "choices": [choice]}))
    for j, s in enumerate(sorted(doc.sentences, key=lambda s: s.start)):
        sid = f"s{j}"
        sentence_text = doc.text[s.start : s.end]
        results.append(_region(sid, SENTENCES, s.start, s.end, sentence_text, SENTENCE_LABEL))
        results.append(
            _per_region(sid, STANCE, "choices", s.start, s.end, {"text": sentence_text, "choices": [s.stance]})
        )
        if s.holder is not None:
            h = s.holder
            results.append(_region(f"h{j}", HOLDER, h.start, h.end, h.text, HOLDER_LABEL))
    results.append(
        {
            "id": "doc",
            "from_name": DOC_STANCE,
            "to_name": TEXT,
            "type": "choices",
            "value": {"choices": [doc.doc_stance]},
        }
    )
    return {
        "data": {"text": doc.text, "doc_id": doc.doc_id, "schema_version": schema_version},
        "annotations": [{"result": results}],
    }


def documents_to_tasks(docs: Sequence[GoldDocument], schema_version: str) -> list[dict[str, Any]]:
    return [document_to_task(d, schema_version) for d in docs]


def dumps_tasks(docs: Sequence[GoldDocument], schema_version: str) -> str:
    return json.dumps(documents_to_tasks(docs, schema_version), ensure_ascii=False, indent=1) + "\n"


def labeling_config(schema: Schema) -> str:
    """The Label Studio labeling config (XML) for this schema: generated, never edited by hand."""
    view = ET.Element("View")
    ET.SubElement(view, "Header", value=f"Stance target: {schema.stance_target}")
    entities = ET.SubElement(view, "Labels", name=ENTITIES, toName=TEXT)
    for label in schema.entity_labels:
        ET.SubElement(entities, "Label", value=label, hint=schema.definitions.get(label, ""))
    ET.SubElement(view, "Labels", name=SENTENCES, toName=TEXT).append(
        ET.Element(
            "Label", value=SENTENCE_LABEL, hint="A sentence (pre-filled by arastance); select it to set its stance."
        )
    )
    ET.SubElement(view, "Labels", name=HOLDER, toName=TEXT).append(
        ET.Element(
            "Label",
            value=HOLDER_LABEL,
            hint="Who voices the sentence's stance; none when it is the article's own voice.",
        )
    )
    ET.SubElement(view, "Text", name=TEXT, value="$text")

    # Visibility is keyed on the region's label only: what whenTagName names (the Labels control or
    # the object tag) differs between Label Studio versions, while SENTENCE and QUANTITY are unique.
    stance_view = ET.SubElement(view, "View", visibleWhen="region-selected", whenLabelValue=SENTENCE_LABEL)
    ET.SubElement(stance_view, "Header", value="Sentence stance")
    stance = ET.SubElement(
        stance_view, "Choices", name=STANCE, toName=TEXT, perRegion="true", choice="single-radio", required="true"
    )
    for label in schema.stance_classes:
        ET.SubElement(stance, "Choice", value=label, hint=schema.definitions.get(label, ""))

    quantity_view = ET.SubElement(view, "View", visibleWhen="region-selected", whenLabelValue=QUANTITY)
    ET.SubElement(quantity_view, "Header", value="Quantity (left empty: filled from the text)")
    ET.SubElement(quantity_view, "Number", name=Q_VALUE, toName=TEXT, perRegion="true")
    ET.SubElement(
        quantity_view, "TextArea", name=Q_UNIT, toName=TEXT, perRegion="true", maxSubmissions="1", editable="true"
    )
    approx = ET.SubElement(
        quantity_view, "Choices", name=Q_APPROX, toName=TEXT, perRegion="true", choice="single-radio"
    )
    ET.SubElement(approx, "Choice", value=APPROXIMATE)
    ET.SubElement(approx, "Choice", value=EXACT)

    ET.SubElement(view, "Header", value="Document stance")
    doc_stance = ET.SubElement(view, "Choices", name=DOC_STANCE, toName=TEXT, choice="single-radio", required="true")
    for label in schema.document_stance_classes:
        ET.SubElement(doc_stance, "Choice", value=label)
    ET.indent(view)
    return ET.tostring(view, encoding="unicode") + "\n"


# --------------------------------------------------------------------------- import


@dataclass
class _Task:
    """What one task's chosen annotation says, before it becomes a GoldDocument."""

    entities: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # id → (start, end, label)
    sentences: dict[str, tuple[int, int]] = field(default_factory=dict)
    holders: list[tuple[int, int]] = field(default_factory=list)
    stances: dict[str, str] = field(default_factory=dict)  # region id → stance
    quantity: dict[str, dict[str, Any]] = field(default_factory=dict)  # region id → attributes
    doc_stance: str = ""
    region_results: dict[str, int] = field(default_factory=dict)  # region id → index of the result that drew it


# Every control of `labeling_config`, the only names an import understands. Others are mapped with
# `--control THEIRS=OURS`, dropped on request with `--control THEIRS=-` (also `relation=-` for
# Label Studio's relations), or refused: a result of an unknown control is never dropped silently.
CONTROLS = (ENTITIES, SENTENCES, HOLDER, STANCE, DOC_STANCE, Q_VALUE, Q_UNIT, Q_APPROX)
IGNORED = "-"
RELATION = "relation"


def parse_control_map(pairs: Sequence[str]) -> dict[str, str]:
    """`THEIRS=OURS` pairs (the `--control` option) as a map; a malformed pair or an unknown OURS is a UserError."""
    from arastance.errors import UserError

    mapping: dict[str, str] = {}
    for pair in pairs:
        theirs, sep, ours = pair.partition("=")
        if not sep or not theirs or not ours:
            raise UserError(f"--control {pair!r}: expected THEIRS=OURS, e.g. --control label={ENTITIES}")
        if ours not in (*CONTROLS, IGNORED):
            raise UserError(
                f"--control {pair!r}: {ours!r} is not a control of this project; known: {', '.join(CONTROLS)} "
                f"(or {IGNORED} to drop it)"
            )
        mapping[theirs] = ours
    return mapping


class _TaskReader:
    def __init__(
        self,
        task: Any,
        index: int,
        schema: Schema,
        source: str,
        controls: Mapping[str, str] | None = None,
        reported: set[str] | None = None,
    ) -> None:
        self.task = task
        self.schema = schema
        self.source = source
        self.controls = dict(controls or {})
        self.reported = reported if reported is not None else set()  # unknown controls already named
        self.task_id = task.get("id", index) if isinstance(task, dict) else index
        self.doc_id: str | None = None
        self.problems: list[Problem] = []

    def problem(self, rule: str, message: str, offset: int | None = None, text: str | None = None) -> None:
        self.problems.append(Problem(self.source, self.doc_id, offset, text, rule, f"task {self.task_id}: {message}"))

    def read(self) -> GoldDocument | None:
        task = self.task
        if not isinstance(task, dict):
            self.problem("ls-format", f"a task must be an object, got {type(task).__name__}")
            return None
        data = task.get("data")
        if not isinstance(data, dict) or not isinstance(data.get(TEXT), str):
            self.problem("ls-format", "data.text must be a string")
            return None
        text: str = data[TEXT]
        doc_id = data.get("doc_id")
        if doc_id is None:
            # A new document from Label Studio: the task id plus a content hash (stable across exports).
            doc_id = f"ls{self.task_id}_{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}"
        if not isinstance(doc_id, str):
            self.problem("ls-format", f"data.doc_id must be a string, got {type(doc_id).__name__}")
            return None
        self.doc_id = doc_id
        annotation = self.choose_annotation()
        if annotation is None:
            return None
        result = annotation.get("result")
        if not isinstance(result, list):
            self.problem("ls-format", "annotation result must be a list")
            return None
        parsed = _Task()
        for k, item in enumerate(result):
            self.read_result(item, k, text, parsed)
        version = data.get("schema_version")
        return self.build(text, parsed, str(version) if version is not None else self.schema.version)

    def choose_annotation(self) -> dict[str, Any] | None:
        annotations = self.task.get("annotations")
        if annotations is None:
            annotations = self.task.get("completions")  # Label Studio < 1.0 exports
        if not isinstance(annotations, list):
            self.problem("ls-no-annotation", "no annotations")
            return None
        usable = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
        if not usable:
            self.problem("ls-no-annotation", "no annotation that was not cancelled")
            return None
        return max(
            usable, key=lambda a: (str(a.get("updated_at") or a.get("created_at") or ""), _int_or_zero(a.get("id")))
        )

    def unknown_control(self, k: int, name: Any) -> None:
        """One problem per unknown control and import (an export repeats it in every task)."""
        if repr(name) in self.reported:
            return
        self.reported.add(repr(name))
        what = "a relation: this project has none" if name == RELATION else f"control {name!r} is not one of ours"
        self.problem(
            "ls-control",
            f"result {k}: {what} ({', '.join(CONTROLS)}), so nothing of it would be imported. Annotate with the "
            f"config of `arastance gold labelstudio-config`, or map it with --control {name}=OURS "
            f"(e.g. --control {name}={ENTITIES}), or drop it with --control {name}={IGNORED}",
        )

    def read_result(self, item: Any, k: int, text: str, parsed: _Task) -> None:
        name = RELATION if isinstance(item, dict) and item.get("type") == RELATION else None
        if name is None and (not isinstance(item, dict) or not isinstance(item.get("value"), dict)):
            self.problem("ls-format", f"result {k} must be an object with a value")
            return
        name = name or item.get("from_name")
        if not isinstance(name, str):
            self.problem("ls-format", f"result {k}: from_name must be a string, got {name!r}")
            return
        from_name = self.controls.get(name, name)
        if from_name == IGNORED:
            return  # dropped as the user asked (--control NAME=-)
        if from_name not in CONTROLS or name == RELATION:
            self.unknown_control(k, name)
            return
        value = item["value"]
        region_id = str(item.get("id", f"#{k}"))
        if from_name == DOC_STANCE:
            parsed.doc_stance = self.single(value.get("choices"), f"result {k} ({DOC_STANCE})") or ""
            return
        start, end = value.get("start"), value.get("end")
        if not _is_int(start) or not _is_int(end):
            self.problem("ls-format", f"result {k} ({from_name}): start/end must be integers, got {start!r}/{end!r}")
            return
        written = value.get("text")
        if not (0 <= start < end <= len(text)):
            message = f"result {k} ({from_name}) {start}-{end} is outside the text (length {len(text)})"
            self.problem("ls-offset", message + _utf16_hint(text, start, end, written), start)
            return
        if isinstance(written, str) and text[start:end] != written:
            shown = json.dumps(written, ensure_ascii=False)
            message = f"result {k} ({from_name}) {start}-{end}: region text {shown} is not the text at its offsets"
            self.problem("ls-offset", message + _utf16_hint(text, start, end, written), start, text[start:end])
            return
        if from_name in (ENTITIES, SENTENCES, HOLDER) and not self.claim_region_id(
            region_id, k, from_name, start, text, parsed
        ):
            return
        if from_name == ENTITIES:
            label = self.single(value.get("labels"), f"result {k} (entities)")
            if label:
                parsed.entities[region_id] = (start, end, label)
        elif from_name == SENTENCES:
            parsed.sentences[region_id] = (start, end)
        elif from_name == HOLDER:
            parsed.holders.append((start, end))
        elif from_name == STANCE:
            stance = self.single(value.get("choices"), f"result {k} (stance)")
            if stance:
                parsed.stances[_region_key(region_id, start, end)] = stance
        else:
            attrs = parsed.quantity.setdefault(_region_key(region_id, start, end), {})
            if from_name == Q_VALUE:
                attrs["value"] = value.get("number")
            elif from_name == Q_UNIT:
                unit = value.get("text")
                attrs["unit"] = unit[0] if isinstance(unit, list) and unit else unit
            else:
                choice = self.single(value.get("choices"), f"result {k} ({Q_APPROX})")
                if choice in (APPROXIMATE, EXACT):
                    attrs["approximate"] = choice == APPROXIMATE
                elif choice is not None:
                    self.problem("ls-format", f"result {k} ({Q_APPROX}): {choice!r} is not {APPROXIMATE} or {EXACT}")

    def claim_region_id(self, region_id: str, k: int, from_name: str, start: int, text: str, parsed: _Task) -> bool:
        """A region's id must be its own: regions are keyed by id, so a second one would replace the first."""
        first = parsed.region_results.setdefault(region_id, k)
        if first == k:
            return True
        self.problem(
            "ls-duplicate-id",
            f"result {k} ({from_name}) reuses region id {region_id!r} of result {first}; one of the two regions would "
            "be dropped: give each region its own id (or remove the duplicate) and export again",
            start,
            text[start : start + 40],
        )
        return False

    def single(self, values: Any, what: str) -> str | None:
        if isinstance(values, list) and len(values) == 1 and isinstance(values[0], str):
            return values[0]
        self.problem("ls-format", f"{what}: expected exactly one choice or label, got {values!r}")
        return None

    def build(self, text: str, parsed: _Task, version: str) -> GoldDocument:
        assert self.doc_id is not None
        entities = []
        for region_id, (start, end, label) in parsed.entities.items():
            span = text[start:end]
            if label != QUANTITY:
                entities.append(Entity(start, end, label, span))
                continue
            attrs = parsed.quantity.get(region_id) or parsed.quantity.get(_region_key("", start, end), {})
            value, unit, approximate = parse_quantity(text[max(0, start - 40) : start], span, self.schema)
            entities.append(
                Entity(
                    start,
                    end,
                    label,
                    span,
                    attrs.get("value", value),
                    attrs.get("unit", unit),
                    attrs.get("approximate", approximate),
                )
            )
        sentence_spans = sorted(parsed.sentences.items(), key=lambda item: item[1])
        holders: dict[str, Holder] = {}
        for start, end in sorted(parsed.holders):
            owner = next((sid for sid, (s, e) in sentence_spans if s <= start and end <= e), None)
            if owner is None:
                self.problem("ls-holder", f"holder {start}-{end} is in no sentence region", start, text[start:end])
            elif owner in holders:
                self.problem("ls-holder", f"sentence region {owner} has more than one holder", start, text[start:end])
            else:
                holders[owner] = Holder(start, end, text[start:end])
        sentences = []
        for region_id, (start, end) in sentence_spans:
            stance = parsed.stances.get(region_id) or parsed.stances.get(_region_key("", start, end))
            if stance is None:
                self.problem(
                    "ls-stance", f"sentence region {region_id} {start}-{end} has no stance", start, text[start:end]
                )
                stance = ""
            sentences.append(Sentence(start, end, stance, holders.get(region_id)))
        entities.sort(key=lambda e: (e.start, e.end))
        return GoldDocument(self.doc_id, text, parsed.doc_stance, tuple(entities), tuple(sentences), version)


def _region_key(region_id: str, start: int, end: int) -> str:
    """Per-region results are matched to their region by id; an id-less one by its offsets."""
    return region_id if region_id and not region_id.startswith("#") else f"@{start}-{end}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_or_zero(value: Any) -> int:
    return value if _is_int(value) else 0


def _utf16_to_index(text: str, units: int) -> int | None:
    """The code point index at `units` UTF-16 code units into text (None if it splits a surrogate pair)."""
    count = 0
    for i, ch in enumerate(text):
        if count == units:
            return i
        count += 2 if ord(ch) > 0xFFFF else 1
        if count > units:
            return None
    return len(text) if count == units else None


def _utf16_hint(text: str, start: int, end: int, written: Any) -> str:
    """A note when the offsets fit as UTF-16 code units (the browser's count; astral characters count 2)."""
    if not isinstance(written, str):
        return ""
    s16, e16 = _utf16_to_index(text, start), _utf16_to_index(text, end)
    if s16 is not None and e16 is not None and text[s16:e16] == written:
        return f" (the offsets fit as UTF-16 code units, i.e. {s16}-{e16}: Label Studio's unicode offset bug)"
    return ""


def tasks_to_documents(
    tasks: Any,
    schema: Schema,
    source: str = "<tasks>",
    require_annotation: bool = True,
    controls: Mapping[str, str] | None = None,
) -> tuple[list[GoldDocument], list[Problem]]:
    """Documents of a Label Studio JSON export (a list of tasks), with every problem found.

    With require_annotation False, tasks without a usable annotation are skipped silently
    (`gold import` adds only completed tasks). `controls` maps the export's control names to ours
    (CONTROLS); a result of any other control is a problem.
    """
    if not isinstance(tasks, list):
        return [], [
            Problem(
                source,
                None,
                None,
                None,
                "ls-format",
                f"a Label Studio export is a list of tasks, got {type(tasks).__name__}",
            )
        ]
    docs: list[GoldDocument] = []
    problems: list[Problem] = []
    reported: set[str] = set()
    for index, task in enumerate(tasks):
        reader = _TaskReader(task, index, schema, source, controls, reported)
        doc = reader.read()
        task_problems = reader.problems
        if not require_annotation:
            task_problems = [p for p in task_problems if p.rule != "ls-no-annotation"]
        problems += task_problems
        if doc is not None:
            docs.append(doc)
    return docs, problems


def loads_tasks(
    content: str,
    schema: Schema,
    source: str = "<tasks>",
    require_annotation: bool = True,
    controls: Mapping[str, str] | None = None,
) -> tuple[list[GoldDocument], list[Problem]]:
    """Parse a Label Studio JSON export text; malformed JSON is a Problem, not an exception."""
    if not content.strip():
        return [], [Problem(source, None, None, None, "empty-file", "the file is empty")]
    try:
        raw = json.loads(content)
    except json.JSONDecodeError as err:
        return [], [
            Problem(
                source,
                None,
                err.pos,
                None,
                "json",
                f"malformed JSON at line {err.lineno} column {err.colno}: {err.msg}",
            )
        ]
    return tasks_to_documents(raw, schema, source, require_annotation, controls)
