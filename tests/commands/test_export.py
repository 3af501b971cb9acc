"""`rnn-tui export`: every quantity of every layer per character, with the characters and top-k, as npz or csv."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from rnn_tui.__main__ import main
from rnn_tui.commands import export
from rnn_tui.core.checkpoint import load

TEXT = 'He said, "to be\nor not", then left.\n'


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(TEXT)
    return path


def run_step_by_step(ckpt, text):
    """What the viewer computes, one `Model.step` a character from a zero state: acts, logits."""
    _, logits, acts = ckpt.model().run(ckpt.vocab.encode(text))
    return acts, logits


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_npz_holds_every_quantity_of_every_layer_under_documented_names(make_checkpoint, text_file, tmp_path, cell):
    path = make_checkpoint(cell, layers=2, hidden=16)
    ckpt = load(path)
    out = tmp_path / "a.npz"
    assert main(["export", str(path), str(text_file), "--out", str(out), "--top-k", "3"]) == 0
    z = np.load(out)
    T, H, V = len(TEXT), 16, len(ckpt.vocab)
    quantities = ckpt.config.quantities
    expected = {"chars", "ids", "vocab", "logits", "p_next", "top_ids", "top_chars", "top_probs", "meta"}
    expected |= {f"{q}_l{k}" for k in range(2) for q in quantities}
    assert set(z.files) == expected
    assert "".join(z["chars"]) == TEXT and list(z["vocab"]) == list(ckpt.vocab.chars)
    assert z["ids"].shape == (T,) and z["logits"].shape == (T, V) and z["p_next"].shape == (T,)
    assert z["top_ids"].shape == z["top_chars"].shape == z["top_probs"].shape == (T, 3)
    acts, logits = run_step_by_step(ckpt, TEXT)
    for k in range(2):
        for qi, q in enumerate(quantities):
            assert z[f"{q}_l{k}"].shape == (T, H) and z[f"{q}_l{k}"].dtype == np.float32
            np.testing.assert_allclose(z[f"{q}_l{k}"], acts[:, k, qi], atol=2e-5)
    np.testing.assert_allclose(z["logits"], logits, atol=2e-5)
    meta = json.loads(str(z["meta"]))
    assert meta["quantities"] == list(quantities) and meta["layers"] == 2 and meta["cell"] == cell


def test_top_k_and_next_character_probability_come_from_the_logits(lstm_checkpoint, text_file, tmp_path):
    out = tmp_path / "a.npz"
    assert main(["export", str(lstm_checkpoint), str(text_file), "--out", str(out)]) == 0
    z = np.load(out)
    p = np.exp(z["logits"].astype(np.float64))
    p /= p.sum(axis=1, keepdims=True)
    for t in range(len(TEXT)):
        order = np.argsort(-p[t], kind="stable")[:5]
        assert list(z["top_ids"][t]) == list(order)
        assert list(z["top_chars"][t]) == [z["vocab"][i] for i in order]
        np.testing.assert_allclose(z["top_probs"][t], p[t, order], rtol=1e-5)
    np.testing.assert_allclose(z["p_next"][:-1], p[np.arange(len(TEXT) - 1), z["ids"][1:]], rtol=1e-5)
    assert np.isnan(z["p_next"][-1])


def test_csv_has_one_row_a_character_and_one_column_a_unit(make_checkpoint, text_file, tmp_path):
    path = make_checkpoint("gru", layers=2, hidden=16)
    npz, table = tmp_path / "a.npz", tmp_path / "a.csv"
    assert main(["export", str(path), str(text_file), "--out", str(npz)]) == 0
    assert main(["export", str(path), str(text_file), "--out", str(table)]) == 0  # format from the suffix
    z = np.load(npz)
    with open(table, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    assert head[:3] == ["position", "char", "id"] and head[3] == "r_l0_0" and head[3 + 16 * 4] == "r_l1_0"
    assert head[-11:] == ["p_next"] + [f"top{r}_{w}" for r in range(1, 6) for w in ("char", "p")]
    assert len(body) == len(TEXT) and all(len(r) == len(head) for r in body)
    assert "".join(r[1] for r in body) == TEXT  # quotes, commas and newlines survive the quoting
    col = head.index("h_l1_7")
    np.testing.assert_allclose([float(r[col]) for r in body], z["h_l1"][:, 7], rtol=1e-5, atol=1e-6)
    assert [r[head.index("top1_char")] for r in body] == list(z["top_chars"][:, 0])


def test_start_and_length_pick_a_part_of_the_text(lstm_checkpoint, text_file, tmp_path):
    out = tmp_path / "a.npz"
    assert main(["export", str(lstm_checkpoint), str(text_file), "--out", str(out), "--start", "3", "--length",
                 "10"]) == 0
    assert "".join(np.load(out)["chars"]) == TEXT[3:13]


def test_unknown_characters_are_named_or_skipped(lstm_checkpoint, tmp_path, capsys):
    text = tmp_path / "u.txt"
    text.write_text("caf\u00e9 \u2603 ok")
    out = tmp_path / "a.npz"
    assert main(["export", str(lstm_checkpoint), str(text), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "2 character(s) outside the model's vocabulary: 'é☃'" in err and "--skip-unknown" in err
    assert not out.exists()
    assert main(["export", str(lstm_checkpoint), str(text), "--out", str(out), "--skip-unknown"]) == 0
    assert "".join(np.load(out)["chars"]) == "caf  ok"


def test_an_existing_file_is_kept_without_force(lstm_checkpoint, text_file, tmp_path, capsys):
    out = tmp_path / "a.npz"
    out.write_bytes(b"earlier work")
    assert main(["export", str(lstm_checkpoint), str(text_file), "--out", str(out)]) == 2
    assert "exists; --force replaces it" in capsys.readouterr().err and out.read_bytes() == b"earlier work"
    assert main(["export", str(lstm_checkpoint), str(text_file), "--out", str(out), "--force"]) == 0
    assert len(np.load(out)["chars"]) == len(TEXT)


def test_too_large_an_export_says_how_much_to_take(lstm_checkpoint, text_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(export, "MAX_BYTES", 10_000)
    assert main(["export", str(lstm_checkpoint), str(text_file), "--out", str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err
    assert "export at most" in err and "--start, --length" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv, message", [
    (["--top-k", "0"], "--top-k must be 1 or more"),
    (["--length", "0"], "--length 1 or more"),
    (["--format", "xlsx"], "invalid choice: 'xlsx'"),
    (["--start", "1000"], "nothing to export"),
])
def test_bad_options_are_one_line(lstm_checkpoint, text_file, tmp_path, capsys, argv, message):
    assert main(["export", str(lstm_checkpoint), str(text_file), "--out", str(tmp_path / "a.npz"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_place_that_cannot_be_written_is_one_line(lstm_checkpoint, text_file, capsys):
    out = text_file / "a.npz"  # under a file, not a folder
    assert main(["export", str(lstm_checkpoint), str(text_file), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "t.txt/a.npz: cannot write: " in err and err.count("\n") == 1
