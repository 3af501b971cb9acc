"""One generation step with every activation captured, 1 thread, default model.

Targets (issue #2): >= 15x faster than a torch.nn.LSTM per-step loop on the same
weights, and within 2x of the time of the step's matrix-vector products alone.

`--also NAME` times other bundled models' steps against the default one, interleaved
in the same run (a transformer's step reads its window through a key/value memo, and
every context/2 steps re-reads half a window: the figure is the mean over 1,024
steps, restarts included, and the slowest step).

    python benchmarks/bench_step.py [--also shakespeare-transformer]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time

# isort: off
from _common import default_model, machine, per_call_us, table, verdict  # before numpy: it pins the BLAS threads
import numpy as np
# isort: on


def mean_and_worst_us(model, steps: int = 1024) -> tuple[float, float]:
    """Mean and slowest µs of `steps` consecutive steps from an empty state (a window's restarts included)."""
    ids = np.random.default_rng(1).integers(0, model.config.vocab_size, steps).tolist()
    state, times = model.initial_state(), []
    for i in ids:
        t0 = time.perf_counter()
        state, _, _ = model.step(state, i)
        times.append(time.perf_counter() - t0)
    return statistics.fmean(times) * 1e6, max(times) * 1e6


def compare(names: list[str]) -> None:
    from rnn_tui.core.checkpoint import load, resolve

    base, base_name = default_model()
    models = [(base_name, base)] + [(f"{c.name} ({c.config.label})", c.model()) for c in map(load, map(resolve, names))]
    runs: dict[str, list[tuple[float, float]]] = {n: [] for n, _ in models}
    for _ in range(5):  # interleaved, so a busy moment hits every model alike
        for n, m in models:
            runs[n].append(mean_and_worst_us(m))
    b = statistics.median(mean for mean, _ in runs[base_name])
    rows = []
    for n, _ in models:
        means = [mean for mean, _ in runs[n]]
        rows.append((n, f"{statistics.median(means):.1f}", f"{min(means):.1f}-{max(means):.1f}",
                     f"{max(w for _, w in runs[n]) / 1e3:.2f}", f"{statistics.median(means) / b:.2f}x"))
    print(table(rows, ("model, numpy step, 1 thread", "mean µs (median of 5)", "range", "slowest ms",
                       "vs default")))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--also", action="append", default=[], help="another bundled model to time against the default")
    args = ap.parse_args()
    if args.also:
        print(machine())
        compare(args.also)
        return 0
    model, name = default_model()
    c = model.config
    state = model.initial_state()
    ids = itertools.cycle(np.random.default_rng(0).integers(0, c.vocab_size, 4096).tolist())

    def numpy_step():
        nonlocal state
        state, _, _ = model.step(state, next(ids))

    numpy_us = per_call_us(numpy_step)

    # the floor: the same matrix-vector products, nothing else
    h = np.zeros(c.hidden, np.float32)

    def matvecs_only():
        for k in range(c.layers):
            if k:
                h @ model.w_ih[k]
            h @ model.w_hh[k]
        h @ model.head_w

    floor_us = per_call_us(matvecs_only)
    rows = [("numpy step, all gates captured", f"{numpy_us:.1f}", "1.00")]
    rows.append(("matrix-vector products only (floor)", f"{floor_us:.1f}", f"{numpy_us / floor_us:.2f}x floor"))

    torch_ratio = None
    try:
        import torch
    except ImportError:
        print("torch not installed: skipping the torch comparison")
    else:
        torch.set_num_threads(1)
        cls = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[c.cell]
        rnn = cls(c.input_size, c.hidden, c.layers)
        rnn.load_state_dict({k.removeprefix("rnn."): torch.tensor(v) for k, v in model.tensors.items()
                             if k.startswith("rnn.")})
        head = torch.nn.Linear(c.hidden, c.vocab_size)
        eye = torch.eye(c.vocab_size)
        tstate = None

        def torch_step():
            nonlocal tstate
            with torch.no_grad():
                out, tstate = rnn(eye[next(ids)].view(1, 1, -1), tstate)
                head(out)

        torch_us = per_call_us(torch_step)
        torch_ratio = torch_us / numpy_us
        rows.append(("torch nn per-step loop (no gates)", f"{torch_us:.1f}", f"numpy is {torch_ratio:.1f}x faster"))

    print(machine())
    print(f"model: {name}, 1 thread")
    print(table(rows, ("variant", "µs/step", "ratio")))
    ok = numpy_us / floor_us <= 2.0 and (torch_ratio is None or torch_ratio >= 15)
    print(f"targets: >= 15x torch, <= 2x floor: {'met' if ok else 'NOT met'}")
    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
