"""Claim: the trainer's loop costs under 10 % over a bare PyTorch loop of the same shape.

Both train an LSTM (one-hot input, 84 characters of Shakespeare) on CPU, at two
shapes: the CPU default (1×128, batch 32 × 64, where per-step overhead weighs
most) and the GPU default (2×256, batch 64 × 128), with Adam, carrying the
hidden state between windows; the bare loop is `nn.LSTM` + `nn.Linear` +
cross-entropy + Adam and nothing else. The trainer adds its schedule, gradient clipping, bookkeeping and
progress hooks. Throughput is timed over the same number of steps after a
warm-up, the two loops interleaved step by step (the trainer's `on_step` hook
runs one bare step), so load on a shared machine hits both alike. Prints a
table and the ratio (target ≥ 0.90).

    python benchmarks/bench_trainer.py [--steps 24] [--threads 1]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from _common import SMOKE, machine  # noqa: E402
from torch import nn  # noqa: E402

from rnn_tui.train.data import load_text  # noqa: E402
from rnn_tui.train.options import TrainOptions  # noqa: E402
from rnn_tui.train.report import QuietReporter  # noqa: E402
from rnn_tui.train.trainer import Trainer  # noqa: E402

WARM = 2
SHAPES = ((1, 16, 4, 16),) if SMOKE else ((1, 128, 32, 64), (2, 256, 64, 128))  # layers, hidden, batch, seq_len


def corpus_excerpt(n_chars: int = 400_000) -> str:
    for p in (ROOT / "data" / "shakespeare.txt", ROOT / "checkpoints" / "corpora" / "shakespeare.txt.xz"):
        if p.exists():
            return load_text(p)[:n_chars]
    raise SystemExit("no corpus: run scripts/build_corpus.py")


class BareLoop:
    """nn.LSTM + nn.Linear + cross-entropy + Adam, carrying the state: the baseline, one step at a time."""

    def __init__(self, ids: torch.Tensor, vocab_size: int, layers: int, hidden: int, batch: int, seq: int):
        torch.manual_seed(0)
        self.v, self.seq = vocab_size, seq
        self.lstm = nn.LSTM(vocab_size, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)
        self.opt = torch.optim.Adam(list(self.lstm.parameters()) + list(self.head.parameters()), lr=2e-3)
        length = (len(ids) - 1) // batch
        self.inp = ids[: batch * length].view(batch, length)
        self.tgt = ids[1 : batch * length + 1].view(batch, length)
        self.state = None
        self.a = 0

    def step(self) -> None:
        a, v, seq = self.a, self.v, self.seq
        if a + seq >= self.inp.shape[1]:
            a, self.state = 0, None
        out, state = self.lstm(F.one_hot(self.inp[:, a : a + seq], v).float(), self.state)
        loss = F.cross_entropy(self.head(out).reshape(-1, v), self.tgt[:, a : a + seq].reshape(-1))
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        self.state = tuple(s.detach() for s in state)
        self.a = a + seq


def bench(text_file: str, out: str, ids: torch.Tensor, vocab_size: int, shape: tuple[int, int, int, int],
          steps: int) -> tuple[list[float], list[float]]:
    """Step times (s) of the trainer and of the bare loop, interleaved step by step.

    After each trainer step, its `on_step` hook runs one bare step, so a burst
    of load on a shared machine hits both loops alike.
    """
    layers, hidden, batch, seq = shape
    bare = BareLoop(ids, vocab_size, layers, hidden, batch, seq)
    ours: list[float] = []
    theirs: list[float] = []
    mark = [0.0]

    def on_step(t: Trainer) -> None:
        now = time.perf_counter()
        if t.step > WARM:
            ours.append(now - mark[0])
        b0 = time.perf_counter()
        bare.step()
        if t.step > WARM:
            theirs.append(time.perf_counter() - b0)
        mark[0] = time.perf_counter()

    opts = TrainOptions(text_file=text_file, out=out, cell="lstm", layers=layers, hidden=hidden, batch=batch,
                        seq_len=seq, max_steps=WARM + steps, eval_every=10**9, sample_every=0, device="cpu",
                        snapshots=False, threads=torch.get_num_threads())
    trainer = Trainer(opts, reporter=QuietReporter(), on_step=on_step)
    mark[0] = time.perf_counter()
    trainer.run()
    return ours, theirs


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=24, help="timed steps of each loop at 2×256 (default 24; 8× at 1×128)")
    p.add_argument("--threads", type=int, default=None, help="torch threads for both loops (default: torch's)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(machine())
    if SMOKE:
        args.steps = 2
    text = corpus_excerpt(20_000 if SMOKE else 400_000)
    chars = sorted(set(text))
    ids = torch.tensor([chars.index(c) for c in text], dtype=torch.int64)
    print(f"one-hot {len(chars)} symbols, CPU, {torch.get_num_threads()} threads, torch {torch.__version__}, "
          f"interleaved step by step; load average {Path('/proc/loadavg').read_text().split()[:3]}")
    print(f"{'shape':<34}{'loop':<22}{'chars/s (total)':>16}{'chars/s (median step)':>24}")
    worst = math.inf
    for shape in SHAPES:
        layers, hidden, batch, seq = shape
        steps = args.steps * (8 if hidden < 256 else 1)
        with tempfile.TemporaryDirectory() as tmp:
            text_file = Path(tmp) / "excerpt.txt"
            text_file.write_text(text, encoding="utf-8")
            ours, bare = bench(str(text_file), str(Path(tmp) / "m.safetensors"), ids, len(chars), shape, steps)
        rows = {}
        for name, xs in (("bare nn.LSTM + Adam", bare), ("rnn-tui Trainer", ours)):
            total = len(xs) * batch * seq / sum(xs)
            median = batch * seq / statistics.median(xs)
            rows[name] = (total, median)
            label = f"LSTM {layers}×{hidden}, {batch} × {seq}, {steps} steps"
            print(f"{label:<34}{name:<22}{total:>16,.0f}{median:>24,.0f}")
        ratio = rows["rnn-tui Trainer"][0] / rows["bare nn.LSTM + Adam"][0]
        ratio_med = rows["rnn-tui Trainer"][1] / rows["bare nn.LSTM + Adam"][1]
        worst = min(worst, ratio)
        print(f"{'':<34}ratio trainer/bare: {ratio:.3f} (total), {ratio_med:.3f} (median)")
    print(f"lowest ratio {worst:.3f} (target ≥ 0.90: {'met' if worst >= 0.9 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
