"""Shared by the analysis benchmarks: the default model and its held-out Shakespeare text."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import _common  # noqa: F401  (pins BLAS to one thread before numpy loads)

from rnn_tui.core.checkpoint import DEFAULT_MODEL, bundled_models, load
from rnn_tui.core.text import held_out, read_text


def model_and_text(n: int):
    """(checkpoint, the first n characters of its corpus's held-out 5 %, repeated if shorter)."""
    ckpt = load(bundled_models()[DEFAULT_MODEL])
    text = held_out(read_text(bundled_models()[DEFAULT_MODEL].parent / "corpora" / "shakespeare.txt.xz"))
    while len(text) < n:
        text += text
    return ckpt, text[:n]


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float, float]:
    """(median, min, max) wall seconds of `repeats` calls."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), max(times)


def uptime() -> str:
    with open("/proc/loadavg") as f:
        return "load average " + " ".join(f.read().split()[:3])
