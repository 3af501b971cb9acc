"""Keeping a float16 checkpoint's weights in float16 (half the memory) and widening them for each product:
what it costs a step, against the float32 weights the model holds now.

numpy has no float16 matrix product in BLAS: `h @ W16` runs numpy's own loop. Widening W16 to float32 a
slice at a time (16 MiB of float32, then `sgemv` on it) keeps BLAS, but every step then converts every
weight once. The product timed is a step's largest: h (1×H) times an LSTM layer's recurrent matrix
(H×4H). Interleaved, one call of each method a round; medians and ranges. Baseline: float32 weights.

    python benchmarks/bench_f16_weights.py [--rounds 9]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
from _common import SMOKE, machine, table

SLICE = 16 << 20  # bytes of float32 a widened slice takes


def widened(h: np.ndarray, w16: np.ndarray) -> np.ndarray:
    """h @ w16, widening w16 to float32 a slice of rows at a time (the memory a slice takes, not a copy)."""
    out = np.zeros(w16.shape[1], np.float32)
    rows = max(1, SLICE // (4 * w16.shape[1]))
    for a in range(0, w16.shape[0], rows):
        out += h[a : a + rows] @ w16[a : a + rows].astype(np.float32)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args()
    print(machine())
    sizes = (64,) if SMOKE else (256, 1024, 6400)
    rounds = 2 if SMOKE else args.rounds
    rng = np.random.default_rng(0)
    rows = []
    for hidden in sizes:
        w32 = rng.uniform(-0.05, 0.05, (hidden, 4 * hidden)).astype(np.float32)
        w16 = w32.astype(np.float16)
        h = rng.uniform(-1, 1, hidden).astype(np.float32)
        methods = {"float32 weights, sgemv (now)": lambda h=h, w=w32: h @ w,
                   "float16, widened a slice at a time": lambda h=h, w=w16: widened(h, w)}
        if hidden <= 1024:  # numpy's own float16 loop: seconds a step at 6400
            h16 = h.astype(np.float16)
            methods["float16, numpy's float16 product"] = lambda h=h16, w=w16: h @ w
        times: dict[str, list[float]] = {name: [] for name in methods}
        for _ in range(rounds):
            for name, fn in methods.items():
                t0 = time.perf_counter()
                fn()
                times[name].append((time.perf_counter() - t0) * 1e3)
        base = statistics.median(times["float32 weights, sgemv (now)"])
        for name, ts in times.items():
            med = statistics.median(ts)
            weight_mb = (w32 if name.startswith("float32") else w16).nbytes / 2**20
            rows.append((f"{hidden}×{4 * hidden}", name, f"{weight_mb:,.1f}", f"{med:.2f}",
                         f"{min(ts):.2f}–{max(ts):.2f}", f"{med / base:.2f}×"))
    print(table(rows, ("matrix", "weights kept as", "MiB", "ms median", "range", "vs float32")))
    print(f"load now: {machine().split('load average ')[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
