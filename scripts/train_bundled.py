"""Train the three bundled Shakespeare models: LSTM, GRU and RNN, each 2 layers × 256, one-hot input.

One after another, each for `--budget` seconds (wall clock, evaluation
included), on the corpus built by scripts/build_corpus.py (the committed
`checkpoints/corpora/shakespeare.txt.xz` by default), holding out its last 5 %.
Writes OUTDIR/shakespeare-{cell}.safetensors, OUTDIR/train.log and
OUTDIR/summary.json (val loss, steps, seconds, chars/s, hardware per model).

Hyperparameters, chosen for ~150 s each on one big GPU, where a 2×256 network
is bound by the recurrence's per-step latency, not by arithmetic: a wide batch
(512 streams × 128 characters) costs about as much per step as a narrow one, so
it buys characters per second for free. Adam, lr 3e-3 (2e-3 for the plain RNN,
whose gradients are rougher), warm-up over the first 1 % of the budget, cosine decay to 2 % over the
time budget, gradient clipping at 1.0, dropout 0.1 between the LSTM/GRU layers.
fp32: bf16 autocast (--bf16) was measured worse on an H200, LSTM 2×256, 30 s
each: fp32 6.17 M chars/s and val 1.412 nats/char; bf16 5.58 M chars/s and val
1.866. The text moves to the GPU once; a batch is a view of it.

Imports neither textual nor the viewer, so it runs where only torch, numpy,
safetensors and rich are installed:

    python scripts/train_bundled.py --budget 150 --outdir runs/bundled --device cuda
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from rnn_tui.train.options import TrainOptions  # noqa: E402
from rnn_tui.train.report import PlainReporter  # noqa: E402
from rnn_tui.train.trainer import Trainer  # noqa: E402

CELLS = ("lstm", "gru", "rnn")
LR = {"lstm": 3e-3, "gru": 3e-3, "rnn": 2e-3}
DROPOUT = {"lstm": 0.1, "gru": 0.1, "rnn": 0.0}
QUALITY_BAR = {"lstm": 1.42, "gru": 1.45, "rnn": 1.55}  # nats/char on the held-out 5 %, at ~150 s on a GPU


class Tee:
    """Write to the terminal and the log file."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, s: str) -> None:
        for st in self.streams:
            st.write(s)

    def flush(self) -> None:
        for st in self.streams:
            st.flush()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Train the bundled shakespeare-{lstm,gru,rnn} models.")
    p.add_argument("--corpus", default=str(ROOT / "checkpoints" / "corpora" / "shakespeare.txt.xz"),
                   help="shakespeare.txt or shakespeare.txt.xz (default: the committed .xz)")
    p.add_argument("--budget", type=float, default=150.0, help="seconds per model (default 150)")
    p.add_argument("--outdir", default=str(ROOT / "runs" / "bundled"))
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--cells", default=",".join(CELLS), help="comma-separated subset of lstm,gru,rnn")
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="CPU threads (CPU runs only)")
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast on CUDA (measured slower and worse)")
    p.add_argument("--keep-resume", action="store_true", help="keep the *.resume.pt files")
    args = p.parse_args(argv)

    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    summary_path = outdir / "summary.json"
    summary: dict[str, dict] = {}
    with open(outdir / "train.log", "a", encoding="utf-8") as logf:
        out = Tee(sys.stdout, logf)
        for cell in args.cells.split(","):
            opts = TrainOptions(
                text_file=args.corpus, out=str(outdir / f"shakespeare-{cell}.safetensors"),
                cell=cell, layers=2, hidden=256, embedding=None, dropout=DROPOUT[cell],
                seq_len=args.seq_len, batch=args.batch, lr=LR[cell], warmup_frac=0.01, clip=1.0,
                time_budget=args.budget, seed=args.seed, device=args.device, val_frac=0.05,
                threads=args.threads, bf16=args.bf16, sample_every=None)
            t0 = time.perf_counter()
            trainer = Trainer(opts, reporter=PlainReporter(out, interval=15.0))
            r = trainer.run()
            if not args.keep_resume:
                opts.resume_path.unlink(missing_ok=True)
            summary[cell] = {
                "checkpoint": str(opts.out),
                "val_loss": r.best_val,
                "bits_per_char": r.best_val / math.log(2) if r.best_val else None,
                "quality_bar": QUALITY_BAR[cell],
                "meets_bar": bool(r.best_val is not None and r.best_val <= QUALITY_BAR[cell]),
                "best_step": r.best_step,
                "steps": r.steps,
                "seconds": round(r.seconds, 1),
                "wall_seconds": round(time.perf_counter() - t0, 1),
                "chars_per_second": round(r.chars_per_second),
                "hardware": r.hardware,
                "parameters": trainer.config.parameters(),
                "batch": args.batch, "seq_len": args.seq_len, "lr": LR[cell], "dropout": DROPOUT[cell],
                "bf16": args.bf16,
            }
            summary_path.write_text(json.dumps(summary, indent=2) + "\n")
            if r.interrupted:
                break
        out.write("\n" + "cell  val nats/char  bits/char  bar   steps   chars/s  hardware\n")
        for cell, s in summary.items():
            val = s["val_loss"] if s["val_loss"] is not None else float("nan")
            out.write(f"{cell:5} {val:13.4f} {val / math.log(2):10.4f} {'ok ' if s['meets_bar'] else 'MISS'} "
                      f"{s['steps']:7d} {s['chars_per_second']:9,d}  {s['hardware']}\n")
        out.write(f"textual imported: {'textual' in sys.modules}; summary: {summary_path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
