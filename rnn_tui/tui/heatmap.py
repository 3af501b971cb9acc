"""The state heatmaps: one grid per quantity of the selected layer.

Each terminal cell shows two units with a half block ('▀', foreground = upper
unit, background = lower unit), so 256 units fit in 32 × 4 cells. Without
colour (NO_COLOR) a cell shows one unit as a glyph whose density is the value.

The widget uses the Line API: values are quantised to palette buckets, each
grid line is a Strip cached under the bytes of its buckets, and after an update
only the lines whose buckets changed are refreshed.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from . import palette
from .palette import NULL

GAP = 2
NAMES = {
    "i": "input gate", "f": "forget gate", "g": "candidate", "o": "output gate", "c": "cell",
    "h": "hidden", "r": "reset gate", "z": "update gate", "n": "candidate",
}
TITLE = Style(bold=True)
DIM = Style(dim=True)
SELECTED_TITLE = Style(bold=True, reverse=True)
PAD = 255  # bucket of a cell past the last unit


@dataclass(frozen=True)
class GridLayout:
    """How grids sit in the panel: `cols` units across, `per_row` grids side by side."""

    cols: int
    unit_rows: int  # rows of units in one grid
    cell_rows: int  # terminal rows of one grid
    per_row: int
    shown: tuple[int, ...]  # indices of the quantities shown, in panel order

    @property
    def block_height(self) -> int:
        return 1 + self.cell_rows  # title line + grid

    @property
    def height(self) -> int:
        return self.block_height * math.ceil(len(self.shown) / self.per_row)

    @property
    def grid_width(self) -> int:
        return self.cols + 1  # + the row-marker column on the right


def grid_layout(width: int, height: int, hidden: int, n_quantities: int, focus: int,
                units_per_cell: int = 2) -> GridLayout:
    """The layout that shows the most grids in `width`×`height`, then the squarest cells.

    When not every grid fits (80×24), the colouring quantity `focus` comes first
    and `h` (the last quantity) next, since those are the ones being looked at.
    """
    best: tuple[tuple, GridLayout] | None = None
    for cols in range(8, 129):
        if cols > hidden and cols != 8:
            break
        unit_rows = math.ceil(hidden / cols)
        cell_rows = math.ceil(unit_rows / units_per_cell)
        gw = cols + 1
        per_row = max(1, (width + GAP) // (gw + GAP))
        if gw > width:
            continue
        block = 1 + cell_rows
        fit_rows = height // block
        n = min(n_quantities, per_row * fit_rows)
        if n == 0:
            continue
        used_rows = math.ceil(n / per_row)
        # most grids; then least height; then no ragged last row; then square-looking grids
        waste = cols * unit_rows - hidden
        score = (n, -used_rows * block, -waste, -abs(cols - unit_rows * 2 // units_per_cell))
        if best is None or score > best[0]:
            order = list(dict.fromkeys([focus, n_quantities - 1, *range(n_quantities)]))
            shown = tuple(sorted(order[:n]))
            best = (score, GridLayout(cols, unit_rows, cell_rows, min(per_row, n), shown))
    if best is None:
        return GridLayout(8, math.ceil(hidden / 8), 1, 1, ())
    return best[1]


class HeatmapPanel(Widget):
    """Every quantity of one layer as a grid of units, the selected unit marked."""

    DEFAULT_CSS = """
    HeatmapPanel { height: auto; }
    """

    class UnitClicked(Message):
        def __init__(self, unit: int) -> None:
            self.unit = unit
            super().__init__()

    def __init__(self, quantities: tuple[str, ...], hidden: int, signed: frozenset[str], glyphs: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.quantities = quantities
        self.hidden = hidden
        self.glyphs = glyphs
        self.units_per_cell = 1 if glyphs else 2
        self.signed = [q in signed for q in quantities]
        self.unit = 0
        self.focus_q = len(quantities) - 1
        self.levels = np.full((len(quantities), hidden), palette.MID, dtype=np.uint8)
        self.layout_ = grid_layout(80, 12, hidden, len(quantities), self.focus_q, self.units_per_cell)
        self._padded = self._pad(self.levels)
        self._cache: OrderedDict[tuple, Strip] = OrderedDict()
        self.max_height = 12
        self.stale = False  # the maps show an earlier step than the text (play under a byte budget)

    # -- inputs --------------------------------------------------------------------

    def set_space(self, width: int, height: int) -> None:
        """Choose the grid layout for the room the screen gives; changes height only here."""
        self.max_height = height
        new = grid_layout(width, height, self.hidden, len(self.quantities), self.focus_q, self.units_per_cell)
        if new != self.layout_:
            self.layout_ = new
            self._padded = self._pad(self.levels)
            self._cache.clear()
            self.styles.height = new.height
            self.refresh(layout=True)

    def set_focus_quantity(self, q: int) -> None:
        self.focus_q = q
        self.set_space(self.size.width or 80, self.max_height)
        self.refresh()

    def set_stale(self, stale: bool) -> None:
        """Mark the grids as behind the text: titles dimmed, "≈" after the letter. Repaints titles only."""
        if stale != self.stale:
            self.stale = stale
            lay = self.layout_
            rows = math.ceil(len(lay.shown) / lay.per_row)
            self.refresh(*(Region(0, r * lay.block_height, self.size.width, 1) for r in range(rows)))

    def update_state(self, acts: np.ndarray, unit: int) -> int:
        """acts: (quantities, hidden) of the selected layer. Returns how many cells it refreshed.

        The buckets last drawn are kept, and only cells whose bucket changed are refreshed, as
        one region per run of adjacent changed cells: Textual then writes just those spans, so a
        step that moves a quarter of the units costs about a quarter of a full repaint.
        """
        levels = np.empty_like(self.levels)
        for k, s in enumerate(self.signed):
            levels[k] = palette.quantise(acts[k], s)
        old_padded, old_unit = self._padded, self.unit
        self.levels, self.unit = levels, unit
        self._padded = self._pad(levels)
        lay = self.layout_
        if old_padded.shape != self._padded.shape:
            self.refresh()
            return len(lay.shown) * lay.cell_rows * lay.cols
        # (quantities, cell rows, cols): a cell changes when either of its units does
        changed = (old_padded != self._padded).any(axis=2)
        if unit != old_unit:
            # the marker leaves one cell and lands on another; their rows' ◀ column follows below
            for u in (unit, old_unit):
                r, c = self._unit_rc(u)
                changed[:, r, c] = True
        spans: list[tuple[int, int, int]] = []
        marker_rows = {self._unit_rc(unit)[0], self._unit_rc(old_unit)[0]} if unit != old_unit else set()
        for slot, q in enumerate(lay.shown):
            x0, y0 = self._grid_origin(slot)
            for r in range(lay.cell_rows):
                spans += [(y0 + r, x0 + a, x0 + b) for a, b in palette.spans(changed[q, r])]
                if r in marker_rows:
                    spans.append((y0 + r, x0 + lay.cols, x0 + lay.cols + 1))
        return palette.refresh_spans(self, spans)

    # -- geometry --------------------------------------------------------------------

    def _pad(self, levels: np.ndarray) -> np.ndarray:
        """(quantities, cell_rows, units_per_cell, cols) of buckets, PAD past the end."""
        lay = self.layout_
        total = lay.cols * lay.cell_rows * self.units_per_cell
        out = np.full((len(self.quantities), total), PAD, dtype=np.uint8)
        out[:, : self.hidden] = levels
        return out.reshape(len(self.quantities), lay.cell_rows, self.units_per_cell, lay.cols)

    def _unit_rc(self, unit: int) -> tuple[int, int]:
        """(cell row, column) of a unit."""
        cols = self.layout_.cols
        return (unit // cols) // self.units_per_cell, unit % cols

    def _grid_origin(self, slot: int) -> tuple[int, int]:
        """(x, y) of the first cell of grid `slot` (below its title)."""
        lay = self.layout_
        by, bx = divmod(slot, lay.per_row)
        return bx * (lay.grid_width + GAP), by * lay.block_height + 1

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.layout_.height

    # -- rendering --------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        lay = self.layout_
        width = self.size.width
        by, r = divmod(y, lay.block_height)
        slots = lay.shown[by * lay.per_row : (by + 1) * lay.per_row]
        parts = [self._title(q) if r == 0 else self._row(q, r - 1) for q in slots]
        key = ("line", width, *parts)  # parts are cached tuples: equal parts, equal line
        strip = self._cache.get(key)
        if strip is None:
            gap = Segment(" " * GAP, NULL)
            segments: list[Segment] = []
            for k, part in enumerate(parts):
                if k:
                    segments.append(gap)
                segments.extend(part)
            used = len(parts) * lay.grid_width + max(0, len(parts) - 1) * GAP
            if used < width:
                segments.append(Segment(" " * (width - used), NULL))
            strip = Strip(segments, max(width, used)).crop(0, width) if used > width else Strip(segments, width)
            self._store(key, strip)
        return strip

    def _title(self, q: int) -> tuple[Segment, ...]:
        key = ("title", q, q == self.focus_q, self.layout_, self.stale, palette.standard_colours())
        return self._cached(key, lambda: self._build_title(q))

    def _build_title(self, q: int) -> tuple[Segment, ...]:
        name = self.quantities[q]
        signed = self.signed[q]
        lay = self.layout_
        legend_lo, legend_hi = ("-1", "1") if signed else ("0", "1")
        # the legend shrinks on narrow grids so the quantity's letter always shows
        ramp_len = max(2, min(6, lay.grid_width - len(legend_lo) - len(legend_hi) - 3))
        ramp = [palette.quantise(np.float32((k / (ramp_len - 1)) * (2 if signed else 1) - (1 if signed else 0)), signed)
                for k in range(ramp_len)]
        ramp_segs = [Segment(palette.glyph_for(int(lv), signed) if self.glyphs else " ",
                             NULL if self.glyphs else palette.full_cell(int(lv), signed)) for lv in ramp]
        # "h≈hidden" while behind: the same width, so nothing moves when it comes and goes
        label = f"{name}{'≈' if self.stale else ' '}{NAMES.get(name, '')}"
        legend_w = len(legend_lo) + ramp_len + len(legend_hi)
        room = max(1, lay.grid_width - legend_w - 1)
        label = label[:room].ljust(room)
        first = SELECTED_TITLE if q == self.focus_q else TITLE
        segs = [Segment(label[:1], first + DIM if self.stale else first),
                Segment(label[1:], DIM if self.stale else NULL)]
        segs += [Segment(" ", NULL), Segment(legend_lo, DIM), *ramp_segs, Segment(legend_hi, DIM)]
        return tuple(Strip(segs).crop(0, lay.grid_width).adjust_cell_length(lay.grid_width, NULL))

    def _row(self, q: int, row: int) -> tuple[Segment, ...]:
        cells = self._padded[q, row]
        sel_row, sel_col = self._unit_rc(self.unit)
        here = sel_row == row
        sub = (self.unit // self.layout_.cols) % self.units_per_cell if here else -1
        key = ("row", q, cells.tobytes(), sel_col if here else -1, sub, self.glyphs, palette.standard_colours())
        return self._cached(key, lambda: self._build_row(q, cells, sel_col if here else -1, sub))

    def _build_row(self, q: int, cells: np.ndarray, sel_col: int, sub: int) -> tuple[Segment, ...]:
        signed = self.signed[q]
        segs: list[Segment] = []
        if self.glyphs:
            table = palette.glyph_segments(signed)
            segs = [table[lv] for lv in cells[0].tolist()]
            if sel_col >= 0:
                lv = int(cells[0, sel_col])
                g = palette.glyph_for(lv, signed) if lv != palette.MID or not signed else "+"
                segs[sel_col] = Segment(g, Style(reverse=True, bold=True))
        else:
            table = palette.half_block_segments(signed)
            segs = [table[up][lo] for up, lo in zip(cells[0].tolist(), cells[1].tolist(), strict=True)]
            if sel_col >= 0:
                lv = int(cells[sub, sel_col])
                segs[sel_col] = Segment("▲" if sub == 0 else "▼", palette.marker(lv, signed))
        segs.append(Segment("◀", TITLE) if sel_col >= 0 else Segment(" ", NULL))
        return tuple(segs)

    def _cached(self, key: tuple, build) -> tuple[Segment, ...]:
        part = self._cache.get(key)
        if part is None:
            part = build()
            self._store(key, part)
        return part

    def _store(self, key: tuple, value) -> None:
        self._cache[key] = value
        # a few frames' worth: ~80 % of cells change every step, so older rows are rarely seen
        # again, and a large cache only held memory (4,096 rows grew RSS by ~7 MB over a long play)
        if len(self._cache) > 512:
            self._cache.popitem(last=False)

    # -- mouse ------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        lay = self.layout_
        by, r = divmod(event.y, lay.block_height)
        bx, x = divmod(event.x, lay.grid_width + GAP)
        if r == 0 or x >= lay.cols or bx >= lay.per_row or by * lay.per_row + bx >= len(lay.shown):
            return
        # a click selects the upper unit of the cell: a terminal reports whole cells
        unit = ((r - 1) * self.units_per_cell) * lay.cols + x
        if unit < self.hidden:
            self.post_message(self.UnitClicked(unit))
