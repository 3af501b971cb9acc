"""Teacher-forced run over the held-out text with the default model.

Target (issue #2): >= 15,000 chars/s on the 2-core development machine. Prints
the exact single-stream run (every character after every earlier one) and the
16-stream run that `rnn-tui eval` uses on long texts, with the loss each gives.
"""

from __future__ import annotations

import lzma
import sys
import time
from pathlib import Path

# isort: off
from _common import default_model, table  # before numpy: it pins the BLAS threads
import numpy as np
# isort: on

CORPUS = Path(__file__).resolve().parent.parent / "checkpoints" / "corpora" / "shakespeare.txt.xz"


def held_out_ids(model, n_max: int | None) -> tuple[np.ndarray, str]:
    from rnn_tui.core.checkpoint import DEFAULT_MODEL, bundled_models, load

    path = bundled_models().get(DEFAULT_MODEL)
    if CORPUS.exists() and path is not None:
        text = lzma.decompress(CORPUS.read_bytes()).decode("utf-8")
        held = text[int(len(text) * 0.95):]
        ids = load(path).vocab.encode(held)
        what = f"held-out 5% of the Shakespeare corpus, {len(ids):,} chars"
    else:
        ids = np.random.default_rng(0).integers(0, model.config.vocab_size, 253_000)
        what = f"{len(ids):,} random chars (corpus or model missing)"
    if n_max:
        ids = ids[:n_max]
        what += f", first {n_max:,}"
    return ids, what


def main() -> int:
    model, name = default_model()
    n_max = int(sys.argv[1]) if len(sys.argv) > 1 else None
    ids, what = held_out_ids(model, n_max)
    rows, speeds = [], {}
    for streams in (1, 16):
        t0 = time.perf_counter()
        loss = model.nll(ids, streams=streams)
        dt = time.perf_counter() - t0
        speeds[streams] = len(ids) / dt
        label = f"{streams} stream{'s' if streams > 1 else ''}"
        rows.append((label, f"{speeds[streams]:,.0f}", f"{loss:.4f}", f"{dt:.1f}"))
    print(f"model: {name}; text: {what}; 1 BLAS thread")
    print(table(rows, ("run", "chars/s", "nats/char", "seconds")))
    print(f"16 streams / 1 stream: {speeds[16] / speeds[1]:.2f}x")
    ok = speeds[16] >= 15_000
    print(f"target >= 15,000 chars/s: {'met' if ok else 'NOT met'} by the 16-stream run; "
          f"the exact single-stream run gives {speeds[1]:,.0f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
