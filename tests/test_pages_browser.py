"""report.html and the predictions page in a real browser: headless Chromium, read over the DevTools Protocol.

Checked from the page itself: right-to-left text, every marked span's text equal to the raw text at its
offsets, one colour per error kind matching the legend, no request for anything outside the file, the
filter, markup in a document shown as text; a screenshot of each page is written for a person to look
at (under $ARASTANCE_SCREENSHOTS, else the test's temporary folder). `make browser` installs Chromium.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from helpers.browser import find_chromium, inspect_page
from helpers.pages import KINDS, TEXT, analyses, gold_document, prediction_record

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(find_chromium() is None, reason="no chromium on PATH: `make browser` installs Debian's"),
]

# Evaluated in the page: what it shows, as the browser laid it out.
READ_PAGE = """(() => {
  const out = {sentences: [], marks: [], legend: {}, inText: {}, scripts: document.scripts.length};
  document.querySelectorAll("p.text").forEach(p => {
    const sentence = p.closest(".sentence"), doc = p.closest("article").dataset.doc;
    out.sentences.push({doc, start: +sentence.dataset.start, end: +sentence.dataset.end, text: p.textContent,
                        direction: getComputedStyle(p).direction});
    const segs = [...p.querySelectorAll("[data-start]")];
    JSON.parse(p.dataset.marks).forEach((m, i) => {
      const mine = segs.filter(s => (s.dataset.m || "").split(" ").includes(String(i)));
      out.marks.push({doc, start: m[0], end: m[1], kind: m[2], text: mine.map(s => s.textContent).join(""),
                      first: Math.min(...mine.map(s => +s.dataset.start)),
                      last: Math.max(...mine.map(s => +s.dataset.end))});
    });
    segs.filter(s => s.dataset.m && !s.dataset.m.includes(" ")).forEach(s => {
      const kind = [...s.classList].find(c => c.startsWith("k-"));
      out.inText[kind] = [...new Set([...(out.inText[kind] || []), getComputedStyle(s).backgroundColor])];
    });
  });
  document.querySelectorAll(".legend span.seg").forEach(s => {
    out.legend[[...s.classList].find(c => c.startsWith("k-"))] = getComputedStyle(s).backgroundColor;
  });
  const kind = document.getElementById("filter-kind");
  if (kind) {
    kind.value = "missed";
    kind.dispatchEvent(new Event("change"));
    out.shownWhenMissed = [...document.querySelectorAll(".sentence:not(.hidden)")].map(s => s.dataset.tags);
    kind.value = "";
    kind.dispatchEvent(new Event("change"));
  }
  return out;
})()"""


def screenshot_path(tmp_path: Path, name: str) -> Path:
    folder = os.environ.get("ARASTANCE_SCREENSHOTS")
    return (Path(folder) if folder else tmp_path) / name


def check_page(seen: dict[str, Any], texts: dict[str, str]) -> None:
    assert seen["sentences"], "no sentence on the page"
    for s in seen["sentences"]:
        assert s["direction"] == "rtl"
        assert s["text"] == texts[s["doc"]][s["start"] : s["end"]]
    assert seen["marks"], "no entity marked"
    for m in seen["marks"]:
        assert m["text"] == texts[m["doc"]][m["start"] : m["end"]], m
        assert (m["first"], m["last"]) == (m["start"], m["end"]), m


def test_report_page_in_chromium(tmp_path: Path, schema) -> None:
    from arastance.evaluation.report_html import render_report_html

    doc = gold_document()
    page = tmp_path / "report.html"
    page.write_text(render_report_html({"title": "browser"}, "# t\n", analyses(doc), [doc], schema), encoding="utf-8")
    shot = screenshot_path(tmp_path, "report.png")
    report = inspect_page(page, READ_PAGE, shot)
    seen = report.value

    check_page(seen, {doc.doc_id: doc.text})
    colours = {kind: seen["legend"][f"k-{kind}"] for kind in KINDS}
    assert len(set(colours.values())) == len(KINDS), colours  # each kind its own colour
    for kind in KINDS:  # …and the text uses the legend's
        assert seen["inText"][f"k-{kind}"] == [colours[kind]], kind
    assert all(tags and "missed:" in tags for tags in seen["shownWhenMissed"])
    assert 0 < len(seen["shownWhenMissed"]) < len(seen["sentences"])
    assert seen["scripts"] == 1  # the filter; the document's <script> is text
    assert report.outside_requests() == [] and report.console_errors == []
    assert shot.read_bytes().startswith(b"\x89PNG")


def test_predictions_page_in_chromium(tmp_path: Path) -> None:
    from arastance.view.predictions import PageSettings, Predicted, write_prediction_pages

    source = tmp_path / "doc.txt"
    source.write_text(TEXT, encoding="utf-8")
    page = tmp_path / "predictions.html"
    write_prediction_pages(page, [Predicted(str(source), TEXT, prediction_record(str(source)))], "P", PageSettings(5))
    shot = screenshot_path(tmp_path, "predictions.png")
    report = inspect_page(page, READ_PAGE, shot)
    seen = report.value

    check_page(seen, {str(source): TEXT})
    labels = {m["kind"] for m in seen["marks"]}
    assert len({seen["inText"][f"k-{k}"][0] for k in labels}) == len(labels)  # one colour per label
    assert seen["scripts"] == 1
    assert report.outside_requests() == [] and report.console_errors == []
    assert shot.read_bytes().startswith(b"\x89PNG")


def test_the_request_log_sees_a_request_leaving(tmp_path: Path) -> None:
    """The no-network assertion can fail: a page that asks for a remote image is caught."""
    page = tmp_path / "leaky.html"
    page.write_text('<!DOCTYPE html><img src="http://example.invalid/x.png"><p>x</p>', encoding="utf-8")
    assert inspect_page(page).outside_requests() == ["http://example.invalid/x.png"]
