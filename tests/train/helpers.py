"""Small texts and options shared by the training tests: every run takes a fraction of a second."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORDS = "the quick brown fox jumps over a lazy dog and then sleeps while the cat sings".split()


def prose(n_chars: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    out, size = [], 0
    while size < n_chars:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))).capitalize() + ".\n"
        out.append(line)
        size += len(line)
    return "".join(out)[:n_chars]


def options(tmp_path: Path, text: str, **kw):
    from rnn_tui.train.options import TrainOptions

    text_file = tmp_path / "text.txt"
    text_file.write_text(text, encoding="utf-8")
    base = dict(text_file=str(text_file), out=str(tmp_path / "model.safetensors"), cell="lstm", layers=1,
                hidden=16, batch=4, seq_len=16, lr=1e-2, max_steps=20, device="cpu", eval_every=1000,
                sample_every=0, threads=1, seed=3)
    base.update(kw)
    return TrainOptions(**base)


def run(opts, on_step=None):
    from rnn_tui.train.report import QuietReporter
    from rnn_tui.train.trainer import Trainer

    t = Trainer(opts, reporter=QuietReporter(), on_step=on_step)
    t.run()
    return t


def cli(args: list[str], cwd: Path, prelude: str = "") -> subprocess.CompletedProcess:
    code = f"import sys; {prelude}from rnn_tui.__main__ import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def assert_one_line_error(r: subprocess.CompletedProcess, expected: str, tmp_path: Path) -> None:
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnn-tui: error: "), r.stderr
    assert len(lines[0]) <= 300, lines[0]
    assert expected in lines[0], lines[0]
    assert "Traceback" not in r.stderr
    assert not list(tmp_path.glob("*.safetensors*")) and not list(tmp_path.glob("*.tmp"))
    assert not list(tmp_path.glob(".*.tmp"))
