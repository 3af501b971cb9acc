"""How the analysis screens draw a unit: its colour levels over the text, a character on its colour, a sparkline."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from rich.style import Style

from ...analysis.analysed import Analysis
from ..engine import palette

SelectUnit = Callable[[int, str, int], None]  # (layer, quantity, unit): select it in the main view
SPARK = " ▁▂▃▄▅▆▇█"


def unit_levels(analysis: Analysis, index: int | None) -> np.ndarray:
    """Colour buckets of a unit over the text, or of the surprisal. A signed unit is scaled by its largest
    magnitude in this text: an integrating cell state that drifts to thousands shows its drift, and its
    small swings near zero all take the colour of zero."""
    if index is None:
        s = analysis.surprisal()
        return palette.quantise(s / max(float(s.max()), 1e-6), signed=False)
    v = analysis.cap.values(index)
    if analysis.signed(index):
        v = v / max(float(np.abs(v).max()), 1e-6)
    return palette.quantise(v, signed=analysis.signed(index))


_DEFAULT_MAPS = palette.Maps()


def cell_style(app, level: int, signed: bool) -> Style:
    """A character on a unit's colour, from the app's maps (theme and colour system; dark defaults elsewhere)."""
    return getattr(app, "maps", _DEFAULT_MAPS).text_on(int(level), signed)


def guess_style(app, level: int) -> Style:
    """A guessed next character by its probability bucket (grey, brighter when likelier), from the app's maps."""
    return getattr(app, "maps", _DEFAULT_MAPS).guess(int(level))


def sparkline(values: np.ndarray, start: int, width: int) -> str:
    """One bar per character from `start` (a ramp shows its teeth, an on/off unit its step), on the unit's
    range over the whole text."""
    if not len(values) or width < 1:
        return ""
    start = max(0, min(start, len(values) - width))
    window = values[start : start + width]
    lo, hi = float(values.min()), float(values.max())
    k = np.zeros(len(window), int) if hi <= lo else np.rint((window - lo) / (hi - lo) * 8).astype(int)
    return "".join(SPARK[max(1, i)] for i in k)
