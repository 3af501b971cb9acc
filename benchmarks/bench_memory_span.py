"""Memory-span curve at the cursor, k = 1…200, default model: target ≤ 1 s on one core.

Rows, interleaved over several rounds so that load on the machine hits all alike:
- batched ×1: `memory_span` with one random replacement per lag, the viewer's first curve (it then
  refines the average with more replacements in the background);
- batched ×3: the same averaged over three replacements;
- rectangular ×1: one `Model.forward` of every rerun from 200 characters back (the straightforward batch);
- stepped ×1 (once, it is slow): each rerun stepped alone with `Model.step`, the plain reference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from _common import SMOKE, default_model, machine, table  # first: it pins BLAS to one thread before numpy loads

# isort: split
import numpy as np

from rnn_tui.analysis.memory_span import memory_span, random_replacements, straightforward_span


def rectangular(model, ids, max_lag, repl):
    """Every rerun starts max_lag back; one batch of max_lag × R streams of max_lag steps."""
    t = len(ids) - 1
    start = t - max_lag + 1
    s0, _, _ = model.forward(ids[:start])
    base_state, base_logits, _ = model.forward(ids[start:], s0)
    R = repl.shape[1]
    streams = np.repeat(ids[None, start:], max_lag * R, axis=0).reshape(max_lag, R, max_lag)
    for k in range(1, max_lag + 1):
        streams[k - 1, :, max_lag - k] = repl[k - 1]
    init = np.repeat(s0[None], max_lag * R, axis=0)
    _, logits, _ = model.forward(streams.reshape(-1, max_lag), init)
    return logits[:, -1]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--history", type=int, default=400)
    p.add_argument("--no-stepped", action="store_true")
    args = p.parse_args()
    if SMOKE:
        args.rounds, args.history, args.no_stepped = 1, 24, True
    print(machine())
    model, name = default_model()
    rng = np.random.default_rng(0)
    ids = rng.integers(0, model.config.vocab_size, args.history)
    max_lag = 12 if SMOKE else 200
    repl = random_replacements(ids[::-1][:max_lag], model.config.vocab_size, 1, np.random.default_rng(1))
    runs = {"batched ×1": lambda: memory_span(model, ids, replacements=1),
            "batched ×3": lambda: memory_span(model, ids, replacements=3),
            "rectangular ×1": lambda: rectangular(model, ids, max_lag, repl)}
    times: dict[str, list[float]] = {label: [] for label in runs}
    cpu: dict[str, list[float]] = {label: [] for label in runs}
    for _ in range(args.rounds):
        for label, fn in runs.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            times[label].append(time.perf_counter() - t0)
            cpu[label].append(time.process_time() - c0)
    if not args.no_stepped:
        t0 = time.perf_counter()
        c0 = time.process_time()
        straightforward_span(model, ids, max_lag, repl)
        times["stepped ×1"] = [time.perf_counter() - t0]
        cpu["stepped ×1"] = [time.process_time() - c0]
    base = statistics.median(times["rectangular ×1"])
    rows = [(label, f"{statistics.median(v):.3f}", f"{min(v):.3f}–{max(v):.3f}",
             f"{statistics.median(cpu[label]):.3f}", len(v), f"{statistics.median(v) / base:.2f}×")
            for label, v in times.items()]
    print(f"model: {name}; lags 1…{max_lag}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    # cpu s: the process's own CPU time (one thread), what the run costs when the cores are not shared
    print(table(rows, ("version", "median s", "range s", "median cpu s", "runs", "vs rectangular")))
    ok = statistics.median(times["batched ×1"]) <= 1.0
    print(f"target ≤ 1 s for the curve at the cursor: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
