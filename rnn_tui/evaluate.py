"""`rnn-tui eval CKPT TEXT_FILE`: a model's loss on a text, in nats and bits per character.

numpy only (core layer): it runs the same `Model.nll` the viewer's engine uses, so
the figure it prints is the one a student can reproduce without PyTorch. By
default it scores the held-out last 5 % of the file, the part training never saw,
with the same split `rnn-tui train` uses.
"""

from __future__ import annotations

import argparse
import lzma
import math
import os
from pathlib import Path

from .errors import UserError
from .vocab import safe_text

DEFAULT_VAL_FRAC = 0.05


def read_text(path: str | os.PathLike) -> str:
    """The text of a UTF-8 file (`.xz`-compressed files too); any problem is a UserError."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path}: is a directory, not a text file")
    try:
        if path.suffix == ".xz":
            with lzma.open(path, "rb") as f:
                raw = f.read()
        else:
            raw = path.read_bytes()
    except lzma.LZMAError as e:
        raise UserError(f"{path}: not a valid .xz file ({e})") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text (invalid byte 0x{raw[e.start]:02x} "
                        f"at byte offset {e.start})") from None


def val_size(n_chars: int, val_frac: float) -> int:
    """How many characters at the end of a text of `n_chars` are held out (at least 2, to score one)."""
    return max(2, int(round(n_chars * val_frac)))


def held_out(text: str, val_frac: float = DEFAULT_VAL_FRAC) -> str:
    """The last `val_frac` of `text`: what training never sees and validation scores."""
    return text[len(text) - val_size(len(text), val_frac):]


def _val_frac(value: str) -> float:
    try:
        f = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0.0 < f < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {value}")
    return f


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are UserErrors: one line on stderr, exit status 2, no usage dump."""

    def error(self, message: str):  # type: ignore[override]
        raise UserError(f"{self.prog}: {message} (see --help)")


def _parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="rnn-tui eval",
        description="Score a model on a text: mean negative log-likelihood in nats/char and bits/char.",
    )
    p.add_argument("checkpoint", help="a bundled model's name, or a .safetensors/.pt file")
    p.add_argument("text_file", help="a UTF-8 text file (.xz accepted)")
    p.add_argument("--all", action="store_true", help="score the whole file, not only the held-out end")
    p.add_argument("--val-frac", type=_val_frac, default=DEFAULT_VAL_FRAC,
                   help="fraction held out at the end of the file (default 0.05, as in training)")
    p.add_argument("--exact", action="store_true",
                   help="one stream from the start (exact; slower) instead of 16 streams side by side")
    return p


def eval_main(argv: list[str]) -> int:
    p = _parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as e:  # --help
        return int(e.code or 0)
    from . import checkpoint

    ckpt = checkpoint.load(checkpoint.resolve(args.checkpoint))
    text = read_text(args.text_file)
    part = text if args.all else held_out(text, args.val_frac)
    if len(part) < 2:
        raise UserError(f"{args.text_file}: too short to score (need at least 2 characters)")
    unknown = ckpt.vocab.unknown(part)
    if unknown:
        shown = safe_text("".join(unknown[:20])) + (" …" if len(unknown) > 20 else "")
        raise UserError(f"{args.text_file}: {len(unknown)} character(s) outside the model's vocabulary: '{shown}'")
    nats = ckpt.model().nll(ckpt.vocab.encode(part), streams=1 if args.exact else 16)
    scope = "whole file" if args.all else f"held-out last {args.val_frac:.0%}"
    print(f"{ckpt.name}: {nats:.4f} nats/char, {nats / math.log(2):.4f} bits/char "
          f"on {len(part) - 1:,} characters ({scope}{', exact' if args.exact else ', 16 streams'})")
    return 0
