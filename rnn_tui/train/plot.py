"""A line plot in half-block characters, for the loss curve of `rnn-tui train --watch`.

Each terminal cell holds two dots, one above the other (▀, ▄ or █), the glyphs
the viewer's heatmaps already rely on, so the plot draws in any terminal font
that shows the viewer; a 70×8-cell plot has 70×16 points, enough for a loss
curve to read as a curve in a corner of a lab machine's 80×24 terminal. Plain
strings only (no Rich), so it is tested as text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

_GLYPH = {1: "▀", 2: "▄", 3: "█"}  # bit 1: the upper dot, bit 2: the lower


def line_plot(series: Sequence[Sequence[tuple[float, float]]], width: int, height: int,
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
    cols, rows = width, 2 * height

    def dot(px: int, py: int, k: int) -> None:
        if 0 <= px < cols and 0 <= py < rows:
            bits[py // 2][px] |= 1 << (py % 2)
            owner[py // 2][px] = k

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
    grid = [[(_GLYPH.get(b, " "), o) for b, o in zip(brow, orow, strict=True)]
            for brow, orow in zip(bits, owner, strict=True)]
    return grid, lo, hi
