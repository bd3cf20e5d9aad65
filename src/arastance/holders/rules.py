"""The rule method: the holder is the subject of a reporting or stance verb, else None (authorial).

Cues, in the order they appear in the sentence (the first cue that yields a holder wins):
- a "SOURCE: ..." headline: a short phrase before a colon that names a speaker or an actor;
- a reporting verb (قال، أكد، أعلن …) outside quoted speech:
  1. an eligible entity right before a verb without conjunction is its subject (SVO: "إدارة بايدن تؤكد");
  2. nothing between the verb and the content it opens ("وقال إن …", "ولفت إلى أن …"): the subject is
     only in the verb, so the verb is the holder (guidelines §6, "implicit holder");
  3. else its subject window (the words up to the content opener): a preferred-label entity (a named
     person after a title), else a speaker noun ("المصدر", "قيادة التحالف الدولي"), else the first
     eligible entity; a window naming no actor ("تشير المؤشرات إلى") is no speech event;
- a demand noun followed by an actor ("مطالب تركية").
Every word list and window is in configs/holders/rules.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arastance.corpus.segment import Span, tokenize_words
from arastance.corpus.text import fold
from arastance.errors import UserError
from arastance.gold.model import Holder
from arastance.holders.base import Mention, SentenceContext
from arastance.paths import config_file, read_config_mapping

_DIACRITICS = {chr(c) for c in range(0x064B, 0x0653)} | {"\u0670", "\u0640"}  # tashkeel, dagger alef, tatweel


def default_rules_path() -> Path:
    return config_file("holders", "rules.yaml")


def bare(word: str) -> str:
    """A word folded (corpus/text.py) and without diacritics and tatweel, the form cues are matched in."""
    return "".join(ch for ch in fold(word) if ch not in _DIACRITICS)


@dataclass(frozen=True)
class HolderRules:
    eligible_labels: frozenset[str]
    preferred_labels: tuple[str, ...]
    conjunctions: tuple[str, ...]
    reporting_verbs: frozenset[str]
    content_openers: frozenset[str]
    speaker_nouns: frozenset[str]
    demand_nouns: frozenset[str]
    quote_open: frozenset[str]
    quote_close: frozenset[str]
    quoted_name_words: int
    clause_separators: frozenset[str]
    no_stance: str
    subject_window: int
    demand_window: int
    headline_colon_window: int

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], source: str = "holder rules") -> HolderRules:
        def words(key: str) -> list[str]:
            value = raw.get(key)
            if not isinstance(value, list) or not value:
                raise UserError(f"{source}: `{key}` must be a non-empty list")
            flat = [w for item in value for w in (item if isinstance(item, list) else [item])]
            return [bare(str(w)) for w in flat]

        windows = raw.get("windows") or {}
        try:
            sizes = {k: int(windows[k]) for k in ("subject", "demand", "headline_colon")}
            quoted = int(raw.get("quoted_name_words", 0))
        except (KeyError, TypeError, ValueError) as err:
            raise UserError(f"{source}: `windows` needs integer subject, demand and headline_colon ({err})") from None
        if min(sizes.values()) < 0:
            raise UserError(f"{source}: window sizes must be >= 0, got {sizes}")
        return cls(
            eligible_labels=frozenset(words("eligible_labels")),
            preferred_labels=tuple(raw.get("preferred_labels") or ()),
            conjunctions=tuple(words("conjunctions")),
            reporting_verbs=frozenset(words("reporting_verbs")),
            content_openers=frozenset(words("content_openers")),
            speaker_nouns=frozenset(words("speaker_nouns")),
            demand_nouns=frozenset(words("demand_nouns")),
            quote_open=frozenset(words("quote_open")),
            quote_close=frozenset(words("quote_close")),
            quoted_name_words=quoted,
            clause_separators=frozenset(words("clause_separators")),
            no_stance=str(raw.get("no_stance", "NONE")),
            subject_window=sizes["subject"],
            demand_window=sizes["demand"],
            headline_colon_window=sizes["headline_colon"],
        )

    def matches(self, word: str, cues: frozenset[str]) -> bool:
        """`word` is a cue, as written or after one conjunction proclitic ("وأكد" → "أكد")."""
        key = bare(word)
        if key in cues:
            return True
        return any(key.startswith(c) and key[len(c) :] in cues for c in self.conjunctions)


def load_rules(path: Path | None = None) -> HolderRules:
    path = Path(path) if path is not None else default_rules_path()
    return HolderRules.from_mapping(read_config_mapping(path, "the holder rules"), str(path))


# ----------------------------------------------------------------------------------- the method


@dataclass(frozen=True)
class _Word:
    span: Span
    speech: bool  # inside quoted speech
    punct: bool


def _words(context: SentenceContext, rules: HolderRules) -> list[_Word]:
    """The sentence's tokens, each marked as inside quoted speech or not (short quoted runs are names)."""
    tokens = tokenize_words(context.text, context.start, context.end)
    inside = [False] * len(tokens)
    opened: int | None = None
    for i, token in enumerate(tokens):
        if opened is None and token.text in rules.quote_open:
            opened = i
        elif opened is not None and token.text in rules.quote_close:
            words = sum(1 for t in tokens[opened + 1 : i] if any(ch.isalnum() for ch in t.text))
            if words > rules.quoted_name_words:
                for j in range(opened, i + 1):
                    inside[j] = True
            opened = None
    if opened is not None:
        # An unclosed quote (common in news copy) is read as speech up to the next clause separator.
        end = next(
            (j for j in range(opened + 1, len(tokens)) if tokens[j].text in rules.clause_separators), len(tokens)
        )
        for j in range(opened, end):
            inside[j] = True
    return [_Word(t, inside[i], not any(ch.isalnum() for ch in t.text)) for i, t in enumerate(tokens)]


class RuleHolders:
    """HolderMethod applying HolderRules."""

    def __init__(self, rules: HolderRules) -> None:
        self.rules = rules

    def choose(self, context: SentenceContext) -> Holder | None:
        words = _words(context, self.rules)
        mentions = [m for m in context.mentions if m.label in self.rules.eligible_labels]
        headline = self._headline(context, words, mentions)
        if headline is not None:
            return headline
        for i, word in enumerate(words):
            if word.speech or word.punct:
                continue
            if self.rules.matches(word.span.text, self.rules.reporting_verbs):
                found = self._verb_subject(context, words, i, mentions)
            elif self.rules.matches(word.span.text, self.rules.demand_nouns):
                found = self._demand_holder(context, words, i, mentions)
            else:
                continue
            if found is not None:
                return found
        return None

    # -- cues

    def _headline(self, context: SentenceContext, words: Sequence[_Word], mentions: Sequence[Mention]) -> Holder | None:
        """ "مصادر أمنية: ..." — a speaker phrase of a few words, then a colon, and no verb before it."""
        count = 0
        for i, word in enumerate(words):
            if word.span.text == ":":
                if i == 0 or count > self.rules.headline_colon_window:
                    return None
                before = words[:i]
                if any(self.rules.matches(w.span.text, self.rules.reporting_verbs) for w in before):
                    return None
                first, last = before[0].span, before[-1].span
                names_actor = self.rules.matches(first.text, self.rules.speaker_nouns) or any(
                    m.start >= first.start and m.end <= last.end for m in mentions
                )
                return _span(context, first.start, last.end) if names_actor else None
            if not word.punct:
                count += 1
        return None

    def _verb_subject(
        self, context: SentenceContext, words: Sequence[_Word], i: int, mentions: Sequence[Mention]
    ) -> Holder | None:
        verb = words[i].span
        before = next((w for w in reversed(words[:i]) if w.span.text not in self.rules.quote_close), None)
        # A verb with a conjunction ("وأكد") opens a clause of its own: what precedes is not its subject.
        if before is not None and bare(verb.text) in self.rules.reporting_verbs:
            ending = [m for m in mentions if m.end == before.span.end]
            if ending:
                return _span(context, ending[0].start, ending[0].end)
        window = self._subject_window(words, i)
        if not window:
            return _span(context, verb.start, verb.end)
        lo, hi = window[0].span.start, window[-1].span.end
        inside = [m for m in mentions if m.start >= lo and m.end <= hi]
        for label in self.rules.preferred_labels:
            preferred = [m for m in inside if m.label == label]
            if preferred:
                return _span(context, preferred[0].start, preferred[0].end)
        head = window[0].span
        if self.rules.matches(head.text, self.rules.speaker_nouns):
            nxt = window[1].span if len(window) > 1 else None
            genitive = next((m for m in inside if nxt is not None and m.start == nxt.start), None)
            return _span(context, head.start, genitive.end if genitive else head.end)
        if inside:
            return _span(context, inside[0].start, inside[0].end)
        return None

    def _subject_window(self, words: Sequence[_Word], i: int) -> list[_Word]:
        """Words after the verb up to the content opener or quoted speech, at most `subject_window` words."""
        window: list[_Word] = []
        count = 0
        for word in words[i + 1 :]:
            if word.speech or self.rules.matches(word.span.text, self.rules.content_openers):
                break
            if not word.punct:
                count += 1
                if count > self.rules.subject_window:
                    break
            window.append(word)
        # punctuation at the edges ("“", "،") is not part of a subject
        while window and window[0].punct:
            window.pop(0)
        while window and window[-1].punct:
            window.pop()
        return window

    def _demand_holder(
        self, context: SentenceContext, words: Sequence[_Word], i: int, mentions: Sequence[Mention]
    ) -> Holder | None:
        following = [w for w in words[i + 1 :] if not w.punct][: self.rules.demand_window]
        starts = {w.span.start for w in following}
        found = next((m for m in mentions if m.start in starts), None)
        return _span(context, found.start, found.end) if found else None


def _span(context: SentenceContext, start: int, end: int) -> Holder:
    return Holder(start, end, context.text[start:end])
