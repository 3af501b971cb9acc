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
    """Bytes written: over the last WINDOW seconds, per frame, and beyond a budget (`debt`).

    The budget is a leaky bucket: every byte written goes in, `budget` bytes a second drain out.
    A repaint of the maps (35-42 KB at 120×40 in truecolor, measured) is about a whole second of a
    40 KB/s budget, so a one-second window cannot hold one plus the text's frames; the bucket lets
    each repaint wait exactly as long as the bytes already written need to drain, so over any
    stretch of play the bytes written stay within budget × time plus one frame.
    """

    def __init__(self, window: float = WINDOW) -> None:
        self.window = window
        self.total = 0
        self._recent: deque[tuple[float, int]] = deque()  # (time, bytes) of each write in the window
        self._in_window = 0
        self._frame = 0  # bytes written since the last flush
        self.last_frame = 0  # bytes of the last complete frame
        self._debt = 0.0  # bytes written beyond the budget, not yet drained
        self._debt_at = time.monotonic()

    def add(self, n: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.total += n
        self._frame += n
        self._recent.append((now, n))
        self._in_window += n
        self._debt += n

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

    def debt(self, budget: float, now: float | None = None) -> float:
        """Bytes written beyond `budget` bytes a second that have not drained yet (0 = within budget)."""
        now = time.monotonic() if now is None else now
        self._debt = max(0.0, self._debt - (now - self._debt_at) * budget)
        self._debt_at = now
        return self._debt

    def forgive(self) -> None:
        """Empty the bucket: the budget is for play, and what a pause or a key wrote is not play."""
        self._debt, self._debt_at = 0.0, time.monotonic()

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
