"""`rnn-tui score`: candidates ranked by surprisal after a context, with export's probabilities to the last bit."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from rnn_tui.__main__ import main
from rnn_tui.analysis.score import score
from rnn_tui.core.checkpoint import load

CONTEXT = "I took a walk with my "
WORDS = ["sister", "father", "refrigerator"]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_each_characters_probability_is_exports_p_next_exactly(make_checkpoint, tmp_path, cell):
    path = make_checkpoint(cell, layers=2, hidden=16)
    ckpt = load(path)
    for word in WORDS:
        text = tmp_path / f"{word}.txt"
        text.write_text(CONTEXT + word)
        out = tmp_path / f"{word}.npz"
        assert main(["export", str(path), str(text), "--out", str(out)]) == 0
        p_next = np.load(out)["p_next"]
        (s,) = score(ckpt.model(), ckpt.vocab, CONTEXT, [word])
        expected = p_next[len(CONTEXT) - 1 : len(CONTEXT) - 1 + len(word)].astype(np.float64)
        assert np.array_equal(np.float32(s.probs), expected.astype(np.float32))  # export stores float32
        assert s.nats == pytest.approx(-np.log(np.float64(s.probs)).sum(), rel=1e-12)
        assert s.bits == pytest.approx(s.nats / math.log(2), rel=1e-12)


def test_json_gives_one_object_a_candidate_likeliest_first(make_checkpoint, capsys):
    path = make_checkpoint("lstm", layers=1, hidden=16)
    assert main(["score", str(path), "--context", CONTEXT, *WORDS, "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(r["candidate"] for r in rows) == sorted(WORDS)
    assert [r["bits"] for r in rows] == sorted(r["bits"] for r in rows)
    for r in rows:
        assert {"candidate", "bits", "nats", "chars"} <= set(r) and len(r["chars"]) == len(r["candidate"])
        assert sum(r["chars"]) == pytest.approx(r["bits"])


def test_the_model_option_and_the_first_word_name_the_same_model(capsys):
    assert main(["score", "-m", "phone-numbers", "--context", "(61", "7", "0"]) == 0
    by_option = capsys.readouterr().out
    assert main(["score", "phone-numbers", "--context", "(61", "7", "0"]) == 0
    assert capsys.readouterr().out == by_option and by_option.startswith("phone-numbers")
    assert main(["score", "phone-numbers", "-m", "shakespeare-gru", "--context", "(61", "7"]) == 2
    assert "two models named" in capsys.readouterr().err


def test_the_context_can_come_from_standard_input():
    run = [sys.executable, "-m", "rnn_tui", "score", "-m", "phone-numbers", "7", "0", "--context"]
    piped = subprocess.run([*run, "-"], input="(61", capture_output=True, text=True, timeout=120)
    given = subprocess.run([*run, "(61"], capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0 and piped.stdout == given.stdout and "7" in piped.stdout


def test_the_bundled_model_ranks_sister_and_father_above_refrigerator(capsys):
    assert main(["score", "--context", CONTEXT, *WORDS]) == 0
    out = capsys.readouterr().out.splitlines()
    order = [line.split()[0] for line in out[2:5]]
    assert order.index("refrigerator") == 2
    assert "each bit halves the probability" in out[-1]


@pytest.mark.parametrize(("args", "says"), [
    (["--context", CONTEXT], "no candidates"),
    (["--context", CONTEXT, "shakespeare-gru"], "no candidates"),
    (["--context", CONTEXT, "naïve\x1b"], "outside the model's vocabulary"),
    (["--context", "caf\u00e9 ", "sister"], "the context has 1 character"),
    (["--context", "", "sister"], "--context is empty"),
    (["sister"], "required"),
])
def test_a_user_mistake_is_one_line_and_status_2(args, says, capsys):
    assert main(["score", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err and "\x1b" not in err


def test_score_runs_without_torch(tmp_path):
    code = ("import sys, builtins\n"
            "real = builtins.__import__\n"
            "def guard(name, *a, **k):\n"
            "    if name == 'torch' or name.startswith('torch.'): raise ImportError('no torch here')\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = guard\n"
            "from rnn_tui.__main__ import main\n"
            "status = main(['score', 'phone-numbers', '--context', '(61', '7', '0'])\n"
            "assert 'torch' not in sys.modules\n"
            "sys.exit(status)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[2].split()[0] == "7"
