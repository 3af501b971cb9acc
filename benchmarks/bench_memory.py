"""Memory over a long generation, and the cost of rewinding.

Targets (issue #3): RSS <= 120 MB after 100,000 generated steps, growing by
<= 64 bytes a step; rewinding to any earlier step <= 50 ms. Runs the viewer's
own session in the viewer's process set-up (textual imported, default model).
"""

from __future__ import annotations

import random
import sys
import time

from _common import default_model, table

from rnn_tui.checkpoint import DEFAULT_MODEL, bundled_models, load
from rnn_tui.sampling import Sampler
from rnn_tui.session import Session


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main() -> int:
    import textual.app  # noqa: F401  the viewer's footprint, not the bare engine's

    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    model, name = default_model()
    path = bundled_models().get(DEFAULT_MODEL)
    vocab = load(path).vocab if path else None
    if vocab is None:
        from rnn_tui.vocab import Vocab

        vocab = Vocab([chr(32 + i) for i in range(83)] + ["\n"])
    session = Session(model, vocab, prime="\n", sampler=Sampler(temperature=0.8, seed=1))
    session.forward(10_000)
    rss_10k = rss_bytes()
    t0 = time.perf_counter()
    session.forward(steps - 10_000)
    gen_s = time.perf_counter() - t0
    rss_end = rss_bytes()
    growth = (rss_end - rss_10k) / (steps - 10_000)

    rng = random.Random(0)
    worst, total = 0.0, 0.0
    for _ in range(200):
        target = rng.randrange(0, session.length)
        t0 = time.perf_counter()
        session.seek(target)
        dt = time.perf_counter() - t0
        worst, total = max(worst, dt), total + dt
    print(f"model: {name}; {steps:,} generated steps in {gen_s:.1f} s ({(steps - 10_000) / gen_s:,.0f} steps/s)")
    print(table([
        ("RSS after 10,000 steps", f"{rss_10k / 2**20:.1f} MB"),
        (f"RSS after {steps:,} steps", f"{rss_end / 2**20:.1f} MB"),
        ("RSS growth per step", f"{growth:.1f} bytes"),
        ("history held per step (characters, records, snapshots)",
         f"{session.memory_bytes() / session.length:.1f} bytes"),
        ("rewind to a random earlier step, mean of 200", f"{total / 200 * 1e3:.1f} ms"),
        ("rewind to a random earlier step, worst of 200", f"{worst * 1e3:.1f} ms"),
    ], ("measure", "value")))
    ok = rss_end <= 120 * 2**20 and growth <= 64 and worst <= 0.050
    print(f"targets RSS <= 120 MB, <= 64 B/step, rewind <= 50 ms: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
