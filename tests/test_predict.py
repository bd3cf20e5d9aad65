"""`arastance predict`: offsets into the raw text for every kind of input, nothing dropped on long
documents, batching that does not change results, and clear refusals."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from arastance.cli import main
from arastance.corpus.segment import split_sentences, tokenize_words
from arastance.errors import UserError
from arastance.predict.documents import TaskModel, load_published_model, predict_documents, raw_sentence_records
from arastance.tasks import NER, STANCE
from helpers.publish_runs import biased_copy, schema, trained_runs

# Diacritics, tatweel (also the proclitic joiner لـ), Arabic-Indic digits, a decimal, a Latin word,
# quotes, Chinese and an emoji (dropped by normalisation: fed as [UNK]), a line break.
MIXED = (
    "قالَت وزارةُ الدفاعِ الأميركيــة إن ٩٠٠ جندي ما زالوا في سوريا، ونحو 2.5 ألف في العراق.\n"
    "وأكد “قسد” لـ”التحالف” أن Pentagon لن ينسحب 中文 🙂 قريباً؟"
)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    runs = trained_runs(tmp_path_factory)
    out = tmp_path_factory.mktemp("predict-models")
    assert main(["publish", str(runs["stance_fixed"]), "--out", str(out / "stance")]) == 0
    ner_best = runs["ner_cv"] / "fold-0" / "best"  # a run's best/: settings from ../config.yaml
    return {
        "ner_best": ner_best,
        "stance": out / "stance",
        # Every word a one-word QUANTITY: each word visible as an entity (and its attributes computed).
        "ner_every_word": biased_copy(ner_best, out / "every-word", "B-QUANTITY"),
    }


@pytest.fixture(scope="module")
def ner(models: dict[str, Path]) -> TaskModel:
    return load_published_model(models["ner_best"], NER, "cpu")


@pytest.fixture(scope="module")
def every_word(models: dict[str, Path]) -> TaskModel:
    return load_published_model(models["ner_every_word"], NER, "cpu")


@pytest.fixture(scope="module")
def stance(models: dict[str, Path]) -> TaskModel:
    return load_published_model(models["stance"], STANCE, "cpu")


def words_of(text: str) -> list[tuple[int, int]]:
    return [(t.start, t.end) for t in tokenize_words(text)]


def check_record(text: str, record: dict) -> None:
    """The output contract: offsets into the raw text, labels from the schema, scores that are probabilities."""
    s = schema()
    for e in record["entities"] or []:
        assert text[e["start"] : e["end"]] == e["text"]
        assert e["label"] in s.entity_labels and 0.0 <= e["score"] <= 1.0
    for sentence in record["sentences"] or []:
        assert sentence["stance"] in s.stance_classes
        assert set(sentence["scores"]) == set(s.stance_classes)
        assert sum(sentence["scores"].values()) == pytest.approx(1.0, abs=1e-3)
    if record["sentences"] is not None:
        assert [(x["start"], x["end"]) for x in record["sentences"]] == [
            (x.start, x.end) for x in split_sentences(text)
        ]
        assert record["doc_stance"] in s.document_stance_classes


# --------------------------------------------------------------------------- the library function


@pytest.mark.slow
def test_mixed_script_document_every_word_an_entity_with_raw_offsets(every_word: TaskModel, stance: TaskModel) -> None:
    [record] = predict_documents([MIXED], every_word, stance)
    check_record(MIXED, record)
    assert [(e["start"], e["end"]) for e in record["entities"]] == words_of(MIXED)
    by_text = {e["text"]: e for e in record["entities"]}
    assert "قالَت" in by_text and "الأميركيــة" in by_text  # diacritics and tatweel kept in the raw span
    assert by_text["٩٠٠"]["value"] == 900  # Arabic-Indic digits normalised in the QUANTITY value
    assert by_text["2.5"]["value"] == 2.5
    assert {"value", "unit", "approximate"} <= set(by_text["🙂"]) and by_text["🙂"]["value"] is None
    assert len(record["sentences"]) == 2  # one per line: each ends in a terminator


@pytest.mark.slow
def test_entities_only_and_stance_only(every_word: TaskModel, stance: TaskModel) -> None:
    [entities_only] = predict_documents(["قسد في الحسكة."], ner=every_word)
    assert (
        entities_only["sentences"] is None
        and entities_only["doc_stance"] is None
        and len(entities_only["entities"]) == 4
    )
    [stance_only] = predict_documents(["قسد في الحسكة."], stance=stance)
    assert stance_only["entities"] is None and len(stance_only["sentences"]) == 1
    with pytest.raises(UserError, match="at least one model"):
        predict_documents(["x"])


@pytest.mark.slow
@pytest.mark.parametrize("text", ["", "   \n\t  \n"])
def test_empty_document_gives_an_empty_record(every_word: TaskModel, stance: TaskModel, text: str) -> None:
    [record] = predict_documents([text], every_word, stance)
    warnings = record.pop("warnings")
    assert record == {"entities": [], "sentences": [], "doc_stance": "NONE"}
    assert len(warnings) == 1 and warnings[0].startswith("no words")  # said, not a silent empty result


@pytest.mark.slow
@pytest.mark.parametrize("text", ["سوريا", "؟", "Hello", "١٢٣", "ـ", "\u064e"])
def test_one_word_documents(every_word: TaskModel, stance: TaskModel, text: str) -> None:
    [record] = predict_documents([text], every_word, stance)
    check_record(text, record)
    assert [(e["start"], e["end"]) for e in record["entities"]] == words_of(text)
    assert len(record["sentences"]) == 1


@pytest.mark.slow
def test_non_arabic_text(every_word: TaskModel, stance: TaskModel) -> None:
    text = "The Pentagon said 900 troops remain in Syria. 美国军队 🚀🚀🚀"
    [record] = predict_documents([text], every_word, stance)
    check_record(text, record)
    assert len(record["entities"]) == len(words_of(text))


@pytest.mark.slow
def test_crlf_and_leading_whitespace_offsets(every_word: TaskModel) -> None:
    text = "\r\n  قسد في الحسكة.\r\nواشنطن   باقية.\r\n"
    [record] = predict_documents([text], every_word)
    assert [(e["start"], e["end"]) for e in record["entities"]] == words_of(text)
    assert all(text[e["start"] : e["end"]] == e["text"] for e in record["entities"])


@pytest.mark.slow
def test_three_thousand_words_nothing_dropped(every_word: TaskModel, stance: TaskModel) -> None:
    """One 3000-word sentence (no terminator): many windows, yet every word gets a tag."""
    vocabulary = ["قالت", "وزارة", "الدفاع", "الأميركية", "إن", "٩٠٠", "جندي", "في", "سوريا", "والعراق"]
    text = " ".join(vocabulary[i % len(vocabulary)] for i in range(3000))
    assert len(split_sentences(text)) == 1
    [record] = predict_documents([text], every_word, stance)
    assert [(e["start"], e["end"]) for e in record["entities"]] == words_of(text)
    assert len(record["entities"]) == 3000
    assert len(record["sentences"]) == 1 and record["doc_stance"] in schema().document_stance_classes


@pytest.mark.slow
def test_long_document_word_scores_are_all_real(ner: TaskModel) -> None:
    """At the level below: each word's score row is a probability distribution, never the zero row of a dropped word."""
    from arastance.features.encode import units_from_records

    text = " ".join(["الحسكة", "قسد", "٣٠٠", "مقاتل", "،"] * 600)
    units = units_from_records(raw_sentence_records("d0", text), NER, {})
    predictions = ner.predictor.predict(units)
    n_words = sum(len(u.words) for u in units)
    assert n_words == len(words_of(text)) == 3000
    rows = np.concatenate(predictions.scores)
    assert rows.shape[0] == 3000 and np.allclose(rows.sum(axis=1), 1.0, atol=1e-4)
    assert sum(len(tags) for tags in predictions.labels) == 3000


@pytest.mark.slow
def test_batching_does_not_change_results(ner: TaskModel, stance: TaskModel) -> None:
    texts = [MIXED, "قسد.", "", " ".join(["سوريا"] * 700), "وقالت واشنطن إنها باقية. ثم غادر الوفد."]
    together = predict_documents(texts, ner, stance)
    alone = [predict_documents([t], ner, stance)[0] for t in texts]
    for a, b in zip(together, alone, strict=True):
        assert [(e["start"], e["end"], e["label"]) for e in a["entities"]] == [
            (e["start"], e["end"], e["label"]) for e in b["entities"]
        ]
        assert [s["stance"] for s in a["sentences"]] == [s["stance"] for s in b["sentences"]]
        for sa, sb in zip(a["sentences"], b["sentences"], strict=True):
            assert sa["scores"] == pytest.approx(sb["scores"], abs=2e-4)
        assert a["doc_stance"] == b["doc_stance"]


# --------------------------------------------------------------------------- model folders


@pytest.mark.slow
def test_settings_come_from_the_training_config(ner: TaskModel, stance: TaskModel) -> None:
    assert ner.settings_from.endswith("fold-0/config.yaml")
    assert stance.settings_from.endswith("training_config.yaml")
    assert dict(stance.settings.task.context) == {"title": True, "title_min_words": 4, "previous": True}
    assert ner.loaded.tokenizer.model_max_length == 512


@pytest.mark.slow
def test_folder_without_training_config_uses_configs_defaults(models: dict[str, Path], tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    for item in models["ner_best"].iterdir():
        shutil.copyfile(item, bare / item.name)
    model = load_published_model(bare, NER, "cpu")
    assert model.settings_from == "configs/ defaults" and model.settings.model.normalization == "arabert_v02"
    [record] = predict_documents(["قسد في الحسكة."], ner=model)
    check_record("قسد في الحسكة.", record)


@pytest.mark.slow
def test_wrong_task_cv_run_and_missing_folder_are_refused(models: dict[str, Path]) -> None:
    with pytest.raises(UserError, match="that is a stance model; pass it as --stance"):
        load_published_model(models["stance"], NER, "cpu")
    cv_run = models["ner_best"].parent.parent
    with pytest.raises(UserError, match=r"cross-validation run .*: one model per fold"):
        load_published_model(cv_run, NER, "cpu")
    with pytest.raises(UserError, match="no such folder; needed: one model"):
        load_published_model(cv_run / "nowhere", NER, "cpu")
    with pytest.raises(UserError, match="not a device"):
        load_published_model(models["ner_best"], NER, "gpu0")
    with pytest.raises(UserError, match="no such CUDA device"):
        load_published_model(models["ner_best"], NER, "cuda:99")


# --------------------------------------------------------------------------- the command


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict], str]:
    rc = main(["predict", *argv])
    captured = capsys.readouterr()
    return rc, [json.loads(line) for line in captured.out.splitlines()], captured.err


@pytest.mark.slow
def test_cli_files_stdin_and_errors(
    models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_bytes(MIXED.replace("\n", "\r\n").encode("utf-8"))  # CRLF must survive: offsets index the raw file
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("café".encode("latin-1"))
    rc, records, err = run_cli(
        ["--ner", str(models["ner_every_word"]), "--stance", str(models["stance"]), str(doc), str(latin1), str(empty)],
        capsys,
    )
    assert rc == 1 and "not UTF-8" in err
    assert [r["source"] for r in records] == [str(doc), str(latin1), str(empty)]
    raw = doc.read_bytes().decode("utf-8")
    check_record(raw, records[0])
    assert len(records[0]["entities"]) == len(words_of(raw))
    assert records[1] == {"source": str(latin1), "error": f"{latin1}: not UTF-8 (byte offset 3)"}
    assert records[2]["warnings"][0].startswith("no words")
    assert {k: v for k, v in records[2].items() if k != "warnings"} == {
        "source": str(empty),
        "entities": [],
        "sentences": [],
        "doc_stance": "NONE",
    }

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("قسد في الحسكة.".encode())))
    rc, records, _ = run_cli(["--stance", str(models["stance"])], capsys)  # no FILE: stdin
    assert (
        rc == 0 and records[0]["source"] == "-" and records[0]["entities"] is None and len(records[0]["sentences"]) == 1
    )


@pytest.mark.slow
def test_cli_folder_of_files_and_out_file(
    models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(12):  # more than MANY_FILES: the progress bar path (off when stderr is not a terminal)
        (folder / f"{i:02d}.txt").write_text("قسد " * (i + 1), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert (
        main(["predict", "--ner", str(models["ner_every_word"]), str(folder), "--out", str(out), "--batch-docs", "5"])
        == 0
    )
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [Path(r["source"]).name for r in records] == [f"{i:02d}.txt" for i in range(12)]
    assert [len(r["entities"]) for r in records] == list(range(1, 13))


def test_cli_needs_a_model_and_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    rc, _, err = run_cli([str(tmp_path / "a.txt")], capsys)
    assert rc == 1 and "--ner DIR and/or --stance DIR" in err
    (tmp_path / "empty").mkdir()
    rc, _, err = run_cli(["--ner", str(tmp_path), str(tmp_path / "empty")], capsys)
    assert rc == 1 and "a folder without .txt files" in err


@pytest.mark.slow
def test_a_byte_order_mark_changes_no_entity_and_offsets_count_it(every_word: TaskModel, ner: TaskModel) -> None:
    text = "قالت قسد إن القوات الأميركية باقية في الحسكة."
    marked_text = "\ufeff" + text

    def spans(record):
        return [(e["start"], e["end"], e["label"], e["text"]) for e in record["entities"]]

    for model in (every_word, ner):
        [plain], [marked] = predict_documents([text], model), predict_documents([marked_text], model)
        assert spans(marked) == [(s + 1, e + 1, label, t) for s, e, label, t in spans(plain)]
        assert all(marked_text[s:e] == t for s, e, _, t in spans(marked))
    # every word an entity: the BOM would show up as one if it were fed to the model as a word
    [marked] = predict_documents([marked_text], every_word)
    assert [(s, e) for s, e, _, _ in spans(marked)] == words_of(marked_text) and words_of(marked_text)[0][0] == 1


@pytest.mark.slow
def test_decorated_text_gives_the_plain_entities_and_stances_at_raw_offsets(
    every_word: TaskModel, ner: TaskModel, stance: TaskModel
) -> None:
    from helpers.decorate import decorate
    from test_text_edge import PLAIN, inside_words

    decorated = decorate(PLAIN, inside_words(PLAIN))
    raw = decorated.text
    for model in (every_word, ner):
        [plain], [marked] = predict_documents([PLAIN], model, stance), predict_documents([raw], model, stance)
        assert "warnings" not in marked
        check_record(raw, marked)
        assert [(e["start"], e["end"], e["label"]) for e in marked["entities"]] == [
            (*decorated.span(e["start"], e["end"]), e["label"]) for e in plain["entities"]
        ]
        assert [e["score"] for e in marked["entities"]] == pytest.approx([e["score"] for e in plain["entities"]])
        assert [(s["start"], s["end"], s["stance"]) for s in marked["sentences"]] == [
            (*decorated.span(s["start"], s["end"]), s["stance"]) for s in plain["sentences"]
        ]
        assert [s["scores"] for s in marked["sentences"]] == [pytest.approx(s["scores"]) for s in plain["sentences"]]
        assert marked["doc_stance"] == plain["doc_stance"]
    assert len(predict_documents([raw], every_word)[0]["entities"]) == len(tokenize_words(PLAIN))


@pytest.mark.slow
def test_a_document_of_unknown_words_is_reported(
    models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = tmp_path / "foreign.txt"
    foreign.write_text("这是一个 中文 文件。 שלום עולם.\n", encoding="utf-8")
    arabic = tmp_path / "arabic.txt"
    arabic.write_text("قالت قسد إن القوات باقية في الحسكة.\n", encoding="utf-8")
    rc, records, err = run_cli(["--ner", str(models["ner_best"]), str(arabic), str(foreign)], capsys)
    assert rc == 0 and "warnings" not in records[0]
    [warning] = records[1]["warnings"]
    assert "5 of 5 words (100%) are unknown to the model" in warning
    assert f"arastance predict: warning: {foreign}: {warning}" in err and str(arabic) not in err


@pytest.mark.slow
def test_cli_html_page_and_view_show_every_document(
    models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # sources relative to where predict ran: view reads them from there too
    for name, text in (("a.txt", "قال مسؤول في قسد إن القوات باقية. <b>x</b> &amp;"), ("b.txt", "الحسكة.")):
        Path(name).write_text(text, encoding="utf-8")
    models_args = ["--ner", str(models["ner_every_word"]), "--stance", str(models["stance"])]
    assert main(["predict", *models_args, "a.txt", "b.txt", "--out", "p.jsonl", "--html", "p.html"]) == 0
    assert len(Path("p.jsonl").read_text(encoding="utf-8").splitlines()) == 2  # the JSON lines as without --html
    page = Path("p.html").read_text(encoding="utf-8")
    assert page.count('<article class="document"') == 2 and "Who holds which stance" in page
    assert "&lt;" in page and "&amp;" in page and "<b>" not in page  # markup in a document is text
    capsys.readouterr()
    assert main(["view", "p.jsonl", "--out", "v.html"]) == 0
    assert Path("v.html").read_text(encoding="utf-8").count('<article class="document"') == 2
