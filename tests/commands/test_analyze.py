"""`rnn-tui analyze FILE [MODEL]`: the ranked list, exports, and one clear line for every bad input."""

from __future__ import annotations

import pytest

from rnn_tui.__main__ import main
from tests.analysis.test_finder import TEXT
from tests.analysis.wired import COUNTER, QUOTE, write_wired


@pytest.fixture
def files(tmp_path):
    text = tmp_path / "t.txt"
    text.write_text(TEXT)
    return text, write_wired(tmp_path / "w.safetensors")


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["analyze", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_ranked_list_names_the_wired_units_first(files, capsys):
    text, model = files
    code, out, _ = run(capsys, text, model, "--top", "1")
    assert code == 0
    lines = out.splitlines()
    assert lines[lines.index(next(s for s in lines if s.startswith("position in line"))) + 1].split()[1:4] == \
        ["L1", "c", str(COUNTER)]
    quotes = next(n for n, s in enumerate(lines) if s.startswith("inside quotes"))
    assert f"L1 h {QUOTE}" in lines[quotes + 1] or f"L1 c {QUOTE}" in lines[quotes + 1]
    assert "speaker-name line: does not occur in this text" in out


def test_a_regex_is_ranked_and_exports_are_written(files, capsys, tmp_path):
    text, model = files
    html, svg = tmp_path / "k.html", tmp_path / "k.svg"
    code, out, _ = run(capsys, text, model, "-f", "quotes", "-e", '"[^"]*"', "--html", html, "--svg", svg)
    assert code == 0 and '/"[^"]*"/' in out
    assert html.read_text().startswith("<!DOCTYPE html>") and svg.read_text().startswith("<svg")


@pytest.mark.parametrize("content, argv, message", [
    ("", [], "empty, nothing to analyse"),
    (b"\xff\xfe\x00binary", [], "not UTF-8 text"),
    ("abc\x00def", [], "binary file"),
    ("hello", ["-e", "(oops"], "invalid regular expression"),
    ("hello", ["-f", "nonsense"], "unknown feature 'nonsense'"),
    ("hello", ["--top", "0"], "at least 1"),
])
def test_bad_input_is_one_line_and_exit_status_2(files, capsys, tmp_path, content, argv, message):
    _, model = files
    path = tmp_path / "bad.txt"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, out, err = run(capsys, path, model, *argv)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_characters_outside_the_vocabulary_are_reported_not_fatal(files, capsys, tmp_path):
    _, model = files
    path = tmp_path / "odd.txt"
    path.write_text("caf\u00e9 \u00e9t\u00e9\n" * 30)
    code, out, err = run(capsys, path, model, "-f", "line-pos")
    assert code == 0 and "note: 90 character(s)" in err and "é" in err


def test_a_text_larger_than_the_memory_bound_is_ranked_in_blocks_with_the_same_result(files, capsys, monkeypatch):
    from rnn_tui.analysis import capture

    text, model = files
    code, whole, _ = run(capsys, text, model, "--top", "5")
    monkeypatch.setattr(capture, "MAX_ANALYSIS_BYTES", 1000)  # a few units per pass over the text
    code2, blocks, _ = run(capsys, text, model, "--top", "5")
    assert code == code2 == 0
    assert whole.splitlines()[1:] == blocks.splitlines()[1:]  # the first line holds the time taken
