"""`rnn-tui [MODEL]`: load and check everything, then open the screen.

Every problem a user can cause (a missing or damaged checkpoint, a prime with
characters the model does not know, a bad option) is raised here, before the
terminal switches to the app, so it prints as one line and exits with status 2.
"""

from __future__ import annotations

import argparse

from ..checkpoint import load, resolve
from ..errors import UserError
from ..vocab import safe_text
from .screens import unescape


def parse_kbps(text: str) -> float:
    """--max-kbps: a number of KB/s >= 0 (0 = no limit)."""
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"--max-kbps must be a number of KB/s (0 = no limit), got {safe_text(text)!r}") from None
    if not 0 <= value < float("inf"):
        raise UserError(f"--max-kbps must be 0 (no limit) or more, got {safe_text(text)!r}")
    return value


def launch(args: argparse.Namespace) -> int:
    max_kbps = parse_kbps(args.max_kbps)  # before loading anything: the cheapest check first
    ckpt = load(resolve(args.model))
    prime = unescape(args.prime) if args.prime else None
    if prime:
        unknown = ckpt.vocab.unknown(prime)
        if unknown:
            raise UserError(f"--prime has characters {ckpt.name} does not know: {safe_text(''.join(unknown))!r}")
    if not args.fps > 0 or args.fps > 240:
        raise UserError(f"--fps must be between 0 and 240, got {args.fps}")
    if not 0 <= args.temperature <= 10:
        raise UserError(f"--temperature must be between 0 and 10, got {args.temperature}")
    from .app import build_app  # textual only once the arguments are known to be good

    build_app(ckpt, seed=args.seed, temperature=args.temperature, prime=prime, fps=args.fps,
              max_kbps=max_kbps).run()
    return 0
