"""Who holds which stance, over documents: one row per actor.

Input is one `ActorDocument` per document — its actor mentions and its stance sentences with their
holders — made from the gold or from `arastance predict` output. An actor's row counts
- `mentions`: entity mentions (the eligible labels of configs/holders/rules.yaml) naming it, plus
  holder spans that are not entity mentions ("المصدر"); a holder overlapping an entity mention
  ("قيادة التحالف الدولي" ⊃ "التحالف الدولي") is that mention, not a second one;
- one column per stance class (`pro_stay`, `pro_withdrawal`): sentences whose holder names it;
- `documents`: documents that mention it or in which it holds a stance.
Sentences without a holder are the articles' own voice: counted apart (`authorial`), never an actor.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from arastance.actors.aliases import AliasTable
from arastance.gold.model import GoldDocument, Holder
from arastance.holders.rules import HolderRules

COLUMNS = ("actor", "forms", "mentions", "pro_stay", "pro_withdrawal", "documents")


@dataclass(frozen=True)
class ActorDocument:
    doc_id: str
    mentions: tuple[tuple[int, int, str], ...]  # (start, end, surface text) of eligible entities
    stances: tuple[tuple[str, Holder | None], ...]  # (stance, holder) of every stance sentence


@dataclass
class ActorRow:
    actor: str
    forms: Counter[str] = field(default_factory=Counter)
    mentions: int = 0
    held: Counter[str] = field(default_factory=Counter)  # stance class → sentences
    documents: set[str] = field(default_factory=set)

    def csv_row(self, stance_columns: Mapping[str, str]) -> dict[str, Any]:
        row: dict[str, Any] = {"actor": self.actor, "forms": "; ".join(sorted(self.forms)), "mentions": self.mentions}
        row.update({column: self.held[cls] for cls, column in stance_columns.items()})
        row["documents"] = len(self.documents)
        return row


@dataclass(frozen=True)
class ActorSummary:
    rows: list[ActorRow]
    authorial: Counter[str]  # stance class → sentences without a holder
    documents: int


def document_from_gold(doc: GoldDocument, rules: HolderRules) -> ActorDocument:
    mentions = tuple((e.start, e.end, e.text) for e in doc.entities if e.label in rules.eligible_labels)
    stances = tuple(
        (s.stance, s.holder) for s in sorted(doc.sentences, key=lambda s: s.start) if s.stance != rules.no_stance
    )
    return ActorDocument(doc.doc_id, mentions, stances)


def document_from_prediction(doc_id: str, record: Mapping[str, Any], rules: HolderRules) -> ActorDocument:
    """A record of `arastance predict` (its sentences carry `holder`)."""
    mentions = tuple(
        (int(e["start"]), int(e["end"]), str(e["text"]))
        for e in record.get("entities") or []
        if e["label"] in rules.eligible_labels
    )
    stances = []
    for s in record.get("sentences") or []:
        if s["stance"] == rules.no_stance:
            continue
        h = s.get("holder")
        stances.append((str(s["stance"]), Holder(int(h["start"]), int(h["end"]), str(h["text"])) if h else None))
    return ActorDocument(doc_id, mentions, tuple(stances))


def _holder_actor(holder: Holder, aliases: AliasTable, rules: HolderRules, seen: set[str]) -> str:
    if rules.matches(holder.text, rules.reporting_verbs):
        return aliases.implicit_speaker
    return aliases.actor(holder.text, seen)


def _display_name(row: ActorRow, aliases: AliasTable) -> str:
    """A listed actor keeps its table name; another is named by its most frequent form that has no
    proclitic (the form whose key is the actor's), else its most frequent form."""
    if aliases.is_listed(row.actor) or row.actor == aliases.implicit_speaker:
        return row.actor
    bare_forms = [f for f, _ in row.forms.most_common() if aliases.key(f) == row.actor]
    return bare_forms[0] if bare_forms else row.forms.most_common(1)[0][0]


def summarise(
    docs: Iterable[ActorDocument], aliases: AliasTable, rules: HolderRules, stance_classes: Sequence[str]
) -> ActorSummary:
    docs = list(docs)
    seen = {aliases.key(text) for doc in docs for *_span, text in doc.mentions}
    seen |= {aliases.key(h.text) for doc in docs for _stance, h in doc.stances if h is not None}
    rows: dict[str, ActorRow] = {}
    authorial: Counter[str] = Counter()

    def row(actor: str) -> ActorRow:
        if actor not in rows:
            rows[actor] = ActorRow(actor)
        return rows[actor]

    for doc in docs:
        for _start, _end, text in doc.mentions:
            r = row(aliases.actor(text, seen))
            r.forms[text] += 1
            r.mentions += 1
            r.documents.add(doc.doc_id)
        for stance, holder in doc.stances:
            if holder is None:
                authorial[stance] += 1
                continue
            r = row(_holder_actor(holder, aliases, rules, seen))
            r.held[stance] += 1
            r.documents.add(doc.doc_id)
            if not any(start < holder.end and holder.start < end for start, end, _t in doc.mentions):
                r.forms[holder.text] += 1
                r.mentions += 1
    for r in rows.values():
        r.actor = _display_name(r, aliases)
    classes = [c for c in stance_classes if c != rules.no_stance]
    ordered = sorted(rows.values(), key=lambda r: (-sum(r.held[c] for c in classes), -r.mentions, r.actor))
    return ActorSummary(ordered, authorial, len(docs))


def stance_columns(stance_classes: Sequence[str], no_stance: str) -> dict[str, str]:
    """Stance class → CSV column ("PRO_STAY" → "pro_stay")."""
    return {c: c.lower() for c in stance_classes if c != no_stance}
