"""`rnn-tui info [MODEL]`: what a checkpoint is and where it came from; no argument lists the bundled ones."""

from __future__ import annotations

import argparse
import math

from ..core.checkpoint import bundled_models, load
from ..interop import load_model


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="rnn-tui info", description="Describe a model, or list the bundled models.")
    p.add_argument("model", nargs="?", help="a bundled model's name or a checkpoint file")
    args = p.parse_args(argv)
    if args.model is None:
        models = bundled_models()
        if not models:
            print("no bundled models found")
            return 1
        for name, path in models.items():
            print(f"{name:<20} {summary(load(path))}")
        return 0
    ckpt = load_model(args.model)
    c = ckpt.config
    print(f"{ckpt.name}: {summary(ckpt)}")
    print(f"  file        {ckpt.path}")
    print(f"  input       {'embedding ' + str(c.embed_dim) if c.embed_dim else 'one-hot'}, {c.vocab_size} characters")
    print(f"  parameters  {c.parameters():,}")
    for key, value in sorted(ckpt.provenance.items()):
        print(f"  {key:<11} {value}")
    from ..analysis.known_cells import info_lines

    for line in info_lines(ckpt):
        print(line)
    return 0


def summary(ckpt) -> str:
    c = ckpt.config
    loss = ckpt.provenance.get("val_loss")
    score = f", val {loss:.3f} nats/char ({loss / math.log(2):.3f} bits/char)" if isinstance(loss, (int, float)) else ""
    return f"{c.cell.upper()} {c.layers}×{c.hidden}, {c.parameters():,} parameters{score}"
