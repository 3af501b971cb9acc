"""Training: checkpoints that the numpy engine reads, the held-out split, resume, signals, bad input.

Small models and texts throughout, so the whole file runs in seconds on a 2-core
CPU; nothing here asserts a time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnn_tui.core import checkpoint  # noqa: E402
from rnn_tui.core.cells import Model  # noqa: E402
from rnn_tui.train.data import min_chars  # noqa: E402
from rnn_tui.train.model import CharRNN, nll  # noqa: E402
from rnn_tui.train.report import QuietReporter  # noqa: E402
from rnn_tui.train.trainer import Trainer  # noqa: E402

from .helpers import REPO, assert_one_line_error, cli, options, prose, run  # noqa: E402


@pytest.mark.parametrize("cell,embedding,layers", [("lstm", None, 2), ("gru", 6, 1), ("rnn", None, 2)])
def test_checkpoint_matches_torch(tmp_path, cell, embedding, layers):
    opts = options(tmp_path, prose(3000), cell=cell, embedding=embedding, layers=layers, max_steps=12)
    t = run(opts)
    ckpt = checkpoint.load(opts.out)
    assert ckpt.config.cell == cell and ckpt.config.layers == layers and ckpt.config.embed_dim == embedding
    p = ckpt.provenance
    for key in ("corpus", "corpus_sha256", "val_frac", "steps", "val_loss", "seed", "date", "train_seconds",
                "hardware", "chars_per_second"):
        assert key in p, key
    assert p["hardware"].startswith("CPU")
    # numpy on the held-out ids == torch on the same weights == the recorded val loss
    fresh = CharRNN(ckpt.config)
    fresh.load_state_dict({k: torch.from_numpy(v) for k, v in ckpt.tensors.items()})
    val_ids = t.corpus.val_ids
    torch_loss = nll(fresh, torch.from_numpy(val_ids))
    numpy_loss = ckpt.model().nll(val_ids)
    assert abs(numpy_loss - torch_loss) < 1e-4
    assert abs(p["val_loss"] - torch_loss) < 1e-4
    assert Path(f"{opts.out}.resume.pt").is_file()


def test_held_out_part_is_never_trained_on(tmp_path):
    text = prose(1900) + ("§ " + prose(98, seed=1))[:100]  # '§' appears only in the last 5 %
    opts = options(tmp_path, text, max_steps=60, batch=8, seq_len=8)
    t = Trainer(opts, reporter=QuietReporter())
    mark = t.corpus.vocab.index["§"]  # the vocabulary covers the whole file...
    assert len(t.corpus.val_ids) == 100 and mark in t.corpus.val_ids
    assert np.array_equal(t.corpus.train_ids, t.corpus.vocab.encode(text[:1900]))
    seen = []
    next_batch = t.streams.next

    def recording():
        x, y, reset = next_batch()
        seen.append(torch.cat([x.reshape(-1), y.reshape(-1)]))
        return x, y, reset

    t.streams.next = recording
    t.run()
    seen_ids = torch.cat(seen)
    assert len(seen) == 60
    assert not bool((seen_ids == mark).any())  # ...but no batch ever holds a held-out character
    assert int(seen_ids.max()) < len(t.corpus.vocab)


def test_interrupt_and_resume_reproduce_an_uninterrupted_run(tmp_path):
    text = prose(3000)
    common = dict(cell="gru", layers=2, dropout=0.3, max_steps=40, batch=4, seq_len=16)  # crosses an epoch
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
    straight = run(options(tmp_path / "a", text, **common))
    opts = options(tmp_path / "b", text, **common)

    def stop_at_15(tr: Trainer) -> None:
        if tr.step == 15:
            tr.request_stop()

    first = Trainer(opts, reporter=QuietReporter(), on_step=stop_at_15)
    r1 = first.run()
    assert r1.interrupted and r1.steps == 15
    assert checkpoint.load(opts.out).provenance["steps"] == 15  # a valid checkpoint even before any eval
    opts.resume = True
    resumed = Trainer(opts, reporter=QuietReporter())
    assert resumed.step == 15
    resumed.run()
    assert resumed.step == 40
    a, b = straight.model.state_dict(), resumed.model.state_dict()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    sa, sb = straight.optimizer.state_dict()["state"], resumed.optimizer.state_dict()["state"]
    for i in sa:
        for name in ("exp_avg", "exp_avg_sq", "step"):
            assert torch.equal(sa[i][name], sb[i][name]), (i, name)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])  # SIGHUP: an SSH connection dropped
def test_sigterm_or_sighup_leaves_a_valid_checkpoint(tmp_path, signum):
    (tmp_path / "t.txt").write_text(prose(5000))
    out = tmp_path / "m.safetensors"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "rnn_tui", "train", "t.txt", "--out", str(out), "--layers", "1",
                             "--hidden", "16", "--batch", "4", "--seq-len", "16", "--max-steps", "10000000",
                             "--eval-every", "10000000", "--device", "cpu", "--threads", "1"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()  # printed once the signal handlers are in place
        assert first.startswith("training LSTM 1×16"), first + proc.stderr.read()
        proc.send_signal(signum)
        rest, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    last = rest.strip().splitlines()[-1]
    assert last.startswith(f"stopped by {signal.Signals(signum).name} after step"), last
    ckpt = checkpoint.load(out)
    assert ckpt.provenance["steps"] >= 1
    assert Path(f"{out}.resume.pt").is_file()


BAD = [
    (["missing.txt"], "no such file"),
    (["adir"], "is a directory"),
    (["empty.txt"], "empty"),
    (["short.txt"], "need at least"),
    (["latin1.txt"], "byte offset 9"),
    (["ok.txt", "--layers", "0"], "--layers"),
    (["ok.txt", "--lr", "-1"], "--lr"),
    (["ok.txt", "--dropout", "1.5"], "--dropout"),
    (["ok.txt", "--cell", "transformer"], "--cell"),
    (["ok.txt", "--val-frac", "0.9"], "--val-frac"),
    (["ok.txt", "--batch", "many"], "--batch"),
    (["ok.txt", "--time-budget", "nan"], "--time-budget"),
    (["ok.txt", "--out", "model.txt"], ".safetensors"),
    (["ok.txt", "--resume"], "no resume file"),
    (["ok.txt", "--no-such-flag"], "unrecognized"),
    (["ok.txt", "--threads", "0"], "--threads: must be 1 to 1024, got 0"),
    (["ok.txt", "--out", "/proc/no-such-dir/m.safetensors"], "cannot write there"),
]


@pytest.fixture
def bad_inputs(tmp_path):
    (tmp_path / "adir").mkdir()
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "short.txt").write_text("To be, or not to be.\n")
    (tmp_path / "latin1.txt").write_bytes("Hello café".encode("latin-1"))
    (tmp_path / "ok.txt").write_text(prose(min_chars(64, 128, 0.05)))
    return tmp_path


@pytest.mark.parametrize("args,expected", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_and_writes_nothing(bad_inputs, args, expected):
    r = cli(["train", *args, "--out", "m.safetensors"] if "--out" not in args else ["train", *args], bad_inputs)
    assert_one_line_error(r, expected, bad_inputs)


def test_short_text_says_how_many_characters(bad_inputs):
    r = cli(["train", "short.txt", "--batch", "4", "--seq-len", "10"], bad_inputs)
    assert_one_line_error(r, f"need at least {min_chars(4, 10, 0.05)}", bad_inputs)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda(bad_inputs):
    r = cli(["train", "ok.txt", "--device", "cuda"], bad_inputs)
    assert_one_line_error(r, "no CUDA", bad_inputs)


def test_torch_missing(bad_inputs):
    r = cli(["train", "ok.txt"], bad_inputs, prelude="sys.modules['torch'] = None; ")
    assert_one_line_error(r, "--index-url https://download.pytorch.org/whl/cpu", bad_inputs)


def test_phone_model_learns_boston(tmp_path):
    from rnn_tui.train.phone_numbers import generate, train_phone_model

    assert generate(50, seed=7) == generate(50, seed=7)
    lines = generate(2000, seed=1).splitlines()
    assert all(len(line) == 14 and line[0] == "(" and line[4:6] == ") " for line in lines)
    out = tmp_path / "phone.safetensors"
    train_phone_model(out, max_steps=150, threads=1)
    ckpt = checkpoint.load(out)
    model: Model = ckpt.model()

    def most_likely_after(prefix: str) -> str:
        state = model.initial_state()
        for ch in prefix:
            state, logits, _ = model.step(state, ckpt.vocab.index[ch])
        return ckpt.vocab.chars[int(np.argmax(logits))]

    assert most_likely_after("(61") == "7"
    assert most_likely_after("(").isdigit()
    # like the bundled models, it carries a held-out passage and its known cells, for the finder and u
    from rnn_tui.analysis.known_cells import known_cells, passage

    shipped = passage(ckpt)
    assert shipped and shipped[0].startswith("(") and "held-out" in shipped[1]
    assert "ranked_on" in ckpt.analysis
    assert all(c.layer < ckpt.config.layers for c in known_cells(ckpt))


def test_training_path_never_imports_textual():
    code = ("import sys, rnn_tui.train.trainer, rnn_tui.commands.train, rnn_tui.train.phone_numbers; "
            "print('textual' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(REPO)},
                       capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "False", r.stderr


def test_cli_resume_continues_and_refuses_a_different_network(tmp_path, capsys, monkeypatch):
    from rnn_tui.commands.train import main as train_main
    from rnn_tui.core.errors import UserError

    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.txt").write_text(prose(3000))
    base = ["t.txt", "--out", "m.safetensors", "--layers", "1", "--hidden", "16", "--batch", "4", "--seq-len", "16",
            "--device", "cpu", "--threads", "1"]
    assert train_main([*base, "--max-steps", "6"]) == 0
    assert train_main([*base, "--resume", "--max-steps", "10"]) == 0
    out = capsys.readouterr().out
    assert "resumed at step 6" in out and "done: 10 steps" in out
    assert torch.load("m.safetensors.resume.pt", weights_only=True)["step"] == 10
    with pytest.raises(UserError, match="--hidden 32 differs"):
        train_main([*base[:5], "--hidden", "32", "--resume"])


def test_trainers_val_loss_reads_the_pieces_eval_reads():
    from rnn_tui.core.cells import Config
    from rnn_tui.core.pieces import layout

    from ..factories import random_tensors

    config = Config("gru", 2, 16, 11)
    tensors = random_tensors(config, seed=2, scale=0.6)
    net = CharRNN(config)
    net.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
    ids = np.random.default_rng(6).integers(0, 11, 6_001)
    assert layout(6_000, 64, 256).streams == 2  # two pieces: the second read after a warm-up
    assert nll(net, torch.from_numpy(ids)) == pytest.approx(Model(config, tensors).nll(ids), abs=1e-5)
