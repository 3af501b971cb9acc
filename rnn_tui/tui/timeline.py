"""The selected unit over the last steps, aligned under the characters that drove it.

Row 0: the recent characters. Row 1: the selected unit as a coloured bar per
step. Below: a units × time strip of the colouring quantity for the units
around the selected one, two units per terminal row (half blocks), so a
neuron that switches on inside quotes shows as a band starting at the quote.

The panel pages rather than scrolls: steps fill it left to right, and when the
cursor reaches the right edge the last half page moves to the left and filling
goes on. A scrolling strip would repaint every cell every step (about 28 KB a
step in truecolor at 120 columns); a page writes one new column a step, and
only the cells that changed are refreshed.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import cache

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from . import palette
from .palette import NULL
from .textview import CURSOR, PLAIN

MARGIN = 7
PAD = 255
LABEL = Style(dim=True)
SELECTED = Style(bold=True)


@dataclass
class TimelineFrame:
    start: int  # position of the first column (the page start)
    ids: np.ndarray  # characters of positions [start, cursor]
    kinds: bytes
    unit: int
    quantity: str
    signed: bool
    series: np.ndarray  # buckets of the selected unit, one per step
    band_start: int  # first unit of the strip
    band: np.ndarray  # (units, steps) buckets; units = 2 × strip rows (glyph mode: 1 ×)


class TimelinePanel(Widget):
    DEFAULT_CSS = """
    TimelinePanel { height: 6; }
    """

    def __init__(self, glyphs: tuple[str, ...], hidden: int, glyph_mode: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.glyph_table = glyphs
        self.hidden = hidden
        self.glyph_mode = glyph_mode
        self.frame: TimelineFrame | None = None
        self.stale = False  # the strip shows an earlier step than the text (play under a byte budget)
        self._cache: OrderedDict[tuple, Strip] = OrderedDict()

    @property
    def steps(self) -> int:
        """How many steps fit across."""
        return max(1, self.size.width - MARGIN)

    @property
    def band_units(self) -> int:
        rows = max(0, self.size.height - 2)
        return min(self.hidden, rows * (1 if self.glyph_mode else 2))

    def set_stale(self, stale: bool) -> None:
        """Mark the strip as behind the text ("text≈" in its margin); repaints only that label."""
        if stale != self.stale:
            self.stale = stale
            self.refresh(Region(0, 0, MARGIN, 1))

    def page_start(self, cursor: int) -> int:
        """The position of the first column for `cursor`: the page holding it, turned by half pages."""
        steps = self.steps
        start = getattr(self, "_page", 0)
        if not start <= cursor < start + steps:
            half = max(1, steps // 2)
            start = max(0, cursor - half + 1) if cursor >= steps else 0
        self._page = start
        return start

    def update_frame(self, frame: TimelineFrame) -> int:
        """Show `frame`; refresh only the cells that changed. Returns how many cells that is."""
        old_frame, self.frame = self.frame, frame
        old_codes, self._codes = getattr(self, "_codes", None), self._cell_codes(frame)
        same_margin = old_frame is not None and (old_frame.start, old_frame.unit, old_frame.quantity,
                                                 old_frame.signed, old_frame.band_start) == (
            frame.start, frame.unit, frame.quantity, frame.signed, frame.band_start)
        if not same_margin or old_codes is None or old_codes.shape != self._codes.shape:
            self.refresh()
            return self._codes.size
        changed = old_codes != self._codes
        return palette.refresh_spans(self, [(y, MARGIN + a, MARGIN + b)
                                            for y in np.flatnonzero(changed.any(axis=1)).tolist()
                                            for a, b in palette.spans(changed[y])])

    def _cell_codes(self, f: TimelineFrame) -> np.ndarray:
        """(rows, steps): one integer per cell that changes whenever the cell's look does."""
        steps, height = self.steps, max(0, self.size.height)
        codes = np.full((height, steps), -1, dtype=np.int64)
        n = min(steps, len(f.ids))
        if height == 0 or n == 0:
            return codes
        kinds = np.frombuffer(f.kinds, dtype=np.uint8)[:n].astype(np.int64)
        codes[0, :n] = (f.ids[:n].astype(np.int64) * 8 + kinds) * 2
        codes[0, n - 1] += 1  # the cursor
        if height > 1:
            codes[1, :n] = f.series[:n]
        per = 1 if self.glyph_mode else 2
        for y in range(2, height):
            rows = f.band[(y - 2) * per : (y - 1) * per, :n].astype(np.int64)
            if rows.shape[0]:
                codes[y, :n] = rows[0] * 256 + (rows[1] if rows.shape[0] > 1 else PAD)
        return codes

    def render_line(self, y: int) -> Strip:
        f = self.frame
        width = self.size.width
        if f is None:
            return Strip.blank(width, NULL)
        if y == 0:
            key = ("chars", f.ids.tobytes(), f.kinds, width, self.stale)
            build = self._chars
        elif y == 1:
            key = ("spark", f.series.tobytes(), f.unit, f.quantity, width)
            build = self._spark
        else:
            k = (y - 2) * (1 if self.glyph_mode else 2)
            if k >= f.band.shape[0]:
                return Strip.blank(width, NULL)
            rows = f.band[k : k + (1 if self.glyph_mode else 2)]
            key = ("band", rows.tobytes(), f.band_start + k, f.unit, f.signed, width)

            def build() -> Strip:
                return self._band_row(rows, f.band_start + k)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._cache[key] = build().adjust_cell_length(width, NULL)
            if len(self._cache) > 256:
                self._cache.popitem(last=False)
        return strip

    def _chars(self) -> Strip:
        f = self.frame
        segs = [Segment(("text ≈" if self.stale else "text").ljust(MARGIN), LABEL)]
        n = len(f.ids)
        table = self.glyph_table
        segs += [Segment(table[i], PLAIN.get(f.kinds[k], NULL)) for k, i in enumerate(f.ids.tolist())]
        if n:
            segs[-1] = Segment(segs[-1].text, CURSOR)
        return Strip(segs, MARGIN + n)

    def _spark(self) -> Strip:
        f = self.frame
        segs = [Segment(f"{f.quantity}{f.unit}".ljust(MARGIN)[:MARGIN], SELECTED)]
        table = spark_segments(f.signed, self.glyph_mode, palette.standard_colours())
        segs += [table[lv] for lv in f.series.tolist()]
        return Strip(segs, MARGIN + len(f.series))

    def _band_row(self, rows: np.ndarray, first_unit: int) -> Strip:
        f = self.frame
        holds = first_unit <= f.unit < first_unit + rows.shape[0]
        label = f"▶{f.unit}" if holds else f"{first_unit}"
        segs = [Segment(label.rjust(MARGIN - 1) + " ", SELECTED if holds else LABEL)]
        if self.glyph_mode:
            table = palette.glyph_segments(f.signed)
            segs += [table[lv] for lv in rows[0].tolist()]
        else:
            table2 = palette.half_block_segments(f.signed)
            lower = rows[1].tolist() if rows.shape[0] > 1 else [PAD] * rows.shape[1]
            segs += [table2[a][b] for a, b in zip(rows[0].tolist(), lower, strict=True)]
        return Strip(segs, MARGIN + rows.shape[1])


@cache
def spark_segments(signed: bool, glyph_mode: bool, standard: bool = False) -> list[Segment]:
    """A bar per bucket: its height is the value; coloured by sign, so it never fades into the background."""
    out = []
    for lv in range(palette.LEVELS):
        if glyph_mode:
            g = palette.glyph_for(lv, signed) if signed else palette.spark_glyph(lv)
            out.append(Segment(g, NULL))
        else:
            out.append(Segment(palette.spark_glyph(lv), _spark_style(lv, signed, standard)))
    return out


@cache
def _spark_style(level: int, signed: bool, standard: bool) -> Style:  # `standard` keys the cache only
    if not signed:
        return Style(color=palette.color(palette.LEVELS - 1, False))
    return Style(color=palette.color(0 if level < palette.MID else palette.LEVELS - 1, True))
