"""`rnn-tui sample`: the viewer's text on stdout, safe in a terminal, raw into a pipe, JSON lines for scripts."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import subprocess
import sys

import numpy as np
import pytest

from rnn_tui.__main__ import main
from rnn_tui.core.checkpoint import load
from rnn_tui.core.sampling import Sampler, softmax
from rnn_tui.core.session import Session
from rnn_tui.tui.app import build_app
from tests.conftest import write_random_checkpoint


def sample(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(["sample", *argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_same_seed_and_options_give_the_viewers_text(lstm_checkpoint, capsys):
    """The viewer, driven headless by its keys, writes what `sample` prints for that seed, temperature, prime."""
    async def viewer_text() -> str:
        app = build_app(lstm_checkpoint, seed=11, temperature=0.7, prime="The ")
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(6):
                await pilot.press("right_square_bracket")  # ten steps forward
                await pilot.pause()
            return app.session.text()

    shown = asyncio.run(viewer_text())
    assert len(shown) == 4 + 60
    rc, out, _ = sample(capsys, str(lstm_checkpoint), "--seed", "11", "-t", "0.7", "--prime", "The ", "-n", "60")
    assert rc == 0 and out == shown


def test_another_seed_gives_another_text_and_the_same_seed_the_same(lstm_checkpoint, capsys):
    args = [str(lstm_checkpoint), "-n", "80", "-t", "1.0"]
    first, again, other = (sample(capsys, *args, "--seed", s)[1] for s in ("1", "1", "2"))
    assert first == again and first != other


def test_argmax_and_temperature_zero_agree_with_a_greedy_session(lstm_checkpoint, capsys):
    ckpt = load(lstm_checkpoint)
    s = Session(ckpt.model(), ckpt.vocab, prime="ab", sampler=Sampler(temperature=0, mode="argmax"))
    s.forward(40)
    assert sample(capsys, str(lstm_checkpoint), "--argmax", "--prime", "ab", "-n", "40")[1] == s.text()
    assert sample(capsys, str(lstm_checkpoint), "-t", "0", "--prime", "ab", "-n", "40")[1] == s.text()


@pytest.mark.parametrize("option, mode", [(["--top-k", "3"], "top-k"), (["--top-p", "0.5"], "top-p")])
def test_top_k_and_top_p_sample_as_the_core_sampler_does(lstm_checkpoint, capsys, option, mode):
    ckpt = load(lstm_checkpoint)
    sampler = Sampler(temperature=1.0, mode=mode, top_k=3, top_p=0.5, seed=5)
    s = Session(ckpt.model(), ckpt.vocab, prime="x", sampler=sampler)
    s.forward(50)
    out = sample(capsys, str(lstm_checkpoint), *option, "-t", "1", "--seed", "5", "--prime", "x", "-n", "50")[1]
    assert out == s.text()


def test_json_lines_give_each_characters_probability_and_top_k(lstm_checkpoint, capsys):
    ckpt = load(lstm_checkpoint)
    rc, out, _ = sample(capsys, str(lstm_checkpoint), "--json", "--prime", "hi", "-n", "12", "--candidates", "4",
                        "--seed", "3")
    rows = [json.loads(line) for line in out.splitlines()]
    assert rc == 0 and len(rows) == 12
    s = Session(ckpt.model(), ckpt.vocab, prime="hi", sampler=Sampler(temperature=0.8, seed=3))
    for t, row in enumerate(rows):
        probs = softmax(s.logits.astype(np.float64))
        drawn = Sampler(temperature=0.8).distribution(s.logits)
        chosen = s.step()
        assert row["position"] == 2 + t and row["char"] == ckpt.vocab.chars[chosen] and row["id"] == chosen
        assert row["p"] == pytest.approx(probs[chosen], rel=1e-5)
        assert row["p_sampler"] == pytest.approx(drawn[chosen], rel=1e-5)
        assert [c for c, _ in row["top"]] == [ckpt.vocab.chars[i] for i in np.argsort(-probs, kind="stable")[:4]]
        assert [p for _, p in row["top"]] == sorted((p for _, p in row["top"]), reverse=True)


@pytest.fixture(scope="module")
def escape_model(tmp_path_factory):
    """A model whose vocabulary holds an ESC and a BEL, and that writes them often."""
    return write_random_checkpoint(tmp_path_factory.mktemp("esc") / "esc.safetensors", layers=1, hidden=8,
                                   chars=("\x1b", "\x07", "a", "\n"), seed=1, scale=0.1)


def test_into_a_pipe_the_characters_go_raw(escape_model):
    out = subprocess.run([sys.executable, "-m", "rnn_tui", "sample", str(escape_model), "-n", "300", "-t", "1.5"],
                         capture_output=True, timeout=60)
    assert out.returncode == 0 and b"\x1b" in out.stdout and b"\x07" in out.stdout


def test_into_a_terminal_only_safe_glyphs_are_written(escape_model):
    """On a pty the ESC and BEL become ␛ and ␇: a model's vocabulary cannot drive the user's terminal."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "rnn_tui", "sample", str(escape_model), "-n", "300", "-t", "1.5"],
                            stdout=follower, stderr=subprocess.PIPE)
    os.close(follower)
    got = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the pty
            break
        if not chunk:
            break
        got += chunk
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    text = got.decode("utf-8")
    assert "\x1b" not in text and "\x07" not in text
    assert "␛" in text and "␇" in text and "a" in text


def test_a_closed_pipe_ends_quietly():
    """`| head` stops reading: sample stops generating, with no traceback (status 141, as for SIGPIPE)."""
    cmd = f"{sys.executable} -m rnn_tui sample -n 100000 | head -c 20"
    out = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert out.returncode == 141 and len(out.stdout) == 20 and out.stderr == ""


@pytest.mark.parametrize("argv, message", [
    (["-n", "0"], "--length must be 1 or more, got 0"),
    (["-n", "-5"], "--length must be 1 or more, got -5"),
    (["-t", "-0.1"], "--temperature must be between 0 and 10, got -0.1"),
    (["-t", "nan"], "--temperature must be between 0 and 10"),
    (["--top-k", "0"], "--top-k must be 1 or more"),
    (["--top-p", "1.5"], "--top-p must be above 0 and at most 1"),
    (["--top-k", "3", "--top-p", "0.5"], "give one of them"),
    (["--candidates", "0", "--json"], "--candidates must be 1 or more"),
    (["--length", "ten"], "invalid int value: 'ten'"),
])
def test_bad_options_are_one_line_and_exit_2(lstm_checkpoint, capsys, argv, message):
    rc, out, err = sample(capsys, str(lstm_checkpoint), *argv)
    assert rc == 2 and out == ""
    assert message in err and err.count("\n") == 1 and err.startswith("rnn-tui: error: ")


def test_a_prime_with_unknown_characters_names_them(lstm_checkpoint, capsys):
    rc, out, err = sample(capsys, str(lstm_checkpoint), "--prime", "naïve ☃ \\e")
    assert rc == 2 and out == ""
    assert "3 character(s)" in err and "'ï☃␛'" in err and "--skip-unknown" in err and err.count("\n") == 1


def test_skip_unknown_drops_them_and_says_so(lstm_checkpoint, capsys):
    rc, out, err = sample(capsys, str(lstm_checkpoint), "--prime", "naïve", "--skip-unknown", "-n", "5")
    assert rc == 0 and out.startswith("nave") and len(out) == 4 + 5
    assert "skipping" in err and "'ï'" in err


def test_a_missing_model_is_one_line(tmp_path, capsys):
    rc, _, err = sample(capsys, str(tmp_path / "nope.safetensors"))
    assert rc == 2 and "no such file" in err and err.count("\n") == 1
