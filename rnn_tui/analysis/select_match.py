"""Select and match (Strobelt et al., LSTMVis, 2017): select a span of text, find the units that are
high across it and low just before it, and the other places where that same set is on.

A unit qualifies by its margin: its lowest value inside the span minus its
highest value over the few characters before it, as a fraction of the unit's
range over the text (a span at the very start has nothing before it; the unit's
median stands in). The best `k` by margin form the set (those with at least
half the best margin: a weak unit would only break up the matches); a unit is "on" above
the midpoint of that gap, and a match is a run where every unit of the set is
on, at least half as long as the span (shorter flickers are noise). Each
unit's precision is the fraction of the characters where it is on that lie in
a match (the span included): 1.0 means it fires for this pattern only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .capture import Capture
from .finder import strongest_first


@dataclass(frozen=True)
class Selected:
    index: int
    label: str
    margin: float  # 0…1 of the unit's range
    precision: float


@dataclass
class Match:
    span: tuple[int, int]
    units: list[Selected] = field(default_factory=list)
    matches: list[tuple[int, int]] = field(default_factory=list)  # [start, end), the selected span excluded
    on: np.ndarray | None = None  # (T,) bool: every selected unit on
    note: str | None = None


def select_match(cap: Capture, start: int, end: int, k: int = 5, before: int = 3) -> Match:
    """Units high across text[start:end] and low before it; where else they are all on."""
    T = len(cap)
    start, end = max(0, min(start, T)), max(0, min(end, T))
    if end <= start:
        return Match((start, end), note="empty selection: select at least one character")
    x = cap.data  # (K, T) exact values
    inside = x[:, start:end].min(axis=1)
    if start > 0:
        low = x[:, max(0, start - before) : start].max(axis=1)
    else:  # nothing before the text's first character: compare with the unit's typical value
        low = np.median(x[:, :: max(1, T // 4096)], axis=1)
    spread = x.max(axis=1) - x.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        margin = np.where(spread > 0, (inside - low) / np.where(spread > 0, spread, 1), 0.0)
    top = float(margin.max()) if len(margin) else 0.0
    best = [int(j) for j in strongest_first(margin)[:k] if margin[j] > 0 and margin[j] >= top / 2]
    if not best:
        return Match((start, end), note="no unit is higher across the selection than just before it")
    theta = (inside[best] + low[best]) / 2.0
    on_each = x[best].T > theta[None, :]
    on = on_each.all(axis=1)
    runs = [(a, b) for a, b in _runs(on) if b - a >= max(1, (end - start) // 2)]
    matched = np.zeros(T, bool)
    for a, b in runs:
        matched[a:b] = True
    matched[start:end] = True
    units = []
    for j, row in enumerate(best):
        u = int(cap.index[row])
        layer, q, unit = cap.unit_name(u)
        fires = on_each[:, j]
        precision = float((fires & matched).sum() / max(fires.sum(), 1))
        units.append(Selected(u, f"L{layer + 1} {q} {unit}", float(margin[row]), precision))
    units.sort(key=lambda s: -s.precision)
    others = [(a, b) for a, b in runs if b <= start or a >= end]
    return Match((start, end), units, others, on)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True."""
    d = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))
