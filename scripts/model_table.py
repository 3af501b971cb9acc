"""Print the README's table of bundled models from the checkpoints' own provenance."""

from __future__ import annotations

import math

from rnn_tui.core.checkpoint import bundled_models, load


def main() -> None:
    print("| model | cell | layers×hidden | parameters | corpus | val loss nats/char | bits/char | training "
          "| hardware |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, path in bundled_models().items():
        ckpt = load(path)
        c, p = ckpt.config, ckpt.provenance
        loss = p.get("val_loss")
        nats = f"{loss:.3f}" if isinstance(loss, (int, float)) else "–"
        bits = f"{loss / math.log(2):.3f}" if isinstance(loss, (int, float)) else "–"
        secs = p.get("train_seconds")
        took = f"{secs:.0f} s, {p.get('steps', '?')} steps" if isinstance(secs, (int, float)) else "–"
        print(f"| `{name}` | {c.cell.upper()} | {c.layers}×{c.hidden} | {c.parameters():,} | {p.get('corpus', '–')} "
              f"| {nats} | {bits} | {took} | {p.get('hardware', '–')} |")


if __name__ == "__main__":
    main()
