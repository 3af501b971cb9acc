"""`rnn-tui info`: columns that line up whatever the keys, and one short line per value."""

from __future__ import annotations

from rnn_tui.__main__ import main
from rnn_tui.core.cells import Config
from rnn_tui.core.checkpoint import save
from tests.factories import ASCII_VOCAB, random_tensors

CONFIG = Config("rnn", 1, 8, len(ASCII_VOCAB))


def test_info_lines_up_values_after_keys_of_any_length(tmp_path, capsys):
    prov = {"corpus": "c.txt", "a_rather_long_provenance_key": 1, "imported_from": "x.pt", "passage": "ab\ncd"}
    path = save(tmp_path / "m.safetensors", CONFIG, ASCII_VOCAB, random_tensors(CONFIG), prov)
    assert main(["info", str(path)]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    starts = {row.index(row.split(None, 1)[1]) for row in rows}
    assert len(starts) == 1, rows
    assert "  passage" in "\n".join(rows) and "ab↵cd" in "\n".join(rows)


def test_info_shows_a_64_kib_passage_as_one_clipped_line(tmp_path, capsys):
    path = save(tmp_path / "m.safetensors", CONFIG, ASCII_VOCAB, random_tensors(CONFIG),
                {"passage": "To be or not to be\n" * 3500, "cells": [{"name": "quote", "unit": 3}] * 100})
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert max(map(len, out.splitlines())) < 160 and out.count("\n") == 7


def test_info_without_a_model_lists_the_bundled_ones_in_columns(capsys):
    assert main(["info"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows and len({row.index(row.split()[1]) for row in rows}) == 1
