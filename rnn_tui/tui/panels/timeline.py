"""The selected unit over the last steps, aligned under the characters that drove it.

Row 0: the recent characters. Row 1: the selected unit as a coloured bar per
step. Below: a units × time strip of the followed quantity for the units around
the selected one (in the grids' order), two units per terminal row (half
blocks), so a neuron that switches on inside quotes shows as a band starting at
the quote.

The panel pages rather than scrolls: steps fill it left to right, and when the
cursor reaches the right edge the last half page moves to the left and filling
goes on. A scrolling strip would repaint every cell every step (about 28 KB a
step in truecolor at 120 columns); a page writes one new column a step, and only
the cells that changed are refreshed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip

from ..engine.palette import LEVELS, MID, NULL, PAD, Maps, glyph_segments, quantise, spark_glyph
from ..engine.scene import Scene
from ..messages import FrameWanted
from .base import LinePanel
from .text import CURSOR, PLAIN

MARGIN = 7
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
    band_units: tuple[int, ...]  # the units of the strip's rows, in the grids' order
    band: np.ndarray  # (units, steps) buckets; units = 2 × strip rows (glyph mode: 1 ×)


class TimelinePanel(LinePanel):

    def __init__(self, glyphs: tuple[str, ...], hidden: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.glyph_table = glyphs
        self.hidden = hidden
        self.glyph_mode = False
        self.maps = Maps()
        self.frame: TimelineFrame | None = None
        self._page = (0, 0)  # (first position, steps across) of the page shown
        self._codes = np.zeros((0, 0), dtype=np.int64)

    @property
    def steps(self) -> int:
        """How many steps fit across."""
        return max(1, self.size.width - MARGIN)

    @property
    def band_rows(self) -> int:
        return max(0, self.size.height - 2)

    def page_start(self, cursor: int) -> int:
        """The position of the first column for `cursor`: the page holding it, turned by half pages."""
        steps = self.steps
        start, width = self._page
        if width != steps or not start <= cursor < start + steps:  # a new width pages afresh
            half = max(1, steps // 2)
            start = max(0, cursor - half + 1) if cursor >= steps else 0
        self._page = (start, steps)
        return start

    def on_resize(self) -> None:
        self.post_message(FrameWanted())

    def show(self, scene: Scene) -> int:
        """Show the frame; refresh only the cells that changed. Returns how many cells that is.

        After a far jump the strip's history is computed with the text's, off the UI thread; until
        then it keeps its last frame (marked ≈)."""
        s, v = scene.session, scene.view
        cur = s.cursor
        if not self.size.area:
            return 0
        self.restyle(scene)
        t0 = self.page_start(cur)
        series = scene.values(t0, cur + 1)
        if series is None:
            return 0
        self.glyph_mode, self.maps = scene.glyphs, scene.maps
        per = 1 if self.glyph_mode else 2
        order = scene.order()
        n_units = min(self.hidden, self.band_rows * per)
        at = order.index(v.unit)
        b0 = min(max(0, at - n_units // 2), max(0, self.hidden - n_units))
        if per == 2:
            b0 -= b0 % 2  # the strip's rows keep the same pairs of units as the selected one moves
        units = tuple(order[b0 : b0 + n_units])
        signed = scene.signed()
        band = scene.values(t0, cur + 1, units=list(units)).T
        scale = (scene.scale(units=list(units))[:, None] if not scene.view.shared_scale else scene.scale()) \
            if signed else None
        frame = TimelineFrame(t0, s.ids(t0), s.kinds(t0), v.unit, scene.quantity_name, signed,
                              quantise(series, signed, scene.scale(units=v.unit) if signed else None),
                              units, quantise(band, signed, scale))
        old_frame, self.frame = self.frame, frame
        old_codes, self._codes = self._codes, self._cell_codes(frame)
        self.shown_at = (s.revision, cur)
        same_margin = old_frame is not None and (old_frame.start, old_frame.unit, old_frame.quantity,
                                                 old_frame.band_units) == (
            frame.start, frame.unit, frame.quantity, frame.band_units)
        if not same_margin:
            self.refresh()
            return self._codes.size
        return self.refresh_changed(old_codes, self._codes, MARGIN)

    def stale_regions(self) -> list[Region]:
        return [Region(0, 0, MARGIN, 1)]

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
            return self.blank()
        mk = self.maps.key
        if y == 0:
            key = ("chars", f.ids.tobytes(), f.kinds, width, self.stale)
            build = self._chars
        elif y == 1:
            key = ("spark", f.series.tobytes(), f.unit, f.quantity, width, mk, self.glyph_mode)
            build = self._spark
        else:
            per = 1 if self.glyph_mode else 2
            k = (y - 2) * per
            if k >= f.band.shape[0]:
                return self.blank()
            rows = f.band[k : k + per]
            units = f.band_units[k : k + per]
            key = ("band", rows.tobytes(), units, f.unit, f.signed, width, mk, self.glyph_mode)

            def build() -> Strip:
                return self._band_row(rows, units)
        return self.cached(key, lambda: self.finish(build().adjust_cell_length(width, NULL)))

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
        segs += [self._spark_segment(lv, f.signed) for lv in f.series.tolist()]
        return Strip(segs, MARGIN + len(f.series))

    def _spark_segment(self, level: int, signed: bool) -> Segment:
        """A bar whose height is the value, coloured by sign, so it never fades into the background. The
        lowest value is the lowest bar, not a blank: a gate held at 0 (or, without colour, a signed unit at
        0 drawn as a density glyph) left its steps empty, as if nothing had been computed there."""
        bar = spark_glyph(level)
        if self.glyph_mode:
            return Segment(bar, NULL)
        if not signed:
            return Segment(bar, Style(color=self.maps.color(LEVELS - 1, False)))
        end = 0 if level < MID else LEVELS - 1
        return Segment(bar, Style(color=self.maps.color(end, True)))

    def _band_row(self, rows: np.ndarray, units: tuple[int, ...]) -> Strip:
        f = self.frame
        holds = f.unit in units
        label = f"▶{f.unit}" if holds else f"{units[0]}"
        segs = [Segment(label.rjust(MARGIN - 1) + " ", SELECTED if holds else LABEL)]
        if self.glyph_mode:
            table = glyph_segments(f.signed)
            segs += [table[lv] for lv in rows[0].tolist()]
        else:
            table2 = self.maps.half_block_segments(f.signed)
            lower = rows[1].tolist() if rows.shape[0] > 1 else [PAD] * rows.shape[1]
            segs += [table2[a][b] for a, b in zip(rows[0].tolist(), lower, strict=True)]
        return Strip(segs, MARGIN + rows.shape[1])
