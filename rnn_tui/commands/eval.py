"""`rnn-tui eval TEXT [-m MODEL]`: a model's loss on a text, in nats and bits per character.

numpy only: it runs the same `Model.nll` the viewer's engine uses, so
the figure it prints is the one a student can reproduce without PyTorch. By
default it scores the held-out last 5 % of the file, the part training never saw,
with the same split `rnn-tui train` uses.

Exact (one stream read from the start) wherever that is cheap, and always for a
transformer, whose one stream is already read in batched windows. A long text is
read as up to 64 pieces side by side, each after the 256 characters before it
(core/pieces.py): within 0.0003 nats/char of exact on the bundled RNNs' held-out
text, and twice as fast. The line printed says which.
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

from ..core.errors import UserError
from ..core.pieces import SCORE_PIECES, SCORE_WARMUP, stream_count
from ..core.safe import safe_text
from ..core.text import DEFAULT_VAL_FRAC, held_out
from ._args import OneLineParser
from ._inputs import add_model_options, model_and_text, open_model, read_input_text

# One stream costs about a step per character whatever the model's size; a budget in characters ×
# parameters keeps exact scoring to a few seconds (about 2 s for 20,000 characters of an LSTM 2×256).
EXACT_BUDGET = 5e10
EXACT_MAX_CHARS = 200_000


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
        epilog="The model goes in -m/--model; the older form 'rnn-tui eval MODEL TEXT' works too.",
    )
    p.add_argument("text_file", metavar="TEXT", help="a UTF-8 text file (.xz accepted), or - for standard input")
    p.add_argument("old_text", nargs="?", metavar="[TEXT]", help=argparse.SUPPRESS)
    add_model_options(p)
    p.add_argument("--all", action="store_true", help="score the whole file, not only the held-out end")
    p.add_argument("--val-frac", type=_val_frac, default=DEFAULT_VAL_FRAC,
                   help="fraction held out at the end of the file (default 0.05, as in training)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--exact", action="store_true",
                     help="one stream from the start, however long the text (the default where it is cheap, "
                          "and for a transformer)")
    how.add_argument("--streams", action="store_true",
                     help=f"up to {SCORE_PIECES} pieces side by side, each after the {SCORE_WARMUP} characters "
                          "before it (faster; the default for an RNN's long text)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a sentence")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    name, text_name = model_and_text(args, args.text_file, args.old_text, model_first=True)
    ckpt = open_model(args, name)
    text, shown = read_input_text(text_name)
    part = text if args.all else held_out(text, args.val_frac)
    if len(part) < 2:
        raise UserError(f"{shown}: too short to score (need at least 2 characters)")
    unknown = ckpt.vocab.unknown(part)
    if unknown:
        odd = safe_text("".join(unknown[:20])) + (" …" if len(unknown) > 20 else "")
        raise UserError(f"{shown}: {len(unknown)} character(s) outside the model's vocabulary: '{odd}'")
    model = ckpt.model()
    exact = args.exact or (not args.streams and (is_cheap(len(part), ckpt.config.parameters())
                                                 or not model.reads_long_texts_in_pieces))
    with np.errstate(all="ignore"):
        nats = model.nll(ckpt.vocab.encode(part), streams=1 if exact else SCORE_PIECES)
    pieces = 1 if exact else stream_count(len(part) - 1, SCORE_PIECES, SCORE_WARMUP)
    exact = pieces == 1  # a text too short to cut is read whole
    if not math.isfinite(nats):  # the load's probe step passed, but this text drove the model to overflow
        raise UserError(f"{ckpt.name}: the model's scores overflow on this text (NaN or infinite loss)")
    scope = "whole file" if args.all else f"held-out last {args.val_frac:.0%}"
    method = ("exact, one stream" if exact
              else f"{pieces} pieces side by side, each after the {SCORE_WARMUP} characters before it")
    if args.json:
        # json.dumps escapes every control character, so a model's odd name cannot reach the terminal raw
        print(json.dumps({"model": ckpt.name, "nats_per_char": nats, "bits_per_char": nats / math.log(2),
                          "characters": len(part) - 1, "scope": "whole" if args.all else "held-out",
                          "val_frac": None if args.all else args.val_frac, "exact": exact,
                          "streams": pieces}))
        return 0
    print(f"{safe_text(ckpt.name, 60)}: {nats:.4f} nats/char, {nats / math.log(2):.4f} bits/char "
          f"on {len(part) - 1:,} characters ({scope}; {method})")
    return 0


def is_cheap(n_chars: int, parameters: int) -> bool:
    """Whether one exact stream over `n_chars` takes seconds, not minutes."""
    return n_chars <= EXACT_MAX_CHARS and n_chars * parameters <= EXACT_BUDGET
