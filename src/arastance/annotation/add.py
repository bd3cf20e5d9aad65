"""New raw texts into annotations/documents/ with ids in the corpus's scheme, never a second copy.

Ids are `NNN_<hash16>`: NNN the next number after the highest one in documents/ (three digits, more
past 999), hash16 the first 16 hex digits of the SHA-256 of the text's UTF-8 bytes. (The five
original documents carry a hash of their source, not of their text: ids are names, and only the
number's order matters.) A text is a duplicate when its content — whitespace runs collapsed, so a
copy re-saved with other line endings is caught — equals an existing document's or another new
file's; the refusal names the document it duplicates. The imports (`gold import`, `import-labelstudio`,
`import-doccano`) use the same key: a text already in the gold is refused under any other id.

Everything is checked before anything is copied: one bad file and no file is added. Files are copied
byte for byte, since gold offsets will index these exact characters.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from arastance.errors import UserError, read_input_text
from arastance.gold.io import read_text
from arastance.writer import create_new

NUMBERED_ID = re.compile(r"(?P<number>\d+)_[0-9a-f]+")
# A news text in Arabic script: more than half of its letters are Arabic. This is the definition of
# "Arabic text" we check, not a tuned threshold: a Latin-script text with an Arabic quote fails it.
ARABIC_LETTER_SHARE = 0.5
BOM = "\ufeff"


@dataclass(frozen=True)
class NewDocument:
    source: Path
    doc_id: str
    text: str


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_key(text: str) -> str:
    """What two copies of one text share: the digest of its words separated by single spaces."""
    return text_digest(" ".join(text.split()))


def is_arabic_letter(ch: str) -> bool:
    return ch.isalpha() and "ARABIC" in unicodedata.name(ch, "")


def text_problem(text: str) -> str | None:
    """Why a decoded text cannot be a document, or None."""
    if text.startswith(BOM):
        return "starts with a byte-order mark (save it as UTF-8 without BOM: offsets would count it)"
    if not text.strip():
        return "is empty"
    letters = [ch for ch in text if ch.isalpha()]
    arabic = sum(1 for ch in letters if is_arabic_letter(ch))
    if not letters or arabic / len(letters) <= ARABIC_LETTER_SHARE:
        return f"is not Arabic text ({arabic} of its {len(letters)} letters are Arabic)"
    return None


def duplicate_problems(new: Sequence[tuple[str, str]], existing: dict[str, str]) -> list[str]:
    """Why some of `new` ((doc_id, text) pairs) would be a second copy of a text under another id. Pure.

    A text under its own id again is not a duplicate (re-importing an edited document overwrites it).
    """
    owner = {content_key(text): doc_id for doc_id, text in existing.items()}
    problems = []
    for doc_id, text in new:
        key = content_key(text)
        first = owner.setdefault(key, doc_id)
        if first != doc_id:
            where = "already in the gold" if first in existing else "also imported"
            problems.append(
                f"document {doc_id}: same text as {first} ({where}); a text is annotated once, under one id"
            )
    return problems


def next_number(existing_ids: Sequence[str]) -> int:
    numbers = [int(m["number"]) for doc_id in existing_ids if (m := NUMBERED_ID.fullmatch(doc_id))]
    return max(numbers, default=-1) + 1


def plan_additions(
    files: Sequence[tuple[Path, str]], existing: dict[str, str], problems: Sequence[str] = ()
) -> list[NewDocument]:
    """Ids for the new files, or a UserError listing every file that cannot be added (and `problems`,
    those found while reading). `existing` maps each existing doc_id to its text. Pure.
    """
    problems = list(problems)
    seen = {content_key(text): f"existing document {doc_id}" for doc_id, text in existing.items()}
    number = next_number(list(existing))
    width = max(3, len(str(number + len(files))))
    planned: list[NewDocument] = []
    for source, text in files:
        reason = text_problem(text)
        if reason:
            problems.append(f"{source}: {reason}")
            continue
        key = content_key(text)
        if key in seen:
            problems.append(f"{source}: same text as {seen[key]}")
            continue
        doc_id = f"{number:0{width}d}_{text_digest(text)[:16]}"
        seen[key] = f"{source} (new document {doc_id})"
        planned.append(NewDocument(source, doc_id, text))
        number += 1
    if problems:
        raise UserError("no document added:\n" + "\n".join(problems))
    return planned


def read_existing(documents: Path) -> dict[str, str]:
    return {p.stem: read_text(p) for p in sorted(documents.glob("*.txt"))} if documents.is_dir() else {}


def add_documents(paths: Sequence[Path], documents: Path) -> list[NewDocument]:
    """Copy the files into `documents` under new ids (all or none); returns what was added."""
    files: list[tuple[Path, str]] = []
    problems: list[str] = []
    for path in paths:
        try:
            files.append((path, read_input_text(path)))
        except UserError as err:
            problems.append(str(err))
    planned = plan_additions(files, read_existing(documents), problems)
    documents.mkdir(parents=True, exist_ok=True)
    for new in planned:
        target = documents / f"{new.doc_id}.txt"
        try:
            # UTF-8 decoding is lossless and newlines are kept: the copy is byte-identical; never overwritten.
            create_new(target, new.text)
        except OSError as err:
            raise UserError(f"cannot write {target}: {err.strerror or err}") from None
    return planned
