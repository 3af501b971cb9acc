"""`rnn-tui sample [MODEL]`: a model's text on standard output, like char-rnn's `th sample.lua`.

It runs the viewer's own timeline (`core.session.Session` with a `core.sampling.Sampler`) step by
step, so the same model, seed, temperature, mode and prime give the same text as the viewer: the
random number for each position depends only on the seed and the position.

Into a terminal every character is written as its safe glyph (newlines stay newlines), since a model
may have an ESC in its vocabulary; into a pipe or a file the characters go raw, UTF-8, as a script
wants them. `--json` writes one JSON object a character, for scripts and notebooks.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TextIO

from ..core.errors import UserError
from ..core.safe import glyph, safe_text
from ..core.text import unescape
from . import _config
from ._args import OneLineParser
from ._inputs import add_model_options, model_name, open_model

DEFAULT_LENGTH = 1000
FLUSH_HZ = 30


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="rnn-tui sample",
                      description="Write a model's text to standard output, streamed as it is generated.")
    p.add_argument("model", nargs="?", default=None,
                   help="a bundled model's name, or a .safetensors/.pt/.pth/.npz file (default: shakespeare-lstm)")
    add_model_options(p)
    p.add_argument("--length", "-n", type=int, default=DEFAULT_LENGTH,
                   help=f"characters to generate, after the prime (default {DEFAULT_LENGTH})")
    p.add_argument("--prime", default=None,
                   help="text fed to the model first and printed before the sample (\\n, \\t, \\xNN escapes)")
    p.add_argument("--temperature", "-t", type=float, default=0.8, help="0 = argmax (default 0.8, as the viewer)")
    p.add_argument("--top-k", type=int, default=None, metavar="K", help="draw only among the K likeliest")
    p.add_argument("--top-p", type=float, default=None, metavar="P",
                   help="draw only among the likeliest characters that together hold probability P (nucleus)")
    p.add_argument("--argmax", action="store_true", help="always take the likeliest character")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0, as the viewer)")
    p.add_argument("--skip-unknown", action="store_true",
                   help="drop prime characters the model does not know, instead of stopping")
    p.add_argument("--json", action="store_true",
                   help="one JSON object a generated character: its probability and the likeliest candidates")
    p.add_argument("--candidates", type=int, default=5, metavar="K",
                   help="with --json: how many likeliest next characters each line lists (default 5)")
    return p


def main(argv: list[str]) -> int:
    p = parser()
    _config.apply(p, _config.load_config())
    args = p.parse_args(argv)
    sampler = make_sampler(args)  # the cheap checks, before loading anything
    if args.length < 1:
        raise UserError(f"--length must be 1 or more, got {args.length}")
    if args.candidates < 1:
        raise UserError(f"--candidates must be 1 or more, got {args.candidates}")
    from ..core.session import Session
    ckpt = open_model(args, model_name(args, args.model))
    prime = check_prime(ckpt, unescape(args.prime or ""), args.skip_unknown)
    session = Session(ckpt.model(), ckpt.vocab, prime=prime, sampler=sampler)
    if args.json:
        write_json(session, args.length, args.candidates, sys.stdout)
    else:
        write_text(session, prime, args.length, sys.stdout, terminal=sys.stdout.isatty())
    return 0


def make_sampler(args: argparse.Namespace):
    """The viewer's sampler for these options (mode as the viewer picks it: temperature 0 is argmax)."""
    from ..core.sampling import Sampler

    t = _config.check_temperature(args.temperature)
    if args.top_k is not None and args.top_p is not None:
        raise UserError("--top-k and --top-p are two sampling modes; give one of them")
    if args.top_k is not None and args.top_k < 1:
        raise UserError(f"--top-k must be 1 or more, got {args.top_k}")
    if args.top_p is not None and not 0 < args.top_p <= 1:
        raise UserError(f"--top-p must be above 0 and at most 1, got {args.top_p}")
    if args.argmax or t == 0:
        return Sampler(temperature=t, mode="argmax", seed=args.seed)
    if args.top_k is not None:
        return Sampler(temperature=t, mode="top-k", top_k=args.top_k, seed=args.seed)
    if args.top_p is not None:
        return Sampler(temperature=t, mode="top-p", top_p=args.top_p, seed=args.seed)
    return Sampler(temperature=t, mode="sample", seed=args.seed)


def check_prime(ckpt, prime: str, skip_unknown: bool) -> str:
    unknown = ckpt.vocab.unknown(prime)
    if not unknown:
        return prime
    shown = safe_text("".join(unknown[:20])) + (" …" if len(unknown) > 20 else "")
    if not skip_unknown:
        raise UserError(f"--prime has {len(unknown)} character(s) {safe_text(ckpt.name)} does not know: "
                        f"'{shown}' (--skip-unknown drops them)")
    print(f"rnn-tui: skipping prime character(s) {safe_text(ckpt.name)} does not know: '{shown}'", file=sys.stderr)
    return "".join(ch for ch in prime if ch in ckpt.vocab)


def terminal_char(ch: str) -> str:
    """What a terminal is sent for `ch`: its safe glyph, except that a newline stays a line break."""
    return ch if ch == "\n" else glyph(ch)


def write_text(session, prime: str, length: int, out: TextIO, terminal: bool) -> None:
    """The prime, then `length` sampled characters, flushed as they come: at each line, and on a
    terminal also every 1/FLUSH_HZ s (a write a character would be thousands of packets a second
    over SSH)."""
    chars = session.vocab.chars
    show = terminal_char if terminal else str
    out.write("".join(show(ch) for ch in prime))
    out.flush()
    flushed = time.monotonic()
    for _ in range(length):
        ch = chars[session.step()]
        out.write(show(ch))
        if ch == "\n" or (terminal and time.monotonic() - flushed > 1 / FLUSH_HZ):
            out.flush()
            flushed = time.monotonic()
    if terminal and ch != "\n":
        out.write("\n")  # leave the shell's prompt on a line of its own
    out.flush()


def write_json(session, length: int, candidates: int, out: TextIO) -> None:
    """One line a generated character: {"position", "char", "id", "p", "p_sampler", "top"}.

    p is the model's probability of the character (temperature 1, as the viewer's predictions show
    it); p_sampler the probability it was drawn with (temperature, top-k/top-p applied); top the
    `candidates` likeliest characters under the model, [[char, p], ...]. JSON escapes control
    characters, so the lines are safe in a terminal too.
    """
    import numpy as np

    chars = session.vocab.chars
    for _ in range(length):
        probs = session.probabilities()
        drawn = session.sampler.distribution(session.logits)
        char_id = session.step()
        top = np.argsort(-probs, kind="stable")[:candidates]
        out.write(json.dumps({
            "position": session.cursor,
            "char": chars[char_id],
            "id": char_id,
            "p": _round(probs[char_id]),
            "p_sampler": _round(drawn[char_id]),
            "top": [[chars[int(i)], _round(probs[i])] for i in top],
        }) + "\n")
        out.flush()


def _round(p: float) -> float:
    return float(f"{float(p):.6g}")
