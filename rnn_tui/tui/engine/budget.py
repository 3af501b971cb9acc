"""How fast play goes and how many bytes it may write: the play clock, the byte meter, the policy.

Over SSH every byte counts (the budget: 40 KB/s by default). An estimate of the bytes a
repaint costs drifts with the colour system, the terminal size and Textual's own
update strategy; the driver's `write` is where every byte goes out, so counting
there gives the true figure whatever changes (`metered`: the app's driver class,
counting; `tests/tui/test_budget.py` checks on a real pty that every byte the
terminal receives is counted exactly once).

The policy: the text and the status follow every frame. Every other panel (the
maps, the strip, the predictions: ~80 % of the map cells change colour at every
step) repaints only when the bytes measured so far have drained (a leaky bucket).
A bucket that drains at the budget lets any stretch of play write the budget × its
length plus one repaint, and one repaint can be more than a second's budget
(~70 KB at 120×40 in truecolor against 40 KB): measured over 3 s that was 42-48 KB/s.
So the bucket drains at the budget less the last repaint spread over WINDOW
seconds: the debt of a large repaint is carried into the next ones, and any
WINDOW seconds of play write at most budget × WINDOW. Where repaints are small
(80×24, 256 colours) that costs little and the maps still repaint about once a
second or more. The text pane is held to the budget too: it scrolls by whole
lines, and a frame that would scroll it waits, like the maps, while the bucket
is over (`scroll_due`). Paused, every key repaints everything.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.driver import Driver

SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500)  # steps per second while playing
# 10 steps a second: about half a reader's pace (~20 characters a second), so every character can still
# be followed as it is written, and a line of verse (~40 characters) takes 4 s, so a line-position or
# quote cell shows its ramp within the first seconds (at 5/s, 49 characters in 10 s hardly made one
# line). Over SSH the budget, not the speed, sets how often the maps repaint; playing costs ~3 % of a core.
DEFAULT_SPEED = 10
DEFAULT_MAX_KBPS = 40.0
WINDOW = 10.0  # seconds: any this long of play writes at most the budget × WINDOW (see above)
MIN_DRAIN = 0.5  # of the budget: however large a repaint, the maps still repaint every few seconds
RATE_WINDOW = 2.0  # seconds over which the achieved steps/s is measured


class ByteMeter:
    """Bytes written to the terminal, as a leaky bucket: `debt` is what has not drained at the budget.

    Constant memory: a total and the bucket's level. (An earlier meter kept a list of every write
    and never trimmed it: ~160 B a step on a real pty.)
    """

    def __init__(self) -> None:
        self.total = 0
        self._debt = 0.0  # bytes written beyond the budget, not yet drained
        self._debt_at = time.monotonic()

    def add(self, n: int) -> None:
        self.total += n
        self._debt += n

    def debt(self, budget: float, now: float | None = None) -> float:
        """Bytes written beyond `budget` bytes a second that have not drained yet (0 = within budget)."""
        now = time.monotonic() if now is None else now
        self._debt = max(0.0, self._debt - (now - self._debt_at) * budget)
        self._debt_at = now
        return self._debt

    def forgive(self) -> None:
        """Empty the bucket: the budget is for play, and what a pause or a key wrote is not play."""
        self._debt, self._debt_at = 0.0, time.monotonic()


def metered(driver_class: type[Driver], meter: ByteMeter) -> type[Driver]:
    """The platform's driver class, counting in `meter` every byte it writes (UTF-8, as the drivers
    encode: '▀' is 3 bytes).

    Textual (checked against 8.2.8) has no event, signal or callback for output. What it does offer is
    `App(driver_class=...)` / `App.driver_class`, its public way to choose the driver, and `write`, the
    abstract method every driver implements (textual.driver.Driver); so the meter is a subclass that
    counts in `write`, chosen once in the app's constructor, rather than a patch on a live driver.
    Headless runs (tests) take Textual's HeadlessDriver and are not metered; tests feed the meter.
    """

    class Metered(driver_class):  # type: ignore[misc, valid-type]
        def write(self, data: str) -> None:
            meter.add(len(data.encode("utf-8", "replace")))
            super().write(data)

    Metered.__name__ = Metered.__qualname__ = f"Metered{driver_class.__name__}"
    return Metered


class Player:
    """The play clock (steps per frame at a speed setting, and the rate really achieved) and the budget."""

    def __init__(self, fps: float, speed: int = DEFAULT_SPEED, max_kbps: float = DEFAULT_MAX_KBPS) -> None:
        self.fps = fps
        self.speed = speed
        self.max_kbps = max_kbps
        self.meter = ByteMeter()
        self.playing = False
        self._carry = 0.0
        self._marks: list[tuple[float, int]] = []  # (time, steps) of recent frames, RATE_WINDOW long
        self.repaint_bytes = 0  # what the last repaint of the costly panels wrote (with one text frame)
        self._repaint_from: int | None = None  # the meter's total when that repaint was asked for

    @property
    def byte_budget(self) -> int:
        """Bytes a second while playing; 0 = unlimited (a limit under a byte a second is a byte, not none)."""
        return max(1, int(self.max_kbps * 1024)) if self.max_kbps > 0 else 0

    def start(self) -> None:
        self.playing, self._carry = True, 0.0
        self._marks.clear()
        self._repaint_from = None
        self.meter.forgive()

    def stop(self) -> None:
        self.playing = False

    def change_speed(self, delta: int) -> None:
        k = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - self.speed))
        self.speed = SPEEDS[max(0, min(len(SPEEDS) - 1, k + delta))]
        self._marks.clear()

    def steps_due(self, now: float | None = None) -> int:
        """Steps for this frame: speed/fps, the fraction carried over to the next frame."""
        self._carry += self.speed / self.fps
        n = int(self._carry)
        self._carry -= n
        now = time.monotonic() if now is None else now
        self._marks.append((now, n))
        while self._marks and self._marks[0][0] < now - RATE_WINDOW:
            self._marks.pop(0)
        return n

    def achieved(self) -> float | None:
        """Steps a second really made over the last frames, or None before there is a second of them."""
        if len(self._marks) < 2 or self._marks[-1][0] - self._marks[0][0] < 0.5:
            return None
        steps = sum(n for _, n in self._marks[1:])
        return steps / (self._marks[-1][0] - self._marks[0][0])

    def detail_due(self, now: float | None = None) -> bool:
        """Is there room in the budget for a repaint of the costly panels in this frame?

        Asked once a frame: the bytes written since the last repaint was granted, at the next frame, are
        that repaint's size (Textual writes it before then)."""
        budget = self.byte_budget
        if not budget:
            return True
        if self._repaint_from is not None:
            self.repaint_bytes, self._repaint_from = self.meter.total - self._repaint_from, None
        due = self.meter.debt(self.drain_rate(), now) == 0.0
        if due:
            self._repaint_from = self.meter.total
        return due

    def drain_rate(self) -> float:
        """Bytes a second the bucket drains: the budget less the last repaint spread over WINDOW seconds."""
        budget = self.byte_budget
        return max(MIN_DRAIN * budget, budget - self.repaint_bytes / WINDOW)
