"""A line plot in braille characters, for the loss curve of `rnn-tui train --watch`.

Each terminal cell holds a 2×4 grid of dots (Unicode braille, U+2800 + a bit
per dot), so an 60×10-cell plot has 120×40 points: enough for a loss curve to
read as a curve in a corner of a lab machine's 80×24 terminal. Plain strings
only (no Rich), so it is tested as text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# bit of each dot, by (column 0/1, row 0..3 from the top), as Unicode numbers them
_DOT = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


def braille_plot(series: Sequence[Sequence[tuple[float, float]]], width: int, height: int,
                 x_max: float | None = None) -> tuple[list[list[tuple[str, int]]], float, float]:
    """Plot each series of (x, y) points as a line; returns rows of (character, series index or -1)
    and the y range shown (low, high). Later series are drawn over earlier ones."""
    points = [(x, y) for s in series for x, y in s if math.isfinite(y)]
    width, height = max(2, width), max(1, height)
    bits = [[0] * width for _ in range(height)]
    owner = [[-1] * width for _ in range(height)]
    if not points:
        return [[(" ", -1)] * width for _ in range(height)], 0.0, 1.0
    lo, hi = min(y for _, y in points), max(y for _, y in points)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    xmax = x_max if x_max else max(max(x for x, _ in points), 1.0)
    cols, rows = 2 * width, 4 * height

    def dot(px: int, py: int, k: int) -> None:
        if 0 <= px < cols and 0 <= py < rows:
            bits[py // 4][px // 2] |= _DOT[px % 2][py % 4]
            owner[py // 4][px // 2] = k

    for k, s in enumerate(series):
        prev = None
        for x, y in s:
            if not math.isfinite(y):
                continue
            px = round(x / xmax * (cols - 1))
            py = round((hi - y) / (hi - lo) * (rows - 1))
            if prev is None:
                dot(px, py, k)
            else:  # join to the previous point, one dot per column or row crossed
                n = max(abs(px - prev[0]), abs(py - prev[1]), 1)
                for i in range(1, n + 1):
                    dot(prev[0] + round((px - prev[0]) * i / n), prev[1] + round((py - prev[1]) * i / n), k)
            prev = (px, py)
    grid = [[(chr(0x2800 + b) if b else " ", o) for b, o in zip(brow, orow, strict=True)]
            for brow, orow in zip(bits, owner, strict=True)]
    return grid, lo, hi
