"""Opening a model with a progress line: a 900 MB checkpoint takes seconds to read and check, and a
screen that stays blank meanwhile (37 s for one) looks hung. Nothing is shown for a load that ends
within a second, nor when stderr is not a terminal (a log, a pipe)."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ..core.checkpoint import Checkpoint
from ..core.safe import safe_text
from ..interop import load_model as _load_model

SHOW_AFTER = 1.0  # seconds
WIDTH = 30


def load_model(name_or_path: str | os.PathLike | None, **options) -> Checkpoint:
    """interop.load_model, with a line on stderr once it has taken more than SHOW_AFTER seconds."""
    if not sys.stderr.isatty():
        return _load_model(name_or_path, **options)
    start = time.monotonic()
    shown = [0.0]
    label = safe_text(os.path.basename(str(name_or_path)) if name_or_path else "the default model", 40)

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - start < SHOW_AFTER or (now - shown[0] < 0.1 and done < total):
            return
        shown[0] = now
        frac = done / max(total, 1)
        bar = "█" * int(WIDTH * frac) + "░" * (WIDTH - int(WIDTH * frac))
        tail = "checking the weights…" if done >= total else f"{done / 2**20:,.0f} of {total / 2**20:,.0f} MiB"
        sys.stderr.write(f"\r\x1b[2Kloading {label} {bar} {frac:4.0%}  {tail}")
        sys.stderr.flush()

    try:
        return _load_model(name_or_path, progress=progress, **options)
    finally:
        if shown[0]:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


@contextmanager
def working(what: str) -> Iterator[None]:
    """A line on stderr, `what` and the seconds so far, while the body runs past SHOW_AFTER seconds: for
    work with no measure of its own progress (the viewer's first pass over a huge model). Written by a
    thread: the work is numpy's, which lets it run."""
    if not sys.stderr.isatty():
        yield
        return
    done, start = threading.Event(), time.monotonic()

    def show() -> None:
        if done.wait(SHOW_AFTER):
            return
        while not done.wait(0.25):
            sys.stderr.write(f"\r\x1b[2K{what}… {time.monotonic() - start:.0f} s")
            sys.stderr.flush()
        sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()

    shower = threading.Thread(target=show, name="working", daemon=True)
    shower.start()
    try:
        yield
    finally:
        done.set()
        shower.join()
