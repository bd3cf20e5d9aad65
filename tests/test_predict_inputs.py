"""What `arastance predict` takes as documents: a folder's text files (any case of .txt, the rest listed
as skipped), and UTF-16 named as such instead of decoded into nonsense."""

from __future__ import annotations

from pathlib import Path

import pytest

from arastance.errors import UserError, decode_input, read_input_text
from arastance.predict.cli import expand_inputs

ARABIC = "قالت قسد إن القوات باقية في الحسكة."


def test_a_folder_gives_its_text_files_in_any_case_and_lists_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("a.txt", "B.TXT", "c.Txt", "notes.pdf", "README"):
        (tmp_path / name).write_text(ARABIC, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.txt").write_text(ARABIC, encoding="utf-8")
    assert [Path(p).name for p in expand_inputs([str(tmp_path)], "arastance predict")] == ["B.TXT", "a.txt", "c.Txt"]
    err = capsys.readouterr().err
    assert "skipped 3 entries" in err
    for skipped in ("notes.pdf", "README", "sub"):
        assert str(tmp_path / skipped) in err
    assert "a.txt" not in err


def test_a_folder_of_text_files_only_skips_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text(ARABIC, encoding="utf-8")
    assert expand_inputs([str(tmp_path)]) == [str(tmp_path / "a.txt")]
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_named_as_such(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "doc.txt"
    path.write_bytes(ARABIC.encode(encoding))
    with pytest.raises(UserError, match=rf"{path}: .*UTF-16.*save it as UTF-8"):
        read_input_text(path)


def test_utf8_with_bom_is_read_with_the_bom_kept() -> None:
    # The BOM stays a character: offsets index the raw input; segmentation treats it as not text.
    assert decode_input(("\ufeff" + ARABIC).encode("utf-8"), "x") == "\ufeff" + ARABIC


def _dead_links(folder: Path) -> None:
    (folder / "loop.txt").symlink_to(folder / "loop2.txt")
    (folder / "loop2.txt").symlink_to(folder / "loop.txt")
    (folder / "gone.txt").symlink_to(folder / "deleted.txt")


def test_links_that_lead_nowhere_are_named_as_such(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _dead_links(tmp_path)
    with pytest.raises(UserError, match=r"a folder without \.txt files \(and 3 links that lead to no file\)"):
        expand_inputs([str(tmp_path)], "arastance predict")
    err = capsys.readouterr().err
    assert f"{tmp_path / 'loop.txt'}: a looping link" in err and f"{tmp_path / 'loop2.txt'}: a looping link" in err
    assert f"{tmp_path / 'gone.txt'}: a broken link (to {tmp_path / 'deleted.txt'}, which does not exist)" in err
    assert "not .txt files" not in err
    # beside a readable document they are skipped, and said so
    (tmp_path / "a.txt").write_text(ARABIC, encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(tmp_path / "a.txt")  # a link that works is a document
    assert [Path(p).name for p in expand_inputs([str(tmp_path)])] == ["a.txt", "link.txt"]
    assert "skipped 3 links that lead to no file" in capsys.readouterr().err


def test_a_named_link_that_leads_nowhere_is_named_as_such(tmp_path: Path) -> None:
    _dead_links(tmp_path)
    with pytest.raises(UserError, match=r"loop\.txt: a looping link"):
        read_input_text(tmp_path / "loop.txt")
    with pytest.raises(UserError, match=r"gone\.txt: a broken link"):
        read_input_text(tmp_path / "gone.txt")
