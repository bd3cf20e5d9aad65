"""report.html and prediction pages, read as HTML text (tests/test_pages_browser.py reads them in Chromium)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arastance.errors import UserError
from arastance.evaluation.report_html import entity_marks, render_report_html
from arastance.pages.marks import Mark, segments
from arastance.settings import PageSettings
from arastance.view.predictions import Predicted, documents_folder, load_page_settings, write_prediction_pages
from helpers.pages import TEXT, gold_document, prediction_record


def test_segments_cut_overlapping_marks_and_cover_the_text_exactly() -> None:
    text = "abcdefghij"
    marks = [Mark(2, 6, "missed", "GPE"), Mark(4, 8, "spurious", "GPE")]
    cut = segments(text, 1, 9, marks)
    assert "".join(s.text for s in cut) == text[1:9]
    assert [(s.start, s.end, s.marks) for s in cut] == [
        (1, 2, ()),
        (2, 4, (0,)),
        (4, 6, (0, 1)),
        (6, 8, (1,)),
        (8, 9, ()),
    ]
    assert [s.ends for s in cut] == [(), (), (0,), (1,), ()]


def test_entity_marks_tell_the_kinds_apart() -> None:
    gold = [(0, 3, "PER"), (5, 8, "GPE"), (10, 15, "GPE"), (20, 22, "ORG")]
    pred = [(0, 3, "PER"), (5, 8, "ORG"), (12, 15, "GPE"), (30, 33, "LOC")]
    kinds = sorted((m.kind, m.start, m.end) for m in entity_marks(gold, pred))
    assert kinds == [
        ("boundary", 10, 15),
        ("boundary", 12, 15),
        ("correct", 0, 3),
        ("missed", 20, 22),
        ("spurious", 30, 33),
        ("type", 5, 8),
    ]


def test_report_html_escapes_markup_in_documents_ids_and_markdown(schema) -> None:
    from helpers.pages import analyses

    doc = gold_document()
    page = render_report_html(
        {"title": "t <b>x</b>"},
        "# title\n\n| a | b |\n|---|---|\n| <script>bad()</script> | 2 |\n",
        analyses(doc),
        [doc],
        schema,
    )
    assert "<script>alert(1)</script>" not in page and "<script>bad()</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp;" in page
    assert "doc&lt;1&gt;&amp;" in page and "t &lt;b&gt;x&lt;/b&gt;" in page
    assert page.count("<script>") == 1  # the page's own filter, nothing from the data
    assert "<table>" in page  # the markdown tables became HTML tables


def test_report_html_lists_every_sentence_with_its_marks(schema) -> None:
    from helpers.pages import KINDS, analyses

    doc = gold_document()
    page = render_report_html({"title": "t"}, "# t\n", analyses(doc), [doc], schema)
    for kind in KINDS:
        assert f'class="seg k-{kind}' in page or f" k-{kind}" in page, kind
    assert page.count('class="sentence"') == len(doc.sentences)
    assert "PRO_WITHDRAWAL" in page  # the wrong stance of the second sentence


def _items(folder: Path, n: int) -> list[Predicted]:
    items = []
    for i in range(n):
        source = folder / f"{i}.txt"
        source.write_text(TEXT, encoding="utf-8")
        items.append(Predicted(str(source), TEXT, prediction_record(str(source))))
    return items


def test_prediction_page_holds_every_document_up_to_the_setting(tmp_path: Path) -> None:
    out = tmp_path / "p.html"
    written = write_prediction_pages(out, _items(tmp_path, 2), "P", PageSettings(2))
    assert written == [out]
    page = out.read_text(encoding="utf-8")
    assert page.count('<article class="document"') == 2
    assert "Who holds which stance" in page and "data:image/png;base64," in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and page.count("<script>") == 1


def test_above_the_setting_an_index_links_one_page_per_document(tmp_path: Path) -> None:
    out = tmp_path / "p.html"
    written = write_prediction_pages(out, _items(tmp_path, 3), "P", PageSettings(2))
    assert written[0] == out and len(written) == 4
    index = out.read_text(encoding="utf-8")
    for page in written[1:]:
        assert page.parent == documents_folder(out)
        assert f'href="{page.parent.name}/{page.name}"' in index
        assert 'href="../p.html"' in page.read_text(encoding="utf-8")
    assert 'class="sentence"' not in index  # the index lists documents, it does not hold them


def test_view_reads_the_sources_and_refuses_one_that_changed(tmp_path: Path, monkeypatch, capsys) -> None:
    from arastance.cli import main

    items = _items(tmp_path, 1)
    predictions = tmp_path / "pred.jsonl"
    predictions.write_text(json.dumps(items[0].record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["view", str(predictions), "--out", str(tmp_path / "v.html")]) == 0
    assert (tmp_path / "v.html").is_file()
    Path(items[0].source).write_text("نص آخر تماما " + TEXT, encoding="utf-8")
    assert main(["view", str(predictions), "--out", str(tmp_path / "v.html")]) != 0
    err = capsys.readouterr().err
    assert f"{predictions}:1" in err and "changed since it was predicted" in err


def test_page_settings_refuse_a_bad_value(tmp_path: Path) -> None:
    bad = tmp_path / "pages.yaml"
    bad.write_text("documents_per_page: 0\n", encoding="utf-8")
    with pytest.raises(UserError, match="documents_per_page"):
        load_page_settings(bad)
    assert load_page_settings().documents_per_page >= 1  # the shipped configs/pages.yaml


def test_view_reads_relative_sources_from_root_and_refuses_stdin(tmp_path: Path, capsys) -> None:
    from arastance.cli import main

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(TEXT, encoding="utf-8")
    predictions = tmp_path / "pred.jsonl"
    lines = [prediction_record("docs/a.txt"), prediction_record("-")]
    predictions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines) + "\n", encoding="utf-8")
    assert main(["view", str(predictions), "--root", str(tmp_path), "--out", str(tmp_path / "v.html")]) != 0
    err = capsys.readouterr().err
    assert f"{predictions}:2" in err and "no source file" in err  # the first record was read from --root
    predictions.write_text(json.dumps(lines[0], ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["view", str(predictions), "--root", str(tmp_path), "--out", str(tmp_path / "v.html")]) == 0
    assert "docs/a.txt" in (tmp_path / "v.html").read_text(encoding="utf-8")
