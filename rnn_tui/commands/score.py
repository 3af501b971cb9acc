"""`rnn-tui score [MODEL] --context TEXT CANDIDATE...`: how likely each word is after a context.

"I took a walk with my ____": a character model ranks `sister`, `father` and
`refrigerator` by the product of their characters' probabilities. The context
is read from the model's initial state exactly as `export` reads a text, so the
per-character figures are `export`'s `p_next` to the last bit. numpy only.

The model is `-m/--model NAME_OR_FILE`, or the first word when it is a bundled
model's name or an existing model file (.safetensors, .pt, .npz); otherwise every
word is a candidate and the default model answers.
"""

from __future__ import annotations

import argparse
import json
import math

from ..core.errors import UserError
from ..core.safe import safe_text
from ..core.text import unescape
from ._args import OneLineParser
from ._inputs import STDIN, add_model_options, looks_like_model, model_name, open_model, read_input_text

MAX_CANDIDATES = 1000
MAX_CHARS = 100_000  # context plus candidate: each candidate is one pass over both


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="rnn-tui score",
                      description="Rank candidate continuations of a context by the model's probability: "
                                  "total surprisal in bits and nats, and per character.")
    p.add_argument("words", nargs="*", metavar="[MODEL] CANDIDATE",
                   help="an optional model (a bundled name or a model file), then the candidates")
    p.add_argument("--context", "-c", required=True,
                   help=r"the text before the candidates, read from the model's initial state (\n newline; "
                        "- reads standard input)")
    p.add_argument("--json", action="store_true", help="one JSON object a candidate, likeliest first")
    p.add_argument("--raw", action="store_true", help=r"take the context as is (no \n, \t escapes)")
    add_model_options(p)
    return p


def split_model(words: list[str]) -> tuple[str | None, list[str]]:
    """(model, candidates): the first word is the model when it names one."""
    if words and looks_like_model(words[0]):
        return words[0], words[1:]
    return None, words


def check_text(vocab, what: str, text: str) -> None:
    unknown = vocab.unknown(text)
    if unknown:
        shown = safe_text("".join(dict.fromkeys(unknown))[:20], 40)
        raise UserError(f"{what} has {len(unknown)} character(s) outside the model's vocabulary: '{shown}'")


def main(argv: list[str]) -> int:
    args = parser().parse_intermixed_args(argv)  # candidates may come before or after --context
    positional, candidates = split_model(args.words)
    name = model_name(args, positional)
    if not candidates:
        raise UserError("no candidates to score: give them after the options, e.g. "
                        "rnn-tui score --context 'I took a walk with my ' sister father refrigerator")
    if len(candidates) > MAX_CANDIDATES:
        raise UserError(f"{len(candidates):,} candidates: at most {MAX_CANDIDATES:,} at a time")
    if args.context == STDIN:
        context = read_input_text(STDIN)[0]
    else:
        context = args.context if args.raw else unescape(args.context)
    if not context:
        raise UserError("--context is empty: a candidate's first character needs a character before it")
    if any(not c for c in candidates):
        raise UserError("an empty candidate has nothing to score")
    longest = max(len(c) for c in candidates)
    if len(context) + longest > MAX_CHARS:
        raise UserError(f"context and candidate are {len(context) + longest:,} characters: at most {MAX_CHARS:,}")
    from ..analysis.score import score

    ckpt = open_model(args, name)
    check_text(ckpt.vocab, "the context", context)
    for c in candidates:
        check_text(ckpt.vocab, f"candidate {safe_text(c, 30)!r}", c)
    scores = score(ckpt.model(), ckpt.vocab, context, candidates)
    if args.json:
        for s in scores:
            print(json.dumps(s.to_json(), ensure_ascii=False))
        return 0
    print(f"{safe_text(ckpt.name, 60)}, after {safe_text(context[-60:], 70)!r}:")
    width = min(30, max(9, *(len(safe_text(s.candidate, 30)) for s in scores)))
    print(f"{'candidate':<{width}}  {'bits':>8}  {'nats':>8}  {'bits/char':>9}  per character (bits)")
    for s in scores:
        per = " ".join(f"{safe_text(ch)}{b:.1f}" for ch, b in zip(s.candidate, s.char_bits, strict=True))
        mean = s.bits / len(s.candidate)
        print(f"{safe_text(s.candidate, 30):<{width}}  {s.bits:8.2f}  {s.nats:8.2f}  {mean:9.2f}  "
              f"{safe_text(per, 120)}")
    best, last = scores[0], scores[-1]
    if len(scores) > 1 and math.isfinite(last.bits):
        print(f"each bit halves the probability: {safe_text(best.candidate, 30)!r} is "
              f"2^{last.bits - best.bits:.1f} ≈ {2 ** (last.bits - best.bits):,.3g} times likelier "
              f"than {safe_text(last.candidate, 30)!r}")
    return 0
