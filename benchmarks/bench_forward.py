"""Teacher-forced throughput of the numpy model against torch's fused nn.LSTM/GRU/RNN, one thread.

The claim (issue: teacher-forced throughput): `rnn-tui eval` on a long text (16 streams, `Model.nll`) and the
finder's capture (up to 64 streams, every quantity kept) against torch's own module on the same
16 streams, the same weights and the same characters, measured interleaved in one run. Both
sides run one thread; times are CPU seconds of this process (a loaded machine stretches wall
time, not these), with wall time beside them.

Usage: bench_forward.py [CHARS] [ROUNDS]   (defaults: 20,000 held-out characters, 5 rounds)
"""

from __future__ import annotations

import lzma
import os
import platform
import statistics
import sys
import time
from pathlib import Path

# isort: off
from _common import SMOKE, default_model, table  # before numpy: it pins the BLAS threads
import numpy as np
# isort: on

CORPUS = Path(__file__).resolve().parent.parent / "checkpoints" / "corpora" / "shakespeare.txt.xz"


def held_out_ids(model, n_max: int) -> tuple[np.ndarray, str]:
    from rnn_tui.core.checkpoint import DEFAULT_MODEL, bundled_models, load

    path = bundled_models().get(DEFAULT_MODEL)
    if CORPUS.exists() and path is not None:
        text = lzma.decompress(CORPUS.read_bytes()).decode("utf-8")
        ids = load(path).vocab.encode(text[int(len(text) * 0.95):])[:n_max]
        return ids, f"first {len(ids):,} held-out characters of the Shakespeare corpus"
    ids = np.random.default_rng(0).integers(0, model.config.vocab_size, n_max)
    return ids, f"{len(ids):,} random characters (corpus or model missing)"


def timed(fn) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call."""
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - w0


def numpy_runs(model, ids: np.ndarray) -> dict:
    """What the program runs: eval's 16-stream nll, and capture-style forward with every quantity."""
    def streams(b: int) -> np.ndarray:
        n = len(ids) // b
        return ids[: b * n].reshape(b, n)

    return {
        "numpy eval, 16 streams (Model.nll)": lambda: model.nll(ids, streams=16),
        "numpy forward, 64 streams": lambda: model.forward(streams(64)),
        "numpy forward, 16 streams, capture": lambda: model.forward(streams(16), capture=True),
        "numpy forward, 64 streams, capture": lambda: model.forward(streams(64), capture=True),
    }


def torch_run(model, ids: np.ndarray):
    """torch's fused module and a linear head on 16 streams, as training's validation runs it."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    c = model.config
    rnn = getattr(torch.nn, c.kind.torch_name)(c.input_size, c.hidden, c.layers, batch_first=True)
    rnn.load_state_dict({k.removeprefix("rnn."): torch.tensor(v) for k, v in model.tensors.items()
                         if k.startswith("rnn.")})
    head = torch.nn.Linear(c.hidden, c.vocab_size)
    n = len(ids) // 16
    x = torch.from_numpy(ids[: 16 * n].reshape(16, n))

    def run():
        with torch.no_grad():
            out, _ = rnn(torch.nn.functional.one_hot(x, c.vocab_size).float())
            head(out)
    return run


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return f"{cpu}, {os.cpu_count()} cores, load {load}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '-')}"


def main() -> int:
    n_chars = 2_000 if SMOKE else int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    rounds = 1 if SMOKE else int(sys.argv[2]) if len(sys.argv) > 2 else 5
    model, name = default_model()
    ids, what = held_out_ids(model, n_chars)
    runs = numpy_runs(model, ids)
    baseline = torch_run(model, ids)
    if baseline is not None:
        runs = {f"torch nn.{model.config.kind.torch_name}, 16 streams": baseline, **runs}
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    wall: dict[str, list[float]] = {k: [] for k in runs}
    for fn in runs.values():
        fn()  # warm up: first-touch allocations, torch's one-off setup
    for _ in range(rounds):  # interleaved, so a change in the machine's load hits every variant alike
        for label, fn in runs.items():
            c, w = timed(fn)
            cpu[label].append(len(ids) / c)
            wall[label].append(len(ids) / w)
    ref = statistics.median(cpu[next(iter(runs))])
    rows = [(label, f"{statistics.median(v):,.0f}", f"{min(v):,.0f}–{max(v):,.0f}",
             f"{statistics.median(wall[label]):,.0f}", f"{statistics.median(v) / ref:.2f}x")
            for label, v in cpu.items()]
    print(f"model: {name}; text: {what}; 1 thread; {rounds} rounds, interleaved")
    print(f"machine: {machine()}")
    print(table(rows, ("run", "chars/s (CPU time, median)", "range", "chars/s (wall)", "vs first row")))
    if baseline is None:
        print("torch not installed: no baseline row")
    return 0


if __name__ == "__main__":
    sys.exit(main())
