"""Colour maps and pre-built styles for heatmaps, computed once at import.

Values are quantised into LEVELS buckets, so a heatmap cell is a lookup into a
table of ready-made `rich.style.Style` objects rather than a colour computed
per cell per frame.

- Gates (0…1): a viridis-like sequential map, dark to bright. Lightness rises
  monotonically, so it reads in grey and for every kind of colour blindness.
- tanh quantities (−1…1): a "berlin"-like diverging map, light blue → near
  black at 0 → light red. Magnitude is lightness (readable in grey), the sign
  is hue along the blue/orange axis that colour-blind viewers still separate,
  and the dark middle means units doing nothing fade into a dark terminal, so
  the ones firing stand out when projected.
- Without colour (NO_COLOR), glyph density stands for magnitude instead, with
  a different family of glyphs for negative values.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style

# Every Segment carries a Style, never None: Textual's NO_COLOR filter cannot take None.
NULL = Style()

# Odd, so that 0 of a signed quantity falls exactly on the middle level. 17, not 33: a cell is
# repainted only when its bucket changes, and measured on the bundled LSTM, 17 buckets leave a few
# more cells untouched per step (24 % against 19 %) while steps of 1/8 (1/16 for gates) are still
# finer than anyone reads off a colour.
LEVELS = 17
MID = LEVELS // 2

_VIRIDIS = [
    (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
    (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
]
_BERLIN = [
    (158, 176, 255), (82, 150, 213), (40, 92, 130), (20, 32, 42), (17, 16, 16),
    (42, 18, 8), (112, 40, 16), (192, 96, 70), (255, 173, 173),
]


def _interpolate(stops: list[tuple[int, int, int]], n: int) -> np.ndarray:
    xs = np.linspace(0, 1, len(stops))
    t = np.linspace(0, 1, n)
    table = np.stack([np.interp(t, xs, [s[k] for s in stops]) for k in range(3)], axis=1)
    return np.rint(table).astype(np.uint8)


SEQUENTIAL = _interpolate(_VIRIDIS, LEVELS)  # (LEVELS, 3) RGB for gates
DIVERGING = _interpolate(_BERLIN, LEVELS)  # (LEVELS, 3) RGB for tanh quantities

# 16 colours: Rich's nearest-colour downsampling of the maps above turns the lower half of the gate map
# into one grey and both ends of the diverging map into the same light grey (+1 and -1 look alike), so
# these terminals get maps of their own, in ANSI colour numbers: lightness still rises with |value| and
# the sign is still cold vs warm. The RGB beside each is xterm's default, for choosing black or white text.
STANDARD_SEQUENTIAL = (0, 5, 4, 6, 2, 10, 11)  # black, magenta, blue, cyan, green, bright green, bright yellow
STANDARD_DIVERGING = (14, 12, 4, 0, 1, 9, 11)  # bright cyan, bright blue, blue | black | red, bright red, bright yellow
XTERM_RGB = {
    0: (0, 0, 0), 1: (205, 0, 0), 2: (0, 205, 0), 3: (205, 205, 0), 4: (0, 0, 238), 5: (205, 0, 205),
    6: (0, 205, 205), 7: (229, 229, 229), 8: (127, 127, 127), 9: (255, 0, 0), 10: (0, 255, 0),
    11: (255, 255, 0), 12: (92, 92, 255), 13: (255, 0, 255), 14: (0, 255, 255), 15: (255, 255, 255),
}
_standard = False  # set by the app from the terminal's colour system


def use_standard_colours(on: bool) -> None:
    """Switch the maps to the 16-colour ones (or back); every cached style is rebuilt."""
    global _standard
    if on != _standard:
        _standard = on
        for f in (color, half_block, full_cell, text_on, marker, half_block_segments):
            f.cache_clear()


def standard_colours() -> bool:
    return _standard


def _standard_number(level: int, signed: bool) -> int:
    """The ANSI colour of a bucket; the middle bucket of a signed map falls on black."""
    stops = STANDARD_DIVERGING if signed else STANDARD_SEQUENTIAL
    return stops[round(level * (len(stops) - 1) / (LEVELS - 1))]


# Glyph mode (NO_COLOR): density by magnitude; negative values use ASCII marks
POSITIVE_GLYPHS = " ░▒▓█"
NEGATIVE_GLYPHS = " .-=#"


def quantise(values: np.ndarray, signed: bool) -> np.ndarray:
    """Map values to bucket indices 0…LEVELS-1 (uint8); signed maps −1…1, else 0…1.

    c of an LSTM may exceed ±1; it is clipped, which the legend says.
    """
    v = np.asarray(values, dtype=np.float32)
    x = (v + 1.0) * (0.5 * (LEVELS - 1)) if signed else v * (LEVELS - 1)
    return np.clip(np.rint(x), 0, LEVELS - 1).astype(np.uint8)


def table(signed: bool) -> np.ndarray:
    return DIVERGING if signed else SEQUENTIAL


@cache
def color(level: int, signed: bool) -> Color:
    if _standard:
        return Color.from_ansi(_standard_number(level, signed))
    r, g, b = (int(x) for x in table(signed)[level])
    return Color.from_rgb(r, g, b)


@cache
def half_block(upper: int, lower: int, signed: bool) -> Style:
    """Style of a '▀' cell: foreground = upper unit, background = lower unit."""
    return Style(color=color(upper, signed), bgcolor=color(lower, signed))


@cache
def full_cell(level: int, signed: bool) -> Style:
    return Style(bgcolor=color(level, signed))


def luminance(level: int, signed: bool) -> float:
    r, g, b = XTERM_RGB[_standard_number(level, signed)] if _standard else table(signed)[level]
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@cache
def text_on(level: int, signed: bool, **attrs: bool) -> Style:
    """A character on a coloured background, in black or white, whichever reads."""
    fg = "#000000" if luminance(level, signed) > 0.45 else "#ffffff"
    return Style(color=fg, bgcolor=color(level, signed), **attrs)


@cache
def marker(level: int, signed: bool) -> Style:
    """The selected unit: its own colour behind a contrasting mark, bold."""
    fg = "#000000" if luminance(level, signed) > 0.45 else "#ffffff"
    return Style(color=fg, bgcolor=color(level, signed), bold=True)


@cache
def half_block_segments(signed: bool) -> list[list[Segment]]:
    """table[upper][lower]: the ready '▀' Segment for every pair of buckets (PAD = 255 is blank)."""
    blank = Segment(" ", NULL)
    rows: list[list[Segment]] = [[blank] * 256 for _ in range(256)]
    for up in range(LEVELS):
        rows[up][255] = Segment("▀", Style(color=color(up, signed)))
        for lo in range(LEVELS):
            rows[up][lo] = Segment("▀", half_block(up, lo, signed))
    return rows


@cache
def glyph_segments(signed: bool) -> list[Segment]:
    """table[bucket]: the NO_COLOR glyph Segment of every bucket (PAD = 255 is blank)."""
    table = [Segment(" ", NULL)] * 256
    for lv in range(LEVELS):
        table[lv] = Segment(glyph_for(lv, signed), NULL)
    return table


def glyph_for(level: int, signed: bool) -> str:
    """The NO_COLOR stand-in for a bucket: a denser glyph for a larger magnitude."""
    if not signed:
        return POSITIVE_GLYPHS[min(4, (level * 5) // LEVELS)]
    d = level - MID
    k = min(4, (abs(d) * 5 + MID - 1) // (MID + 1)) if d else 0
    return (POSITIVE_GLYPHS if d > 0 else NEGATIVE_GLYPHS)[k]


SPARK = " ▁▂▃▄▅▆▇█"


def spark_glyph(level: int) -> str:
    """A bar whose height is the bucket (0 = empty, top = full)."""
    return SPARK[min(8, (level * 9) // LEVELS)]


def spans(changed: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) runs of True in a 1-D mask: adjacent changed cells become one region to refresh.

    Textual writes a refreshed region as one cursor move plus its cells, so a run costs one move;
    unchanged cells between runs are skipped, since one costs more bytes than a move.
    """
    m = np.asarray(changed, dtype=np.int8)
    if not m.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate(([0], m, [0]))))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def refresh_spans(widget, spans_: list[tuple[int, int, int]]) -> int:
    """Refresh (y, x0, x1) spans of `widget`, one region per line; returns the cells that will be written.

    Measured through a pty (Textual 8.2): a partial update of a line writes from the left edge of
    the widget's part of that line up to the end of the last span, and several regions on one line
    are each written that way. So the spans of a line are merged into one region, and the cost is
    counted from the line's start.
    """
    rows: dict[int, tuple[int, int]] = {}
    for y, a, b in spans_:
        lo, hi = rows.get(y, (a, b))
        rows[y] = (min(lo, a), max(hi, b))
    if rows:
        from textual.geometry import Region

        widget.refresh(*(Region(a, y, b - a, 1) for y, (a, b) in rows.items()))
    return sum(b for a, b in rows.values())
