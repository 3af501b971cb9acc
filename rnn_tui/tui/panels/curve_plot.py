"""A log–log plot of curves in text: influence (nats) against lag, one marker letter per curve.

Both axes are logarithmic, since memory decays roughly exponentially and the
first ten lags hold most of the action. Each curve is drawn with its own letter
(R, G, L…), so the plot reads in grey and without colour; where curves share a
cell, `*` marks the overlap. Values below the floor sit on the bottom row as `_`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rich.style import Style
from rich.text import Text

AXIS = Style(dim=True)
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


def plot(curves: Sequence[Curve], width: int, height: int, floor: float = 1e-4) -> list[Text]:
    """`height` rows of plot plus an axis row and a label row, `width` cells wide."""
    cols = max(8, width - Y_LABEL - 1)
    rows = max(3, height)
    max_lag = max((int(c.lags[-1]) for c in curves if len(c.lags)), default=1)
    finite = [v for c in curves for v in c.values[np.isfinite(c.values)]]
    top = 10 ** np.ceil(np.log10(max(max(finite, default=floor), floor * 10)))
    decades = np.log10(top / floor)
    grid = [[" "] * cols for _ in range(rows)]
    styles: list[list[Style]] = [[Style()] * cols for _ in range(rows)]
    edges = _x_edges(max_lag, cols)
    for c in curves:
        col_of = np.clip(np.searchsorted(edges, c.lags, side="right") - 1, 0, cols - 1)
        for col in np.unique(col_of):
            v = c.values[col_of == col]
            v = v[np.isfinite(v)]
            if not len(v):
                continue
            value = float(v.max())  # the strongest lag in the column, so a spike is not averaged away
            if value < floor:
                row, mark = rows - 1, "_"
            else:
                row = int(round((1 - np.log10(value / floor) / decades) * (rows - 1)))
                mark = c.marker
            row = min(max(row, 0), rows - 1)
            if grid[row][col] not in (" ", "_", mark):
                mark = "*"
            grid[row][col], styles[row][col] = mark, c.style
    labels = _y_labels(top, floor, rows)
    out = []
    for r in range(rows):
        line = Text(f"{labels.get(r, ''):>{Y_LABEL - 2}} ┤", style=AXIS)
        for ch, st in zip(grid[r], styles[r], strict=True):
            line.append(ch, st)
        out.append(line)
    out.append(Text(" " * (Y_LABEL - 1) + "└" + "─" * cols, style=AXIS))
    out.append(_x_labels(edges, cols, max_lag))
    return out


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
