"""`arastance gold add`: new texts into annotations/documents/ with ids, duplicates and bad texts refused."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from arastance.annotation.add import next_number, text_problem
from arastance.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTICLE = "أعلنت وزارة الدفاع الأميركية يوم الأحد عن سحب 500 جندي من قاعدة حرير.\nوقال المتحدث إن القرار نهائي.\n"
OTHER = "قالت قوات سوريا الديمقراطية إن الهجمات تراجعت خلال الشهر الفائت في ريف دير الزور.\n"


def _run(capsys, *argv: str | Path) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "unexpected error" not in err
    return code, err


@pytest.fixture
def documents(project: Path) -> Path:
    """The project's documents/ holding two of the real documents."""
    target = project / "annotations" / "documents"
    for path in sorted((REPO_ROOT / "annotations" / "documents").glob("*.txt"))[:2]:
        shutil.copy(path, target / path.name)
    return target


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_adds_texts_with_the_next_numbers_and_their_hash(documents, tmp_path, capsys):
    first = _write(tmp_path, "article one.txt", ARTICLE)
    second = _write(tmp_path, "b.txt", OTHER.replace("\n", "\r\n"))  # line ends kept as they are

    code, err = _run(capsys, "gold", "add", first, second)

    assert code == 0
    added = sorted(p.name for p in documents.iterdir())[2:]
    expected = [
        f"002_{hashlib.sha256(first.read_bytes()).hexdigest()[:16]}.txt",
        f"003_{hashlib.sha256(second.read_bytes()).hexdigest()[:16]}.txt",
    ]
    assert added == expected
    assert (documents / expected[0]).read_bytes() == first.read_bytes()
    assert (documents / expected[1]).read_bytes() == second.read_bytes()
    assert str(first) in err and expected[0] in err


def test_refuses_a_text_already_there_and_names_it(documents, tmp_path, capsys):
    existing = sorted(documents.glob("*.txt"))[1]
    # The same text re-saved with other line ends and trailing spaces is still the same text.
    copy = _write(tmp_path, "copy.txt", existing.read_text(encoding="utf-8").replace("\n", " \r\n"))
    new = _write(tmp_path, "new.txt", ARTICLE)
    before = sorted(documents.iterdir())

    code, err = _run(capsys, "gold", "add", new, copy)

    assert code == 1
    assert f"{copy}: same text as existing document {existing.stem}" in err
    assert sorted(documents.iterdir()) == before  # all or nothing: new.txt was not added either


def test_refuses_two_copies_among_the_new_files(documents, tmp_path, capsys):
    a, b = _write(tmp_path, "a.txt", ARTICLE), _write(tmp_path, "b.txt", ARTICLE)
    code, err = _run(capsys, "gold", "add", a, b)
    assert code == 1 and f"{b}: same text as {a} (new document 002_" in err
    assert len(list(documents.iterdir())) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("  \n\t\n", "is empty"),
        (
            "The US will keep 900 troops in Syria, said «واشنطن».\n",
            "is not Arabic text (6 of its 36 letters are Arabic)",
        ),
        ("2024 - 900 - 151\n", "is not Arabic text (0 of its 0 letters are Arabic)"),
        ("\ufeffأعلنت الوزارة\n", "byte-order mark"),
        (b"\xff\xfe\x00abc", "UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8"),
        (b"\xff\x00abc", "not UTF-8 (byte offset 0)"),
    ],
)
def test_bad_texts_are_refused_with_the_reason(documents, tmp_path, capsys, content, message):
    bad = _write(tmp_path, "bad.txt", content)
    code, err = _run(capsys, "gold", "add", bad)
    assert code == 1 and str(bad) in err and message in err
    assert len(list(documents.iterdir())) == 2


def test_missing_file_is_a_clear_error(documents, tmp_path, capsys):
    code, err = _run(capsys, "gold", "add", tmp_path / "nope.txt")
    assert code == 1 and "nope.txt: no such file" in err


def test_numbering_and_arabic_share():
    assert next_number(["000_1de9847addf50ec0", "004_d438872805faa861", "ls3_abc"]) == 5
    assert next_number([]) == 0
    assert text_problem("قال المتحدث باسم البنتاغون: US troops stay") is None  # mostly Arabic letters
