"""The command line's shell habits: help, version, did-you-mean, `-` for stdin, one place for the model, JSON."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rnn_tui.__main__ import main
from rnn_tui.commands import COMMANDS, _inputs
from rnn_tui.core import checkpoint
from rnn_tui.core.errors import UserError
from rnn_tui.core.text import held_out

ROOT = Path(__file__).resolve().parent.parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
TEXT = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n" * 4


def run(*argv: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rnn_tui", *argv], input=stdin, capture_output=True, timeout=180,
                          env=ENV)


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(TEXT)
    return path


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rnn-tui: error: "), err
    return err


# -- help, version, did-you-mean ------------------------------------------------------------


def test_view_help_is_the_views_own(capsys):
    assert main(["view", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: rnn-tui view ") and "--max-kbps" in out and "commands (each takes" not in out
    assert main(["--help"]) == 0
    assert "commands (each takes" in capsys.readouterr().out


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(capsys, flag):
    from rnn_tui import __version__

    assert main([flag]) == 0
    assert capsys.readouterr().out == f"rnn-tui {__version__}\n"


@pytest.mark.parametrize("name", sorted(set(COMMANDS) - {"help"}))
def test_help_command_says_what_command_help_says(capsys, name):
    assert main(["help", name]) == 0
    via_help = capsys.readouterr().out
    assert main([name, "--help"]) == 0
    assert via_help == capsys.readouterr().out and via_help.startswith(f"usage: rnn-tui {name}")


@pytest.mark.parametrize("argv,guess", [(["evl", "t.txt"], "did you mean the command 'eval'"),
                                        (["shakespeare-lstmm"], "did you mean the model 'shakespeare-lstm'"),
                                        (["help", "analyse"], "did you mean 'analyze'")])
def test_a_mistyped_command_or_model_gets_a_did_you_mean(capsys, argv, guess):
    assert main(argv) == 2
    assert guess in one_error_line(capsys)


# -- standard input -------------------------------------------------------------------------


def test_eval_reads_standard_input_the_same_as_the_file(text_file):
    by_file = run("eval", str(text_file), "-m", "shakespeare-rnn", "--json")
    by_stdin = run("eval", "-", "-m", "shakespeare-rnn", "--json", stdin=TEXT.encode())
    assert by_file.returncode == by_stdin.returncode == 0, by_stdin.stderr
    assert json.loads(by_file.stdout)["nats_per_char"] == json.loads(by_stdin.stdout)["nats_per_char"]


@pytest.mark.parametrize("argv", [["analyze", "-", "-m", "shakespeare-rnn", "-f", "line-pos"],
                                  ["export", "-", "-m", "shakespeare-rnn", "--out", "OUT/e.npz"]])
def test_analyze_and_export_read_standard_input(tmp_path, argv):
    r = run(*[a.replace("OUT", str(tmp_path)) for a in argv], stdin=TEXT.encode())
    assert r.returncode == 0, r.stderr
    assert b"standard input" in r.stdout or (tmp_path / "e.npz").is_file()


def test_dev_stdin_is_standard_input_too():
    r = run("eval", "/dev/stdin", "-m", "shakespeare-rnn", stdin=TEXT.encode())
    assert r.returncode == 0 and b"exact, one stream" in r.stdout, r.stderr


def test_standard_input_keeps_the_size_limit(monkeypatch):
    monkeypatch.setattr(_inputs, "_read_stdin", {})
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x" * 5000)))
    with pytest.raises(UserError, match="standard input: more than the 4 KiB limit"):
        _inputs.read_input_text("-", max_bytes=4096)


def test_standard_input_is_read_once_for_the_text_and_the_vocabulary(monkeypatch):
    monkeypatch.setattr(_inputs, "_read_stdin", {})
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("héllo\n".encode())))
    assert _inputs.read_input_text("-") == ("héllo\n", "standard input")
    assert _inputs.read_input_text("-") == ("héllo\n", "standard input")


def test_standard_input_that_is_not_utf8_is_one_line():
    r = run("eval", "-", stdin=b"abc\xff\xfe")
    assert r.returncode == 2 and r.stderr.count(b"\n") == 1 and b"standard input: not UTF-8" in r.stderr


def test_train_reads_standard_input(tmp_path):
    pytest.importorskip("torch")
    text = ("ab" * 200 + "\n") * 6
    r = subprocess.run([sys.executable, "-m", "rnn_tui", "train", "-", "--max-steps", "2", "--batch", "2",
                        "--seq-len", "8", "--layers", "1", "--hidden", "4", "--threads", "1", "--out", "m.safetensors"],
                       input=text.encode(), capture_output=True, timeout=300, env=ENV, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert checkpoint.load(tmp_path / "m.safetensors").provenance["corpus"] == "stdin"


# -- one place for the model ----------------------------------------------------------------


@pytest.mark.parametrize("argv", [["eval", "T", "-m", "shakespeare-rnn"], ["eval", "shakespeare-rnn", "T"],
                                  ["eval", "T", "shakespeare-rnn"], ["eval", "T", "--model", "shakespeare-rnn"]])
def test_eval_takes_the_model_as_an_option_and_in_the_old_places(capsys, text_file, argv):
    assert main([a.replace("T", str(text_file)) if a == "T" else a for a in argv]) == 0
    assert capsys.readouterr().out.startswith("shakespeare-rnn: ")


@pytest.mark.parametrize("argv", [["analyze", "T", "shakespeare-rnn"], ["analyze", "T", "-m", "shakespeare-rnn"],
                                  ["export", "shakespeare-rnn", "T"], ["export", "T", "-m", "shakespeare-rnn"],
                                  ["info", "-m", "shakespeare-rnn"], ["sample", "-m", "shakespeare-rnn", "-n", "3"]])
def test_every_command_takes_the_model_as_an_option(capsys, text_file, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    assert main([str(text_file) if a == "T" else a for a in argv]) == 0
    out = capsys.readouterr().out
    assert "shakespeare-rnn" in out or argv[0] == "sample"


def test_a_model_without_a_text_is_one_line(capsys):
    assert main(["eval", "shakespeare-rnn"]) == 2
    assert "shakespeare-rnn is a model, and a text is needed too: TEXT -m shakespeare-rnn" in one_error_line(capsys)


def test_two_models_named_is_one_line(capsys, text_file):
    assert main(["eval", "shakespeare-gru", str(text_file), "-m", "shakespeare-rnn"]) == 2
    assert "two models named" in one_error_line(capsys)


# -- JSON and eval's method -----------------------------------------------------------------


def test_info_json(capsys):
    assert main(["info", "shakespeare-rnn", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["cell"], doc["layers"], doc["hidden"], doc["vocab_size"]) == ("rnn", 2, 256, len(doc["vocab"]))
    assert doc["provenance"]["corpus"]
    assert main(["info", "--json"]) == 0
    names = {m["name"] for m in json.loads(capsys.readouterr().out)}
    assert {"shakespeare-lstm", "shakespeare-rnn"} <= names


def test_eval_json_is_exact_on_a_short_text(capsys, text_file):
    assert main(["eval", str(text_file), "-m", "shakespeare-rnn", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    ckpt = checkpoint.load(checkpoint.bundled_models()["shakespeare-rnn"])
    expected = ckpt.model().nll(ckpt.vocab.encode(held_out(TEXT)), streams=1)
    assert doc["exact"] is True and doc["streams"] == 1 and doc["nats_per_char"] == pytest.approx(expected, abs=1e-9)


# -- train --init-from and --grad-clip ------------------------------------------------------


def test_train_init_from_keeps_the_model_and_extends_its_vocabulary(tmp_path):
    torch = pytest.importorskip("torch")
    import numpy as np

    from rnn_tui.train.model import CharRNN
    from rnn_tui.train.options import TrainOptions
    from rnn_tui.train.trainer import Trainer

    text = (TEXT + "ü€\n") * 20
    (tmp_path / "t.txt").write_text(text)
    base = checkpoint.load(checkpoint.bundled_models()["phone-numbers"])
    opts = TrainOptions(text_file=str(tmp_path / "t.txt"), out=str(tmp_path / "m.safetensors"), max_steps=1,
                        batch=2, seq_len=8, threads=1, init_from="phone-numbers", clip=0.5)
    trainer = Trainer(opts, reporter=lambda *a, **k: None)
    v = len(base.vocab)
    assert trainer.corpus.vocab.chars[:v] == base.vocab.chars
    assert set(trainer.corpus.vocab.chars[v:]) == set(text) - set(base.vocab.chars)
    assert isinstance(trainer.model, CharRNN) and trainer.config.hidden == base.config.hidden
    ids = base.vocab.encode("(617) 555-0100\n")
    with torch.no_grad():
        logits, _ = trainer.model(torch.from_numpy(ids)[None])
    _, expected, _ = base.model().forward(ids)
    np.testing.assert_allclose(logits[0, :, :v].numpy(), expected, atol=1e-5)
    assert (logits[0, :, v:] == float(base.tensors["head.bias"].min())).all()  # a constant, the lowest bias


def test_train_init_from_refuses_a_size_that_does_not_fit(tmp_path, capsys, text_file):
    assert main(["train", str(text_file), "--init-from", "phone-numbers", "--hidden", "64"]) == 2
    assert "the model is LSTM 1×32, so --hidden 64 does not fit it" in one_error_line(capsys)


def test_grad_clip_and_init_from_reach_the_trainer(tmp_path, monkeypatch, text_file):
    pytest.importorskip("torch")
    from rnn_tui.train import trainer

    seen = {}

    class Spy:
        def __init__(self, opts, **kw):
            seen.update(opts=opts, init=kw.get("init"), corpus=kw.get("corpus"))

        def run(self):
            return type("Result", (), {"best_val": 1.0})()

    monkeypatch.setattr(trainer, "Trainer", Spy)
    monkeypatch.chdir(tmp_path)
    assert main(["train", str(text_file), "--grad-clip", "0.25", "--init-from", "shakespeare-rnn", "--batch", "2",
                 "--seq-len", "8", "--max-steps", "1", "--threads", "1"]) == 0
    opts = seen["opts"]
    assert opts.clip == 0.25 and opts.init_from == "shakespeare-rnn" and seen["init"].name == "shakespeare-rnn"
    assert (opts.cell, opts.layers, opts.hidden) == ("rnn", 2, 256)
    assert seen["corpus"].vocab.chars[: len(seen["init"].vocab)] == seen["init"].vocab.chars


@pytest.mark.parametrize("value", ["-1", "nan", "x"])
def test_grad_clip_is_checked(capsys, text_file, value):
    assert main(["train", str(text_file), "--grad-clip", value]) == 2
    assert "--grad-clip" in one_error_line(capsys)


def test_the_missing_torch_hint_points_to_the_cpu_build():
    from rnn_tui.core.errors import needs_torch

    assert "pip install torch --index-url https://download.pytorch.org/whl/cpu" in needs_torch("training")
