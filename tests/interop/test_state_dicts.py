"""PyTorch models as people save them: bare state dicts under any module names, checked against torch's forward."""

from __future__ import annotations

import os
import string
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rnn_tui.__main__ import main
from rnn_tui.core import checkpoint
from rnn_tui.core.errors import CheckpointError
from rnn_tui.core.safe import safe_text
from rnn_tui.interop import load_model
from rnn_tui.interop.given_vocab import from_file, from_text, printable

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent.parent
TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"
MODULES = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}


class CharNet(torch.nn.Module):
    """A tutorial's char-RNN: an embedding (or one-hot input), a recurrent stack, a linear decoder, any names."""

    def __init__(self, vocab: int, cell: str, layers: int, hidden: int = 6, embed: int | None = 5,
                 names=("encoder", "rnn", "decoder"), bias: bool = True):
        super().__init__()
        self.names, self.vocab, self.embed = names, vocab, embed
        if embed:
            setattr(self, names[0], torch.nn.Embedding(vocab, embed))
        setattr(self, names[1], MODULES[cell](embed or vocab, hidden, layers, bias=bias))
        setattr(self, names[2], torch.nn.Linear(hidden, vocab))

    def forward(self, ids):  # ids (T,): one sequence, batch 1, sequence-first as char-rnn.pytorch runs it
        x = getattr(self, self.names[0])(ids) if self.embed else torch.nn.functional.one_hot(ids, self.vocab).float()
        out, _ = getattr(self, self.names[1])(x[:, None])
        return getattr(self, self.names[2])(out[:, 0])


def build(seed: int = 0, **kw) -> CharNet:
    torch.manual_seed(seed)
    net = CharNet(**kw)
    with torch.no_grad():  # larger weights than the default init, so a mistake shows in the logits
        for p in net.parameters():
            p.mul_(2.0)
    return net


def assert_matches_torch(net: CharNet, ckpt, text: str) -> None:
    ids = ckpt.vocab.encode(text)
    with torch.no_grad():
        expected = net(torch.from_numpy(ids)).numpy()
    _, logits, _ = ckpt.model().forward(ids)
    np.testing.assert_allclose(logits, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("hidden", [8, 100])  # 100: its default, as wide as the vocabulary
def test_char_rnn_pytorch_gru_over_printable_matches_torch(tmp_path, hidden):
    """char-rnn.pytorch: Embedding(100, H), GRU(H, H, layers), Linear(H, 100) over string.printable."""
    net = build(vocab=100, cell="gru", layers=2, hidden=hidden, embed=hidden)
    path = tmp_path / "shakespeare.pt"
    torch.save(net.state_dict(), path)
    ckpt = load_model(path, vocab=printable())
    assert ckpt.vocab.chars == tuple(string.printable)
    assert (ckpt.config.cell, ckpt.config.layers, ckpt.config.hidden, ckpt.config.embed_dim) == ("gru", 2, hidden,
                                                                                                  hidden)
    assert_matches_torch(net, ckpt, TEXT)


LAYOUTS = [(cell, layers, embed, names) for cell, layers, embed, names in [
    ("lstm", 1, None, ("encoder", "lstm", "fc")),
    ("lstm", 3, 4, ("embedding", "lstm", "linear")),
    ("gru", 1, None, ("embed", "gru", "out")),
    ("gru", 3, 7, ("emb", "rnn", "head")),
    ("rnn", 1, 3, ("encoder", "rnn", "decoder")),
    ("rnn", 2, None, ("x", "recurrent", "classifier")),
    ("lstm", 2, 6, ("char_embedding", "core", "proj")),  # embedding as wide as the hidden state, any stack name
]]


@pytest.mark.parametrize("cell,layers,embed,names", LAYOUTS, ids=[f"{c}{n}-{e or 'onehot'}-{m[1]}"
                                                                  for c, n, e, m in LAYOUTS])
def test_every_layout_under_any_names_matches_torch(tmp_path, cell, layers, embed, names):
    vocab = from_text(TEXT, "t.txt")
    net = build(vocab=len(vocab.chars), cell=cell, layers=layers, embed=embed, names=names)
    path = tmp_path / "m.pth"  # .pth is a .pt
    torch.save(net.state_dict(), path)
    ckpt = load_model(path, vocab=vocab)
    assert (ckpt.config.cell, ckpt.config.layers, ckpt.config.embed_dim) == (cell, layers, embed)
    assert_matches_torch(net, ckpt, TEXT)


def test_a_stack_without_biases_and_a_dataparallel_prefix_match_torch(tmp_path):
    vocab = from_text(TEXT, "t.txt")
    net = build(vocab=len(vocab.chars), cell="lstm", layers=2, embed=None, bias=False)
    path = tmp_path / "m.pt"
    torch.save({f"module.{k}": v for k, v in net.state_dict().items()}, path)
    assert_matches_torch(net, load_model(path, vocab=vocab), TEXT)


def test_a_training_checkpoint_with_its_own_characters_needs_no_option(tmp_path):
    chars = sorted(set(TEXT))
    net = build(vocab=len(chars), cell="gru", layers=1, names=("embedding", "gru", "fc"))
    path = tmp_path / "ckpt.pt"
    torch.save({"model_state_dict": net.state_dict(), "optimizer_state_dict": {"state": {}, "param_groups": []},
                "epoch": 3, "char_to_idx": {c: i for i, c in enumerate(chars)}}, path)
    ckpt = load_model(path)
    assert list(ckpt.vocab.chars) == chars
    assert_matches_torch(net, ckpt, TEXT)


def test_import_converts_a_state_dict_to_a_checkpoint_that_opens_without_torch(tmp_path, capsys):
    net = build(vocab=100, cell="gru", layers=2, hidden=8, embed=8)
    torch.save(net.state_dict(), tmp_path / "m.pt")
    out = tmp_path / "m.safetensors"
    assert main(["import", str(tmp_path / "m.pt"), "--vocab", "printable", "--out", str(out)]) == 0
    assert "GRU 2×8, 100 characters" in capsys.readouterr().out
    ckpt = checkpoint.load(out)
    assert ckpt.provenance["vocab_from"] == "--vocab printable"
    assert_matches_torch(net, ckpt, TEXT)


def test_vocab_file_drops_an_editors_final_newline_only_when_it_is_one_too_many():
    assert from_file("abc\n", "v.txt").fit(3).chars == ("a", "b", "c")
    assert from_file("abc\n", "v.txt").fit(4).chars == ("a", "b", "c", "\n")
    with pytest.raises(ValueError, match="--vocab v.txt gives 4 characters but the model reads and writes 7"):
        from_file("abc\n", "v.txt").fit(7)


def test_every_command_takes_the_vocabulary_options(tmp_path, capsys):
    net = build(vocab=100, cell="gru", layers=1, hidden=8, embed=8)
    torch.save(net.state_dict(), tmp_path / "m.pt")
    (tmp_path / "t.txt").write_text(TEXT)
    (tmp_path / "v.txt").write_text(string.printable)
    m, t = str(tmp_path / "m.pt"), str(tmp_path / "t.txt")
    assert main(["info", m, "--vocab", str(tmp_path / "v.txt")]) == 0
    assert main(["eval", t, "-m", m, "--vocab", "printable"]) == 0
    assert main(["sample", m, "--vocab", "printable", "-n", "5"]) == 0
    assert main(["analyze", t, "-m", m, "--vocab", "printable", "-f", "line-pos"]) == 0
    assert main(["export", t, "-m", m, "--vocab", "printable", "--out", str(tmp_path / "a.npz")]) == 0
    capsys.readouterr()
    assert main(["info", m, "--vocab-from", t]) == 2  # the text has 25 characters, the model 100
    assert "--vocab-from" in capsys.readouterr().err


def save_and_refuse(tmp_path, state: dict, vocab=None) -> str:
    path = tmp_path / "m.pt"
    torch.save(state, path)
    with pytest.raises(CheckpointError) as err:
        load_model(path, vocab=vocab)
    message = str(err.value)
    assert "\n" not in message and safe_text(message) == message, message
    return message


def test_what_does_not_fit_is_one_line_naming_it(tmp_path):
    vocab = from_text(TEXT, "t.txt")
    v = len(vocab.chars)
    sd = build(vocab=v, cell="lstm", layers=1, embed=None).state_dict()
    assert "no vocabulary in the file" in save_and_refuse(tmp_path, sd)
    assert "gives 3 characters but the model reads and writes" in save_and_refuse(tmp_path, sd, from_text("abc", "x"))
    second = torch.nn.Linear(6, v)
    two = {**sd, **{f"fc.{k}": p for k, p in second.state_dict().items()}}
    assert "two candidate decoders" in save_and_refuse(tmp_path, two, vocab)
    norm = {**sd, "norm.weight": torch.ones(6), "norm.bias": torch.zeros(6)}
    assert "'norm.bias' does not fit an embedding → RNN → linear model" in save_and_refuse(tmp_path, norm, vocab)
    bi = torch.nn.GRU(v, 6, bidirectional=True).state_dict()
    assert "bidirectional" in save_and_refuse(tmp_path, {**{f"rnn.{k}": p for k, p in bi.items()}}, vocab)
    gates = {**sd, "rnn.weight_hh_l0": torch.zeros(12, 6)}
    assert "not 1, 3 or 4 times" in save_and_refuse(tmp_path, gates, vocab)
    assert "the file says cell 'gru'" in save_and_refuse(tmp_path, {"state_dict": sd, "cell": "gru"}, vocab)


class CharRNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder, self.gru, self.decoder = torch.nn.Embedding(100, 4), torch.nn.GRU(4, 4), torch.nn.Linear(4, 100)


def run(*argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "rnn_tui", *argv], capture_output=True, text=True, timeout=120,
                          env=env)


def test_a_whole_pickled_module_is_refused_in_one_line_saying_how_to_save_the_weights(tmp_path):
    path = tmp_path / "model.pt"
    torch.save(CharRNN(), path)
    r = run("info", str(path))
    assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1, r.stderr
    assert "Unsupported global: " in r.stderr and "CharRNN" in r.stderr
    assert "torch.save(model.state_dict(), 'model.pt')" in r.stderr and "\x1b" not in r.stderr


def test_a_raw_pickle_is_refused_in_one_line(tmp_path):
    import pickle

    path = tmp_path / "raw.pt"
    path.write_bytes(pickle.dumps({"a": 1}, protocol=4))
    r = run("info", str(path))
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "cannot read as a safe PyTorch file" in r.stderr


def test_an_archive_that_inflates_past_the_limit_is_refused_before_torch_reads_it(tmp_path, monkeypatch):
    path = tmp_path / "bomb.pt"
    torch.save(build(vocab=5, cell="rnn", layers=1, embed=None).state_dict(), path)
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")  # the first central-directory entry: its uncompressed size at +24
    data[entry + 24 : entry + 28] = struct.pack("<I", 0xFFFF0000)
    path.write_bytes(bytes(data))
    assert zipfile.ZipFile(path).infolist()[0].file_size == 0xFFFF0000
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load ran"))
    with pytest.raises(CheckpointError, match=r"uncompressed, over the 1 GiB limit"):
        load_model(path)
