"""`arastance score` through the real dispatcher (arastance.cli.main)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arastance.cli import main
from arastance.scoring.scorer import read_conll, score_sequences

FIXTURES = Path(__file__).parent / "fixtures" / "conll"
SAMPLE = FIXTURES / "sample.conll"

# sample.conll, 3 sentences (a -DOCSTART- line first). Gold: PER, NORP, GPE | QUANTITY(3 tok),
# LOC(2 tok) | GPE, DATE = 7 entities. Predictions: PER, NORP, GPE | QUANTITY cut to 1 token,
# "O I-LOC" | ORG for the GPE, DATE.
#   strict:    pred = PER NORP GPE QUANTITY' ORG DATE (the stray I-LOC is no entity) = 6, correct 4
#              -> micro P 4/6, R 4/7, F 2*(4/6)(4/7)/((4/6)+(4/7)) = 8/13
#   conlleval: the stray I-LOC is a LOC chunk (wrong boundary) -> pred 7, correct 4 -> P = R = F = 4/7
EXPECTED_MICRO = {"strict": (4 / 6, 4 / 7, 8 / 13), "conlleval": (4 / 7, 4 / 7, 4 / 7)}


@pytest.mark.parametrize("mode", ["strict", "conlleval"])
def test_json_output_is_exactly_score_sequences(mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(SAMPLE), "--mode", mode, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    sentences = read_conll(SAMPLE.read_text(encoding="utf-8"))
    gold = [[g for _, g, _ in s] for s in sentences]
    pred = [[p for _, _, p in s] for s in sentences]
    assert out == score_sequences(gold, pred, mode)
    micro = out["micro"]
    assert (micro["precision"], micro["recall"], micro["f1"]) == pytest.approx(EXPECTED_MICRO[mode], abs=1e-6)
    assert micro["support"] == 7
    assert out["labels"]["ORG"]["support"] == 0  # predicted-only label is listed


def test_default_is_an_aligned_strict_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(SAMPLE)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "mode: strict"
    header = lines[1].split()
    assert header == ["label", "precision", "recall", "f1", "support"]
    names = [line.split()[0] for line in lines[2:] if not line.startswith("-")]
    assert names == ["DATE", "GPE", "LOC", "NORP", "ORG", "PER", "QUANTITY", "micro", "macro", "weighted"]
    table = [line for line in lines[1:] if not line.startswith("-")]
    assert len({len(line) for line in table}) == 1  # every row as wide as the header: columns aligned
    micro = next(line for line in lines if line.startswith("micro")).split()
    assert micro == ["micro", "0.6667", "0.5714", "0.6154", "7"]


def test_no_entities_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.conll"
    path.write_text("a O O\nb O O\n", encoding="utf-8")
    assert main(["score", str(path), "--mode", "conlleval"]) == 0
    out = capsys.readouterr().out
    assert "(no entities in gold or predictions)" in out
    assert "micro" in out and "nan" not in out.lower()


def test_missing_file_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.conll"
    assert main(["score", str(missing)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("arastance score: ") and str(missing) in err and "no such file" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "content,line,fragment",
    [
        ("a O O\n\nb B-PER\n", 3, "expected 3 columns"),
        ("a O O\nb E-PER O\n", 2, "gold tag 'E-PER'"),
    ],
)
def test_malformed_line_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, line: int, fragment: str
) -> None:
    path = tmp_path / "bad.conll"
    path.write_text(content, encoding="utf-8")
    assert main(["score", str(path), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{path}: line {line}: " in captured.err and fragment in captured.err
    assert "Traceback" not in captured.err


def test_directory_and_non_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(tmp_path)]) == 1
    assert "is a directory" in capsys.readouterr().err
    path = tmp_path / "latin1.conll"
    path.write_bytes("é O O\n".encode("latin-1"))
    assert main(["score", str(path)]) == 1
    assert "not UTF-8" in capsys.readouterr().err


def test_bad_mode_is_rejected_by_argparse(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["score", str(SAMPLE), "--mode", "loose"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("content", ["", "\n\n", "-DOCSTART- O O\n\n", "\ufeff\n"])
def test_a_file_without_tokens_is_an_error_not_zeros(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    path = tmp_path / "empty.conll"
    path.write_text(content, encoding="utf-8")
    assert main(["score", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and f"{path}: " in captured.err and "no `token gold pred` line to score" in captured.err
