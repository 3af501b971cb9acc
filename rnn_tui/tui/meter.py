"""Counting the bytes the app really writes to the terminal, so play can keep to a bandwidth budget.

An estimate of the bytes a repaint costs drifts with the colour system, the
terminal size and Textual's own update strategy; the driver's `write` is where
every byte goes out, so wrapping it gives the true figure whatever changes.
Textual (8.2) writes one frame as a few `driver.write` calls and then calls
`driver.flush()`, so a flush marks the end of a frame.

The headless driver (tests, benchmarks) writes nothing, so its meter reads 0;
tests feed it with `add` to stand for a terminal.
"""

from __future__ import annotations

import time
from collections import deque

WINDOW = 1.0  # seconds over which the rate is measured


class ByteMeter:
    """Bytes written over the last WINDOW seconds, and the size of the frames written."""

    def __init__(self, window: float = WINDOW) -> None:
        self.window = window
        self.total = 0
        self._recent: deque[tuple[float, int]] = deque()  # (time, bytes) of each write in the window
        self._in_window = 0
        self._frame = 0  # bytes written since the last flush
        self.last_frame = 0  # bytes of the last complete frame

    def add(self, n: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.total += n
        self._frame += n
        self._recent.append((now, n))
        self._in_window += n

    def end_frame(self) -> int:
        """A flush: the bytes since the previous one are one frame. Returns that size."""
        self.last_frame, self._frame = self._frame, 0
        return self.last_frame

    def rate(self, now: float | None = None) -> int:
        """Bytes written in the last `window` seconds."""
        now = time.monotonic() if now is None else now
        while self._recent and self._recent[0][0] <= now - self.window:
            self._in_window -= self._recent.popleft()[1]
        return self._in_window

    def install(self, driver, on_frame=None) -> None:
        """Wrap `driver.write` and `driver.flush` on this instance to count what goes out.

        Textual calls them as `self._driver.write(...)`, so an attribute on the instance is found
        before the class's method. UTF-8 is what the drivers encode to ('▀' is 3 bytes).
        `on_frame(size)` is called after each flush.
        """
        write, flush = driver.write, driver.flush

        def counted_write(data: str) -> None:
            self.add(len(data.encode("utf-8", "replace")))
            write(data)

        def counted_flush() -> None:
            flush()
            size = self.end_frame()
            if on_frame is not None:
                on_frame(size)

        driver.write, driver.flush = counted_write, counted_flush
