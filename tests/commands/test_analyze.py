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


def test_a_text_past_the_per_character_cap_is_refused_and_limit_analyses_its_start(files, capsys, monkeypatch):
    from rnn_tui.commands import analyze

    monkeypatch.setattr(analyze, "MAX_TEXT_BYTES", 20 * analyze.PER_CHARACTER)  # 20 characters fit
    text, model = files
    code, _, err = run(capsys, text, model)
    assert code == 2 and "--limit" in err
    code, out, _ = run(capsys, text, model, "--limit", "20", "-f", "line-pos")
    assert code == 0 and "20 characters" in out


def test_exports_are_not_replaced_without_force(files, capsys, tmp_path):
    text, model = files
    html = tmp_path / "k.html"
    html.write_text("someone's earlier work")
    code, out, err = run(capsys, text, model, "-f", "quotes", "--html", html)
    assert code == 2 and "exists; --force replaces it" in err and err.count("\n") == 1
    assert html.read_text() == "someone's earlier work"
    assert run(capsys, text, model, "-f", "quotes", "--html", html, "--force")[0] == 0
    assert html.read_text().startswith("<!DOCTYPE html>")


def test_an_unwritable_svg_is_one_line_and_leaves_no_page_without_its_picture(files, capsys, tmp_path):
    text, model = files
    (tmp_path / "a-file").write_text("x")
    html, svg = tmp_path / "k.html", tmp_path / "a-file" / "k.svg"  # a folder that cannot exist
    code, out, err = run(capsys, text, model, "-f", "quotes", "--html", html, "--svg", svg)
    assert code == 2 and "cannot write" in err and err.count("\n") == 1
    assert not html.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".k.html")]


def test_a_full_disk_leaves_neither_export(files, capsys, tmp_path, monkeypatch):
    import errno
    import os

    text, model = files
    real_fsync = os.fsync
    calls = []

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 2:  # the second file of the pair
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    html, svg = tmp_path / "k.html", tmp_path / "k.svg"
    code, out, err = run(capsys, text, model, "-f", "quotes", "--html", html, "--svg", svg)
    assert code == 2 and "No space left on device" in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.txt", "w.safetensors"]


def test_a_regex_that_backtracks_for_ever_is_one_line(files, capsys, monkeypatch):
    """`analyze -e '(.*)*X'` ran on past 30 s: a pattern now has a time limit."""
    from rnn_tui.analysis import features

    monkeypatch.setattr(features, "TIME_LIMIT", 0.2)
    text, model = files
    code, out, err = run(capsys, text, model, "-f", "quotes", "-e", "(?s)(.*e){9}Q")
    assert code == 2 and "took more than 0.2 s" in err and err.count("\n") == 1


def test_a_text_whose_per_character_arrays_would_pass_the_cap_is_one_line(tmp_path, capsys):
    """With a 1-unit model the units cost 1 B a character, but the features ~355 B: 8 M characters took 2.8 GB."""
    from rnn_tui.commands.analyze import MAX_TEXT_BYTES, PER_CHARACTER
    from rnn_tui.core.cells import Config
    from rnn_tui.core.checkpoint import save
    from tests.factories import ASCII_VOCAB, random_tensors

    config = Config("rnn", 1, 1, len(ASCII_VOCAB))
    model = save(tmp_path / "tiny.safetensors", config, ASCII_VOCAB, random_tensors(config))
    n = MAX_TEXT_BYTES // PER_CHARACTER + 1
    text = tmp_path / "long.txt"
    text.write_text(("abc def\n" * (n // 8 + 1))[:n])
    code, out, err = run(capsys, text, model)
    assert code == 2 and f"{n:,} characters; analysing takes about 400 bytes a character" in err
    assert err.count("\n") == 1
    assert run(capsys, text, model, "--limit", "1000", "-f", "upper")[0] == 0
