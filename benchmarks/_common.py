"""Shared bits for the benchmarks: one BLAS thread, the default model (or a stand-in), a table printer."""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

from rnn_tui.core.cells import Config, Model  # noqa: E402
from rnn_tui.core.checkpoint import DEFAULT_MODEL, bundled_models, load  # noqa: E402


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
