"""`rnn-tui info [MODEL] [--json]`: what a checkpoint is and where it came from; no argument lists the bundled ones.

Everything printed that came from the file (its name, the provenance strings a
classmate wrote) goes through `safe_text`, clipped to one line; since every safe
character is one cell wide, the columns line up by length.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from ..core.checkpoint import bundled_models, inspect
from ..core.safe import safe_text
from ._args import OneLineParser, say
from ._inputs import add_model_options, model_name, open_model

VALUE_WIDTH = 100  # characters of a provenance value shown; a stored text passage can be 64 KiB


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="rnn-tui info", description="Describe a model, or list the bundled models.")
    p.add_argument("model", nargs="?", help="a bundled model's name or a checkpoint file")
    add_model_options(p)
    p.add_argument("--json", action="store_true", help="print JSON for scripts (a list without MODEL)")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    name = model_name(args, args.model)
    if name is None:
        models = bundled_models()
        if args.json:
            print(_json([describe(inspect(path)) for path in models.values()]))
            return 0 if models else 1
        if not models:
            print("no bundled models found")
            return 1
        names = {name: safe_text(name, 40) for name in models}
        width = max(map(len, names.values()))
        for name, path in models.items():
            say(f"{names[name]:<{width}}  {summary(inspect(path))}")
        return 0
    ckpt = open_model(args, name, weights=False)  # described, not run: no float32 copy of its weights
    if args.json:
        print(_json({**describe(ckpt), "vocab": list(ckpt.vocab.chars), "provenance": ckpt.provenance}))
        return 0
    c = ckpt.config
    rows = [
        ("file", str(ckpt.path)),
        ("input", f"{'embedding ' + str(c.embed_dim) if c.embed_dim else 'one-hot'}, {c.vocab_size} characters"),
        ("parameters", f"{c.parameters():,}"),
        *sorted(ckpt.provenance.items()),
    ]
    shown = [(safe_text(key, 24), safe_text(_plain(value), VALUE_WIDTH)) for key, value in rows]
    width = max(len(key) for key, _ in shown)
    say(f"{safe_text(ckpt.name, 60)}: {summary(ckpt)}")
    for key, value in shown:
        say(f"  {key:<{width}}  {value}")
    from ..analysis.known_cells import info_lines

    for line in info_lines(ckpt):  # values from the file: clipped like the rows above
        print(safe_text(line, VALUE_WIDTH + 60))
    return 0


def summary(ckpt) -> str:
    c = ckpt.config
    loss = ckpt.provenance.get("val_loss")
    usable = isinstance(loss, (int, float)) and not isinstance(loss, bool) and 0 <= loss < 1e6
    score = f", val {loss:.3f} nats/char ({loss / math.log(2):.3f} bits/char)" if usable else ""
    return f"{c.cell.upper()} {c.layers}×{c.hidden}, {c.parameters():,} parameters{score}"


def describe(ckpt) -> dict[str, Any]:
    c = ckpt.config
    return {"name": ckpt.name, "file": str(ckpt.path), "cell": c.cell, "layers": c.layers, "hidden": c.hidden,
            "input": "embedding" if c.embed_dim else "one-hot", "embed_dim": c.embed_dim,
            "vocab_size": c.vocab_size, "parameters": c.parameters(), "val_loss": ckpt.provenance.get("val_loss")}


def _json(value: Any) -> str:
    """JSON for scripts: the values as the file holds them (not clipped), every control character, C1 and bidi
    character escaped as \\uXXXX by ensure_ascii, so the sanitiser is not needed on this path."""
    return json.dumps(value, ensure_ascii=True, default=repr, indent=1)


def _plain(value: Any) -> str:
    """A provenance value as text: strings as they are, anything else as compact JSON-like text."""
    return value if isinstance(value, str) else repr(value)
