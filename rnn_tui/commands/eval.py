"""`rnn-tui eval CKPT TEXT_FILE`: a model's loss on a text, in nats and bits per character.

numpy only: it runs the same `Model.nll` the viewer's engine uses, so
the figure it prints is the one a student can reproduce without PyTorch. By
default it scores the held-out last 5 % of the file, the part training never saw,
with the same split `rnn-tui train` uses.
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from ..core.errors import UserError
from ..core.safe import safe_text
from ..core.text import DEFAULT_VAL_FRAC, held_out, read_text
from ._args import OneLineParser


def _val_frac(value: str) -> float:
    try:
        f = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {safe_text(value, 30)!r}") from None
    if not 0.0 < f < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {safe_text(value, 30)}")
    return f


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="rnn-tui eval",
        description="Score a model on a text: mean negative log-likelihood in nats/char and bits/char.",
    )
    p.add_argument("checkpoint", help="a bundled model's name, or a .safetensors/.pt/.npz file")
    p.add_argument("text_file", help="a UTF-8 text file (.xz accepted)")
    p.add_argument("--all", action="store_true", help="score the whole file, not only the held-out end")
    p.add_argument("--val-frac", type=_val_frac, default=DEFAULT_VAL_FRAC,
                   help="fraction held out at the end of the file (default 0.05, as in training)")
    p.add_argument("--exact", action="store_true",
                   help="one stream from the start (exact; slower) instead of 16 streams side by side")
    return p


def main(argv: list[str]) -> int:
    p = parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as e:  # --help
        return int(e.code or 0)
    from ._loading import load_model

    ckpt = load_model(args.checkpoint)
    text = read_text(args.text_file)
    part = text if args.all else held_out(text, args.val_frac)
    if len(part) < 2:
        raise UserError(f"{args.text_file}: too short to score (need at least 2 characters)")
    unknown = ckpt.vocab.unknown(part)
    if unknown:
        shown = safe_text("".join(unknown[:20])) + (" …" if len(unknown) > 20 else "")
        raise UserError(f"{args.text_file}: {len(unknown)} character(s) outside the model's vocabulary: '{shown}'")
    with np.errstate(all="ignore"):
        nats = ckpt.model().nll(ckpt.vocab.encode(part), streams=1 if args.exact else 16)
    if not math.isfinite(nats):  # the load's probe step passed, but this text drove the model to overflow
        raise UserError(f"{ckpt.name}: the model's scores overflow on this text (NaN or infinite loss)")
    scope = "whole file" if args.all else f"held-out last {args.val_frac:.0%}"
    print(f"{safe_text(ckpt.name, 60)}: {nats:.4f} nats/char, {nats / math.log(2):.4f} bits/char "
          f"on {len(part) - 1:,} characters ({scope}{', exact' if args.exact else ', 16 streams'})")
    return 0
