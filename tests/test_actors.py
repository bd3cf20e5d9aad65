"""`arastance actors`: the gold's own holder counts reproduced, the output files, the figure's bounds."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from arastance.actors.aliases import alias_table_from_mapping, load_alias_table
from arastance.actors.output import actor_figure, held_rows
from arastance.actors.summary import COLUMNS, document_from_gold, stance_columns, summarise
from arastance.cli import main
from arastance.errors import UserError
from arastance.gold.io import read_gold_dir
from arastance.holders.rules import load_rules
from helpers.figures import texts_outside

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "annotations" / "gold"
ALIASES = ROOT / "configs" / "actors" / "aliases.yaml"
RULES = ROOT / "configs" / "holders" / "rules.yaml"


@pytest.fixture(scope="module")
def gold_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("actors")
    assert main(["actors", "--gold", str(GOLD), "--out", str(out)]) == 0
    return out


def read_rows(out: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(out / "actors.csv", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def expected_gold_holders() -> tuple[Counter[tuple[str, str]], Counter[str]]:
    """(actor, stance) → sentences, straight from the gold JSON and the two YAML files, by verbatim lookup
    of the holder text in the alias lists (no normalisation, no proclitic stripping), a reporting verb
    (with its conjunction) as the implicit speaker; and the authorial sentences per stance."""
    aliases = yaml.safe_load(ALIASES.read_text(encoding="utf-8"))
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    form_to_actor = {form: actor for actor, forms in aliases["actors"].items() for form in forms}
    verbs = {v for group in rules["reporting_verbs"] for v in group}
    verbs |= {c + v for c in rules["conjunctions"] for v in verbs}
    held: Counter[tuple[str, str]] = Counter()
    authorial: Counter[str] = Counter()
    for path in sorted(GOLD.glob("*.json")):
        for sentence in json.loads(path.read_text(encoding="utf-8"))["sentences"]:
            if sentence["stance"] == rules["no_stance"]:
                continue
            holder = sentence["holder"]
            if holder is None:
                authorial[sentence["stance"]] += 1
            elif holder["text"] in verbs:
                held[(aliases["implicit_speaker"], sentence["stance"])] += 1
            else:
                held[(form_to_actor.get(holder["text"], holder["text"]), sentence["stance"])] += 1
    return held, authorial


def test_gold_table_reproduces_the_gold_holder_counts(gold_out: Path) -> None:
    expected, authorial = expected_gold_holders()
    _, rows = read_rows(gold_out)
    got: Counter[tuple[str, str]] = Counter()
    for row in rows:
        for stance in ("PRO_STAY", "PRO_WITHDRAWAL"):
            if int(row[stance.lower()]):
                got[(row["actor"], stance)] = int(row[stance.lower()])
    assert got == expected
    assert sum(expected.values()) + sum(authorial.values()) == sum(
        1
        for p in GOLD.glob("*.json")
        for s in json.loads(p.read_text(encoding="utf-8"))["sentences"]
        if s["stance"] != "NONE"
    )
    md = (gold_out / "actors.md").read_text(encoding="utf-8")
    assert f"{authorial['PRO_STAY']} PRO_STAY, {authorial['PRO_WITHDRAWAL']} PRO_WITHDRAWAL" in md


def test_gold_table_columns_and_one_row_per_actor(gold_out: Path) -> None:
    header, rows = read_rows(gold_out)
    assert header == list(COLUMNS) == ["actor", "forms", "mentions", "pro_stay", "pro_withdrawal", "documents"]
    actors = [r["actor"] for r in rows]
    assert len(actors) == len(set(actors))
    n_docs = len(list(GOLD.glob("*.json")))
    assert all(1 <= int(r["documents"]) <= n_docs for r in rows)
    # Proclitic forms are merged into their actor: "لقسد" and "وقوات سوريا الديمقراطية" are قسد.
    sdf = next(r for r in rows if "قسد" in r["forms"].split("; "))
    assert {"لقسد", "وقوات سوريا الديمقراطية", "قوات سوريا الديمقراطية"} <= set(sdf["forms"].split("; "))
    # Every eligible gold entity mention is counted once, plus the holders that are not entity mentions.
    docs = [d.doc for d in read_gold_dir(GOLD).documents]
    eligible = {"PER", "ORG", "GPE", "NORP"}
    entity_mentions = sum(1 for d in docs for e in d.entities if e.label in eligible)
    loose_holders = sum(
        1
        for d in docs
        for s in d.sentences
        if s.holder
        and not any(e.label in eligible and e.start < s.holder.end and s.holder.start < e.end for e in d.entities)
    )
    assert sum(int(r["mentions"]) for r in rows) == entity_mentions + loose_holders


def test_png_exists_and_no_text_leaves_the_figure(gold_out: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    assert (gold_out / "actors.png").stat().st_size > 0
    rules = load_rules(RULES)
    docs = [document_from_gold(d.doc, rules) for d in read_gold_dir(GOLD).documents]
    columns = stance_columns(["PRO_STAY", "PRO_WITHDRAWAL", "NONE"], "NONE")
    summary = summarise(docs, load_alias_table(ALIASES), rules, [*columns, "NONE"])
    fig = actor_figure(
        held_rows(summary.rows, columns),
        "PRO_WITHDRAWAL",
        "PRO_STAY",
        "Who holds which stance — a long title for the gold",
    )
    assert texts_outside(fig) == []  # every title, label and tick label, measured one by one
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    # The union of everything drawn (matplotlib leaves out ticks outside the view) lies inside the page.
    drawn, page = fig.get_tightbbox(renderer), fig.bbox_inches
    assert drawn.x0 >= page.x0 - 0.01 and drawn.x1 <= page.x1 + 0.01, (drawn, page)
    assert drawn.y0 >= page.y0 - 0.01 and drawn.y1 <= page.y1 + 0.01, (drawn, page)
    [ax] = fig.axes
    names = [t for t in ax.get_yticklabels() if t.get_text()]
    assert len(names) == len(held_rows(summary.rows, columns))
    for name in names:  # every actor name, however long, is inside the figure
        box = name.get_window_extent(renderer)
        assert box.x0 >= fig.bbox.x0 - 1 and box.x1 <= fig.bbox.x1 + 1, name.get_text()


def test_prediction_files_are_read_directly(tmp_path: Path) -> None:
    text = "وقال الوزير لويد أوستن إن القوات باقية."
    start = text.index("لويد أوستن")
    record = {
        "source": "a.txt",
        "entities": [{"start": start, "end": start + 10, "label": "PER", "score": 0.9, "text": "لويد أوستن"}],
        "sentences": [
            {
                "start": 0,
                "end": len(text),
                "stance": "PRO_STAY",
                "scores": {},
                "holder": {"start": start, "end": start + 10, "text": "لويد أوستن"},
            }
        ],
        "doc_stance": "PRO_STAY",
    }
    authorial = {**record, "source": "b.txt", "entities": [], "sentences": [{**record["sentences"][0], "holder": None}]}
    path = tmp_path / "pred.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (record, authorial)) + "\n", encoding="utf-8")
    assert main(["actors", str(path), "--out", str(tmp_path / "out")]) == 0
    _, rows = read_rows(tmp_path / "out")
    assert rows == [
        {
            "actor": "لويد أوستن",
            "forms": "لويد أوستن",
            "mentions": "1",
            "pro_stay": "1",
            "pro_withdrawal": "0",
            "documents": "1",
        }
    ]
    assert "1 PRO_STAY, 0 PRO_WITHDRAWAL" in (tmp_path / "out" / "actors.md").read_text(encoding="utf-8")


def test_bad_inputs_are_user_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old.jsonl"
    old.write_text(
        json.dumps(
            {"source": "a.txt", "entities": [], "sentences": [{"start": 0, "end": 3, "stance": "NONE", "scores": {}}]}
        )
        + "\n",
        encoding="utf-8",
    )
    assert main(["actors", str(old), "--out", str(tmp_path / "o")]) == 1
    assert f"{old}:1: sentences without `stance`/`holder`" in capsys.readouterr().err
    assert main(["actors", "--out", str(tmp_path / "o")]) == 1
    assert "either INPUT files or --gold" in capsys.readouterr().err
    text = tmp_path / "a.txt"
    text.write_text("نص.", encoding="utf-8")
    assert main(["actors", str(text), "--out", str(tmp_path / "o")]) == 1
    assert "--ner DIR --stance DIR" in capsys.readouterr().err


def test_a_form_under_two_actors_is_refused() -> None:
    with pytest.raises(UserError, match="listed under both"):
        alias_table_from_mapping({"actors": {"A": ["قسد"], "B": ["قسد"]}}, "aliases.yaml")


@pytest.mark.parametrize("content", ["", "\n  \n"], ids=["empty", "blank-lines"])
def test_an_empty_predictions_file_is_refused_not_summarised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text(content, encoding="utf-8")
    assert main(["actors", str(empty), "--out", str(tmp_path / "o")]) == 1
    assert f"{empty}: no prediction records" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
