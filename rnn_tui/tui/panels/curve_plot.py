"""A log–log plot of curves in text: influence (nats) against lag, each curve a line.

Both axes are logarithmic, since memory decays roughly exponentially and the
first ten lags hold most of the action. Lines are drawn in half blocks (two
dots a cell, one above the other: every terminal font has them, where braille
shows as boxes in some), each curve in its own colour and ending in its own
letter (R, G, L…), so the plot reads in grey and without colour too; values
below the floor run along the bottom row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rich.style import Style
from rich.text import Text

AXIS = Style(dim=True)
LEAST_CONTRAST = 3.0  # WCAG's ratio for lines and large text: a curve read from the back of a room
Y_LABEL = 7  # "1e-04 ┤"


@dataclass(frozen=True)
class Curve:
    label: str
    marker: str  # one character
    lags: np.ndarray
    values: np.ndarray  # NaN: no value at that lag
    style: Style = Style()


def _x_edges(max_lag: int, cols: int) -> np.ndarray:
    """Column c covers lags in [edges[c], edges[c + 1]), log-spaced from 1 to max_lag."""
    return np.geomspace(1, max_lag + 1, cols + 1)


def _segment(x0: int, y0: int, x1: int, y1: int) -> list[tuple[int, int]]:
    """The dots of a straight line from (x0, y0) to (x1, y1), ends included (Bresenham)."""
    dots = []
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x1 >= x0 else -1), (1 if y1 >= y0 else -1)
    err = dx + dy
    while True:
        dots.append((x0, y0))
        if x0 == x1 and y0 == y1:
            return dots
        e2 = 2 * err
        if e2 >= dy:
            err += dy
            x0 += sx
        if e2 <= dx:
            err += dx
            y0 += sy


def plot(curves: Sequence[Curve], width: int, height: int, floor: float = 1e-4) -> list[Text]:
    """`height` rows of plot plus an axis row and a label row, `width` cells wide."""
    cols = max(8, width - Y_LABEL - 1)
    rows = max(3, height)
    max_lag = max((int(c.lags[-1]) for c in curves if len(c.lags)), default=1)
    finite = [v for c in curves for v in c.values[np.isfinite(c.values)]]
    top = 10 ** np.ceil(np.log10(max(max(finite, default=floor), floor * 10)))
    decades = np.log10(top / floor)
    dots_x, dots_y = cols, 2 * rows
    dots: list[list[Curve | None]] = [[None] * cols for _ in range(dots_y)]  # who drew each dot
    ends: list[tuple[int, int, Curve]] = []
    for c in curves:
        ok = np.isfinite(c.values)
        if not ok.any():
            continue
        lags, values = c.lags[ok], np.maximum(c.values[ok], floor)
        xs = np.round(np.log(lags) / np.log(max_lag + 1) * (dots_x - 1)).astype(int)
        ys = np.round((1 - np.log10(values / floor) / decades) * (dots_y - 1)).astype(int)
        xs, ys = np.clip(xs, 0, dots_x - 1), np.clip(ys, 0, dots_y - 1)
        points = list(zip(xs.tolist(), ys.tolist(), strict=True))
        for (x0, y0), (x1, y1) in zip(points, points[1:] + points[-1:], strict=True):
            for x, y in _segment(x0, y0, x1, y1):
                dots[y][x] = c
        ends.append((points[-1][1] // 2, points[-1][0], c))
    cells: list[list[tuple[str, Style | None]]] = [
        [_cell(dots[2 * r][x], dots[2 * r + 1][x]) for x in range(cols)] for r in range(rows)]
    for row, col, c in ends:  # each line ends in its letter, one cell right of its last dot where there is room
        cells[row][min(col + 1, cols - 1)] = (c.marker, c.style)
    labels = _y_labels(top, floor, rows)
    out = []
    for r in range(rows):
        line = Text(f"{labels.get(r, ''):>{Y_LABEL - 2}} ┤", style=AXIS)
        for ch, style in cells[r]:
            line.append(ch, style)
        out.append(line)
    out.append(Text(" " * (Y_LABEL - 1) + "└" + "─" * cols, style=AXIS))
    out.append(_x_labels(edges=_x_edges(max_lag, cols), cols=cols, max_lag=max_lag))
    return out


def _cell(upper: Curve | None, lower: Curve | None) -> tuple[str, Style | None]:
    """One cell of two dots: ▀ ▄ █, the upper curve's colour in front and the lower's behind."""
    if upper is None and lower is None:
        return " ", None
    if upper is None or lower is None:
        who = upper or lower
        return ("▀" if upper else "▄"), who.style
    if upper is lower:
        return "█", upper.style
    return "▀", Style(color=upper.style.color, bgcolor=lower.style.color)


def _y_labels(top: float, floor: float, rows: int) -> dict[int, str]:
    """A label at every decade whose row is free, top and bottom first."""
    decades = int(round(np.log10(top / floor)))
    labels: dict[int, str] = {}
    for d in sorted(range(decades + 1), key=lambda d: (d not in (0, decades), d)):
        row = int(round(d / decades * (rows - 1)))
        if all(abs(row - other) > 1 for other in labels):
            labels[row] = f"1e{int(round(np.log10(top))) - d}"
    return labels


def _x_labels(edges: np.ndarray, cols: int, max_lag: int) -> Text:
    cells = [" "] * cols
    for tick in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        if tick > max_lag:
            break
        s = str(tick)
        col = min(int(np.searchsorted(edges, tick, side="right") - 1), cols - len(s))
        if all(c == " " for c in cells[max(0, col - 1) : col + len(s) + 1]):
            cells[col : col + len(s)] = s
    return Text(f"{'lag':>{Y_LABEL - 1}} " + "".join(cells), style=AXIS)


def legible(colour: str, background: str) -> str:
    """`colour` darkened in small steps (its hue kept) until it stands LEAST_CONTRAST from a light
    `background`: the Okabe-Ito yellow and orange that read on a dark screen vanish on a light one
    (1.0:1 and 1.7:1 on textual-light's grey). On a dark background, or one it cannot parse, as it is."""
    from textual.color import Color, ColorParseError

    try:
        c, bg = Color.parse(colour), Color.parse(background)
    except ColorParseError:
        return colour
    if _luminance(bg) < 0.5:
        return colour
    for _ in range(20):
        if _contrast(c, bg) >= LEAST_CONTRAST:
            break
        c = c.darken(0.05)
    return c.hex


def _luminance(c) -> float:
    def channel(v: int) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)


def _contrast(a, b) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
