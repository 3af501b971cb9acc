"""`rnn-tui eval` and `.pt` import."""

from __future__ import annotations

import lzma
import math
import re
import sys

import numpy as np
import pytest

from rnn_tui.__main__ import main
from rnn_tui.core import checkpoint
from rnn_tui.core.cells import Config
from rnn_tui.core.errors import CheckpointError
from rnn_tui.core.pieces import SCORE_PIECES, SCORE_WARMUP
from rnn_tui.core.text import held_out
from rnn_tui.core.vocab import Vocab
from rnn_tui.interop import load_model

TEXT = "Now is the winter of our discontent\nMade glorious summer by this sun of York;\n" * 12


def make_checkpoint(path, text=TEXT, cell="lstm", seed=0):
    vocab = Vocab.from_text(text)
    config = Config(cell, 2, 12, len(vocab))
    rng = np.random.default_rng(seed)
    tensors = {k: rng.normal(0, 0.4, s).astype(np.float32) for k, s in config.shapes().items()}
    return checkpoint.save(path, config, vocab, tensors, {"corpus": "test"})


def numbers(out: str) -> tuple[float, float]:
    m = re.search(r"([\d.]+) nats/char, ([\d.]+) bits/char", out)
    assert m, out
    return float(m.group(1)), float(m.group(2))


@pytest.fixture
def files(tmp_path):
    ckpt = make_checkpoint(tmp_path / "m.safetensors")
    text = tmp_path / "t.txt"
    text.write_text(TEXT)
    return ckpt, text


def test_eval_prints_held_out_loss_exactly_on_a_short_text(files, capsys):
    ckpt_path, text = files
    assert main(["eval", str(text), "-m", str(ckpt_path)]) == 0
    out = capsys.readouterr().out
    nats, bits = numbers(out)
    ckpt = checkpoint.load(ckpt_path)
    expected = ckpt.model().nll(ckpt.vocab.encode(held_out(TEXT)), streams=1)
    assert "exact, one stream" in out
    assert nats == pytest.approx(expected, abs=1e-4)
    assert bits == pytest.approx(expected / math.log(2), abs=1e-4)


@pytest.mark.parametrize("flags,part,streams", [(["--all"], TEXT, 1), (["--exact"], held_out(TEXT), 1),
                                                (["--streams"], held_out(TEXT), SCORE_PIECES),
                                                (["--all", "--streams"], TEXT, SCORE_PIECES),
                                                (["--val-frac", "0.2"], held_out(TEXT, 0.2), 1)])
def test_eval_options(files, capsys, flags, part, streams):
    ckpt_path, text = files
    assert main(["eval", str(ckpt_path), str(text), *flags]) == 0
    nats, _ = numbers(capsys.readouterr().out)
    ckpt = checkpoint.load(ckpt_path)
    assert nats == pytest.approx(ckpt.model().nll(ckpt.vocab.encode(part), streams=streams), abs=1e-4)


def test_eval_reads_xz(files, tmp_path, capsys):
    ckpt_path, _ = files
    xz = tmp_path / "t.txt.xz"
    xz.write_bytes(lzma.compress(TEXT.encode()))
    assert main(["eval", str(ckpt_path), str(xz), "--all"]) == 0
    ckpt = checkpoint.load(ckpt_path)
    expected = ckpt.model().nll(ckpt.vocab.encode(TEXT), streams=1)
    assert numbers(capsys.readouterr().out)[0] == pytest.approx(expected, abs=1e-4)


def test_eval_scores_a_long_text_in_streams_and_says_so(files, capsys, monkeypatch):
    from rnn_tui.commands import eval as eval_command

    monkeypatch.setattr(eval_command, "EXACT_MAX_CHARS", 100)
    ckpt_path, text = files
    long = TEXT * 12  # 11,232 characters: 5 pieces of at least 8 warm-ups each
    text.write_text(long)
    assert main(["eval", str(text), "-m", str(ckpt_path), "--all"]) == 0
    out = capsys.readouterr().out
    ckpt = checkpoint.load(ckpt_path)
    ids = ckpt.vocab.encode(long)
    nats = numbers(out)[0]
    assert nats == pytest.approx(ckpt.model().nll(ids, streams=SCORE_PIECES), abs=1e-4)
    assert f"5 pieces side by side, each after the {SCORE_WARMUP} characters before it" in out
    assert nats == pytest.approx(ckpt.model().nll(ids, streams=1), abs=0.02)  # near the exact figure


def test_eval_unknown_characters_are_named(files, tmp_path, capsys):
    ckpt_path, _ = files
    other = tmp_path / "other.txt"
    other.write_text("Zebra\x1b[31m quartz")
    assert main(["eval", str(ckpt_path), str(other), "--all"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rnn-tui: error: ") and "outside the model's vocabulary" in err
    assert "Z" in err and "␛" in err and "\x1b" not in err  # shown through safe glyphs, never raw


@pytest.mark.parametrize("args,expected", [(["nope.safetensors", "t.txt"], "no such file"),
                                           (["m.safetensors", "nope.txt"], "no such file"),
                                           (["m.safetensors", "t.txt", "--val-frac", "2"], "--val-frac")])
def test_eval_errors(files, capsys, monkeypatch, args, expected):
    monkeypatch.chdir(files[0].parent)
    assert main(["eval", *args]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and expected in err


# -- .pt import ----------------------------------------------------------------------


torch = pytest.importorskip("torch")


class NotebookLSTM(torch.nn.Module):
    """What a student writes in a notebook: other attribute names than ours."""

    def __init__(self, vocab_size: int, embed: int | None, cell: str = "lstm"):
        super().__init__()
        self.embed_dim = embed
        if embed:
            self.embedding = torch.nn.Embedding(vocab_size, embed)
        module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        setattr(self, cell, module(embed or vocab_size, 10, 2, batch_first=True))
        self.cell = cell
        self.fc = torch.nn.Linear(10, vocab_size)

    def forward(self, ids):
        x = self.embedding(ids) if self.embed_dim else torch.nn.functional.one_hot(ids, self.fc.out_features).float()
        out, _ = getattr(self, self.cell)(x)
        return self.fc(out)


@pytest.mark.parametrize("cell,embed", [("lstm", None), ("gru", 5), ("rnn", None)])
def test_pt_round_trip(tmp_path, cell, embed):
    torch.manual_seed(0)
    vocab = Vocab.from_text(TEXT)
    net = NotebookLSTM(len(vocab), embed, cell)
    path = tmp_path / "notebook.pt"
    torch.save({"state_dict": net.state_dict(), "vocab": list(vocab.chars), "cell": cell}, path)
    ckpt = load_model(path)
    assert (ckpt.config.cell, ckpt.config.layers, ckpt.config.hidden, ckpt.config.embed_dim) == (cell, 2, 10, embed)
    ids = vocab.encode(TEXT[:80])
    with torch.no_grad():
        expected = net(torch.from_numpy(ids)[None])[0].numpy()
    _, logits, _ = ckpt.model().forward(ids)
    np.testing.assert_allclose(logits, expected, atol=1e-5)


class Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pt_refuses_pickled_code(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    torch.save({"state_dict": {}, "vocab": ["a"], "cell": "lstm", "x": Evil()}, path)
    with pytest.raises(CheckpointError, match=r"Unsupported global: [a-z.]*print\), which rnn-tui never unpickles"):
        load_model(path)
    assert "must never run" not in capsys.readouterr().out


@pytest.mark.parametrize("obj,problem", [([1, 2], "expected a state dict"), ({"vocab": ["a"]}, "no state dict in it"),
                                         ({"state_dict": {}, "vocab": ["a"], "cell": "lstm"}, "holds no tensors"),
                                         ({"state_dict": {"fc.weight": torch.zeros(2, 2)}, "vocab": ["a"]},
                                          "no recurrent"),
                                         ({"state_dict": {}, "vocab": ["a"], "cell": "mamba"}, "unknown cell")])
def test_pt_problems_are_checkpoint_errors(tmp_path, obj, problem):
    path = tmp_path / "bad.pt"
    torch.save(obj, path)
    with pytest.raises(CheckpointError, match=problem):
        load_model(path)


def test_pt_without_torch(tmp_path, monkeypatch):
    path = tmp_path / "x.pt"
    path.write_bytes(b"whatever")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(CheckpointError, match=r"its CPU build: pip install torch --index-url https://download"):
        load_model(path)
