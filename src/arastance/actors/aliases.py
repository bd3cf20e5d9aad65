"""The actor alias table (configs/actors/aliases.yaml): surface forms → one actor name."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arastance.errors import UserError
from arastance.holders.rules import bare
from arastance.paths import config_file, read_config_mapping


def default_aliases_path() -> Path:
    return config_file("actors", "aliases.yaml")


@dataclass(frozen=True)
class AliasTable:
    letters: Mapping[str, str]
    strip_characters: frozenset[str]
    conjunctions: tuple[str, ...]
    prepositions: tuple[str, ...]
    preposition_article: Mapping[str, str]
    article: str
    implicit_speaker: str
    index: Mapping[str, str]  # matching key → actor

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.index.values())

    def key(self, form: str) -> str:
        """The form as matched: letters unified, no diacritics, tatweel or quote marks, single spaces."""
        text = "".join(self.letters.get(ch, ch) for ch in bare(form) if ch not in self.strip_characters)
        return " ".join(text.split())

    def candidates(self, form: str) -> list[str]:
        """Keys to look up, most literal first: as written, then without conjunction, preposition, article."""
        key = self.key(form)
        out = [key]
        for conj in ("", *self.conjunctions):
            if not key.startswith(conj):
                continue
            rest = key[len(conj) :]
            steps = [rest]
            for fused, article in self.preposition_article.items():
                if rest.startswith(fused):
                    steps.append(self.key(article) + rest[len(fused) :])
            steps += [rest[len(p) :] for p in self.prepositions if rest.startswith(p)]
            art = self.key(self.article)
            steps += [s[len(art) :] for s in list(steps) if s.startswith(art)]
            out += [s for s in steps if len(s) > 1]
        return list(dict.fromkeys(out))

    def actor(self, form: str, seen: Collection[str] = ()) -> str:
        """The actor a surface form names. A form in no group is an actor of its own, merged with another
        form seen in the data (keys in `seen`) that it equals once its proclitics are stripped
        ("ودمشق" with "دمشق"); such an actor is named by its key."""
        candidates = self.candidates(form)
        for candidate in candidates:
            if candidate in self.index:
                return self.index[candidate]
        return next((c for c in candidates[1:] if c in seen), candidates[0])

    def is_listed(self, actor: str) -> bool:
        return actor in self.names


def alias_table_from_mapping(raw: Mapping[str, Any], source: str) -> AliasTable:
    actors = raw.get("actors")
    if not isinstance(actors, dict) or not actors:
        raise UserError(f"{source}: `actors` must map each actor name to a list of its surface forms")
    table = AliasTable(
        letters={str(k): str(v) for k, v in (raw.get("letters") or {}).items()},
        strip_characters=frozenset(str(c) for c in raw.get("strip_characters") or ()),
        conjunctions=tuple(str(c) for c in raw.get("conjunctions") or ()),
        prepositions=tuple(str(c) for c in raw.get("prepositions") or ()),
        preposition_article={str(k): str(v) for k, v in (raw.get("preposition_article") or {}).items()},
        article=str(raw.get("article") or ""),
        implicit_speaker=str(raw.get("implicit_speaker") or "(implicit speaker)"),
        index={},
    )
    index: dict[str, str] = {}
    for name, forms in actors.items():
        if not isinstance(forms, list) or not forms:
            raise UserError(f"{source}: actors.{name}: give a non-empty list of surface forms")
        for form in forms:
            key = table.key(str(form))
            if key in index and index[key] != name:
                raise UserError(f"{source}: the form {form!r} is listed under both {index[key]!r} and {name!r}")
            index[key] = str(name)
    return AliasTable(**{**table.__dict__, "index": index})


def load_alias_table(path: Path | None = None) -> AliasTable:
    path = Path(path) if path is not None else default_aliases_path()
    return alias_table_from_mapping(read_config_mapping(path, "the actor alias table"), str(path))
