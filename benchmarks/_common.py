"""Shared bits for the benchmarks: this process on one BLAS thread, the machine line, --smoke, the default
model (or a stand-in), a table printer.

A benchmark measures the program as a user starts it: it pins numpy's BLAS (and turns off numpy's huge
pages, as the program does) for its own process only, and every program it starts inherits the environment the
benchmark itself was given, so the program's own pin (rnn_tui/__main__.py) is what is measured.

`--smoke` anywhere on a benchmark's command line runs it at a tiny size, so that the test suite can run
every benchmark and none of them rots; its figures mean nothing and its targets are not judged.
"""

from __future__ import annotations

import os
import sys

_PINS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
         "NUMPY_MADVISE_HUGEPAGE": "0"}  # as rnn_tui/__main__.py sets them for the program
_given = {var: os.environ.get(var) for var in _PINS}
for _var, _pin in _PINS.items():
    os.environ.setdefault(_var, _pin)

import time  # noqa: E402

import numpy as np  # noqa: E402  (reads the variables now, once)

for _var, _value in _given.items():  # ...and the programs a benchmark starts do not inherit them
    if _value is None:
        del os.environ[_var]

from rnn_tui.core.cells import Config, Model  # noqa: E402
from rnn_tui.core.checkpoint import DEFAULT_MODEL, bundled_models, load  # noqa: E402

SMOKE = "--smoke" in sys.argv
if SMOKE:
    sys.argv.remove("--smoke")


def machine() -> str:
    """The CPU model, its cores and the load average: the line every benchmark prints with its figures."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"machine: {model}, {os.cpu_count()} cores, load average {load}"


def verdict(ok: bool) -> int:
    """The exit status: 1 when a target is not met; a smoke run judges nothing."""
    return 0 if ok or SMOKE else 1



def default_model() -> tuple[Model, str]:
    """The bundled default model, or random weights of the same shape if it is not trained yet."""
    path = bundled_models().get(DEFAULT_MODEL)
    if path is not None:
        ckpt = load(path)
        return ckpt.model(), f"{ckpt.name} ({ckpt.config.label})"
    config = Config("lstm", 2, 256, 84)
    rng = np.random.default_rng(0)
    k = 1 / np.sqrt(config.hidden)
    tensors = {n: rng.uniform(-k, k, s).astype(np.float32) for n, s in config.shapes().items()}
    return Model(config, tensors), "random LSTM 2×256 (default model not found)"


def per_call_us(fn, min_seconds: float = 1.0, repeats: int = 5) -> float:
    """Best of `repeats` runs of a loop lasting about `min_seconds`, in microseconds per call."""
    if SMOKE:
        min_seconds, repeats = 0.01, 2
    fn()
    n, t = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        t = time.perf_counter() - t0
        if t > min_seconds / repeats:
            break
        n *= 2
    best = t
    for _ in range(repeats - 1):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, time.perf_counter() - t0)
    return best / n * 1e6


def table(rows: list[tuple], headers: tuple) -> str:
    cols = list(zip(headers, *rows, strict=True))
    widths = [max(len(str(c)) for c in col) for col in cols]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])
