"""The state heatmaps: one grid per quantity of the selected layer.

At the smallest zoom each terminal cell shows two units with a half block ('▀',
foreground = upper unit, background = lower unit), so 256 units fit in 32 × 4
cells; the zoom key makes each unit 2×1 or 4×2 whole cells for a projector.
Without colour (NO_COLOR) a unit is a glyph whose density is the value.

Units are laid out in the selected order (index, or by variance, mean,
saturation over a built-in passage), the same in every grid of the layer. The
selected unit is marked in every grid with a high-contrast cell, its row with ◀
on the right and its column with ▲ below.

Line API: values are quantised to palette buckets, each grid line is a Strip
cached under the bytes of its buckets, and after an update only the cells whose
bucket changed are refreshed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.strip import Strip

from ..engine.palette import LEVELS, NULL, PAD, Maps, glyph_for, glyph_segments, quantise
from ..engine.scene import Scene
from ..messages import UnitClicked
from .base import LinePanel, runs

GAP = 2
TITLE = Style(bold=True)
DIM = Style(dim=True)
SELECTED_TITLE = Style(bold=True, reverse=True)


@dataclass(frozen=True)
class GridLayout:
    """How grids sit in the panel: `cols` units across, `per_row` grids side by side.

    `markers`: the selected unit's row (◀) and column (▲) marked beside and under each grid, and GAP
    columns between grids. Where every grid would not fit with them (an LSTM at 80×24), they go (the
    selected unit keeps its own high-contrast cell) and grids sit one column apart, before any grid does.
    """

    cols: int
    unit_rows: int  # rows of units in one grid
    unit_w: int  # terminal columns of one unit
    unit_h2: int  # half-rows of one unit (1: two units share a cell, half blocks)
    per_row: int
    shown: tuple[int, ...]  # indices of the quantities shown, in panel order
    markers: bool = True

    @property
    def gap(self) -> int:
        return GAP if self.markers else 1

    @property
    def cell_rows(self) -> int:
        return math.ceil(self.unit_rows * self.unit_h2 / 2)

    @property
    def block_height(self) -> int:
        return 1 + self.cell_rows + self.markers  # title line + grid + the column-marker line

    @property
    def height(self) -> int:
        return self.block_height * math.ceil(len(self.shown) / self.per_row) if self.shown else 0

    @property
    def grid_width(self) -> int:
        return self.cols * self.unit_w + self.markers  # + the row-marker column on the right


def priority(n_quantities: int, focus: int, state: tuple[int, ...]) -> tuple[int, ...]:
    """Which grids to show first when not all fit: the one being followed, the state (h, c), the rest."""
    return tuple(dict.fromkeys([focus, *reversed(state), *range(n_quantities)]))


@lru_cache(maxsize=64)
def grid_layout(width: int, height: int, hidden: int, n_quantities: int, order: tuple[int, ...],
                unit_w: int = 1, unit_h2: int = 1) -> GridLayout:
    """The layout that shows the most grids in `width`×`height`, then the squarest cells.

    `order` ranks the quantities: when not every grid fits (80×24), the first ones are shown.
    """
    best: tuple[tuple, GridLayout] | None = None
    for markers in (True, False):
        for cols in range(4, 129):
            if cols > hidden and cols != 4:
                break
            unit_rows = math.ceil(hidden / cols)
            lay = GridLayout(cols, unit_rows, unit_w, unit_h2, 1, (), markers)
            if lay.grid_width > width:
                break
            per_row = max(1, (width + lay.gap) // (lay.grid_width + lay.gap))
            n = min(n_quantities, per_row * (height // lay.block_height))
            if n == 0:
                continue
            used_rows = math.ceil(n / per_row)
            # most grids; then markers; then least height; then no ragged last row; then square-looking grids
            waste = cols * unit_rows - hidden
            score = (n, markers, -used_rows * lay.block_height, -waste, -abs(cols * unit_w - lay.cell_rows * 2))
            if best is None or score > best[0]:
                best = (score, GridLayout(cols, unit_rows, unit_w, unit_h2, min(per_row, n), tuple(sorted(order[:n])),
                                          markers))
        if best is not None and len(best[1].shown) == n_quantities:
            break
    if best is None:
        return GridLayout(4, math.ceil(hidden / 4), unit_w, unit_h2, 1, ())
    return best[1]


class HeatmapPanel(LinePanel):
    """Every quantity of one layer as a grid of units, the selected unit marked."""

    def __init__(self, quantities: tuple[str, ...], hidden: int, signed: frozenset[str], state: tuple[str, ...],
                 titles: Mapping[str, str] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.quantities = quantities
        self.titles = titles or {}  # a word beside each quantity's letter: the cell's `titles`
        self.hidden = hidden
        self.signed = [q in signed for q in quantities]
        self.state_q = tuple(quantities.index(q) for q in state)
        self.room = (80, 12)
        self.focus = len(quantities) - 1
        self.glyphs = False
        self.zoom = 1
        self.layout_ = self._layout()
        self.levels = np.full((len(quantities), self._slots()), PAD, dtype=np.uint8)
        self.order: tuple[int, ...] = tuple(range(hidden))
        self.unit = 0
        self.ranges = ("", "")
        self.maps = Maps()

    # -- taking a frame ------------------------------------------------------------

    def set_space(self, width: int, height: int) -> None:
        """The room the screen gives; the layout (and the panel's height) changes only here and on zoom."""
        self.room = (width, height)
        self._relayout()

    @property
    def units_per_row(self) -> int:
        """How many units one row of a grid shows: what ↑ and ↓ move the selection by."""
        return self.layout_.cols

    def _layout(self) -> GridLayout:
        w = self.zoom
        h2 = 2 * max(1, w // 2) if self.glyphs else w  # a glyph is a whole cell: no half blocks
        order = priority(len(self.quantities), self.focus, self.state_q)
        return grid_layout(*self.room, self.hidden, len(self.quantities), order, w, h2)

    def _slots(self) -> int:
        lay = self.layout_
        return lay.cols * lay.unit_rows

    def _relayout(self) -> None:
        new = self._layout()
        if new != self.layout_:
            self.layout_ = new
            self.levels = np.full((len(self.quantities), self._slots()), PAD, dtype=np.uint8)
            self.styles.height = new.height
            self.refresh(layout=True)

    def show(self, scene: Scene) -> int:
        """Take the frame; returns how many cells it refreshed.

        The buckets last drawn are kept, and only cells whose bucket changed are refreshed, as one
        region per run of adjacent changed cells: Textual then writes just those spans, so a step
        that moves a quarter of the units costs about a quarter of a full repaint.
        """
        return self.refresh_spans(self._changed_spans(*self._take(scene)))

    def _take(self, scene: Scene) -> tuple[np.ndarray, int, tuple[str, str], int]:
        """Build the frame's colour buckets, selection and legend; returns what was shown before (the buckets,
        the selected unit's position, the legend, the focused grid) for `_changed_spans`."""
        v = scene.view
        s = scene.session
        self.restyle(scene)
        self.shown_at = (s.revision, s.cursor)
        self.glyphs, self.maps = scene.glyphs, scene.maps
        old_focus, self.focus, self.zoom = self.focus, v.quantity, v.cell_size
        self._relayout()
        order = scene.order()
        acts = s.acts[v.layer]
        levels = np.full_like(self.levels, PAD)
        idx = np.array(order)
        for q, signed in enumerate(self.signed):
            levels[q, : self.hidden] = quantise(acts[q, idx], signed, scene.scale(q, idx) if signed else None)
        old_levels, old_pos = self.levels, self._pos(self.unit)
        self.order, self.unit, self.levels = order, v.unit, levels
        scale = scene.scale()
        old_ranges, self.ranges = self.ranges, ("0", "1") if not scene.signed() else _range_text(
            float(scale if np.isscalar(scale) else scale[v.unit]))
        return old_levels, old_pos, old_ranges, old_focus

    def _changed_spans(self, old_levels: np.ndarray, old_pos: int, old_ranges: tuple[str, str],
                       old_focus: int) -> list[tuple[int, int, int]]:
        """The (row, x0, x1) spans of cells whose drawing differs from what was shown before."""
        levels = self.levels
        lay = self.layout_
        # (quantities, position rows, cols): a unit's position changed colour, or holds the marker now or before
        changed = (old_levels != levels).reshape(len(self.quantities), lay.unit_rows, lay.cols)
        new_pos = self._pos(self.unit)
        for p in {old_pos, new_pos}:
            changed[:, p // lay.cols, p % lay.cols] = True
        # (quantities, terminal rows, cols): a cell changes when any unit drawn in it does
        if lay.unit_h2 == 1:
            pad = np.zeros((len(self.quantities), lay.cell_rows * 2 - lay.unit_rows, lay.cols), dtype=bool)
            rows = np.concatenate([changed, pad], axis=1).reshape(len(self.quantities), lay.cell_rows, 2, lay.cols)
            cells = rows.any(axis=2)
        else:
            cells = np.repeat(changed, lay.unit_h2 // 2, axis=1)
        marker_rows = {self._cell_row(old_pos // lay.cols), self._cell_row(new_pos // lay.cols)}
        column_moved = old_pos % lay.cols != new_pos % lay.cols
        w = lay.unit_w
        spans: list[tuple[int, int, int]] = []
        for slot, q in enumerate(lay.shown):
            x0, y0 = self._grid_origin(slot)
            if old_ranges != self.ranges or old_focus != self.focus:
                spans.append((y0 - 1, x0, x0 + lay.grid_width))  # the title: its legend follows the unit
            spans += [(y0 + r, x0 + a * w, x0 + b * w) for r, a, b in runs(cells[q])]
            for r in marker_rows if lay.markers else ():
                spans.append((y0 + r, x0 + lay.grid_width - 1, x0 + lay.grid_width))
            if column_moved and lay.markers:
                spans.append((y0 + lay.cell_rows, x0, x0 + lay.grid_width))
        return spans

    def stale_regions(self) -> list[Region]:
        lay = self.layout_
        rows = math.ceil(len(lay.shown) / lay.per_row)
        return [Region(0, r * lay.block_height, self.size.width, 1) for r in range(rows)]

    # -- geometry --------------------------------------------------------------------

    def _pos(self, unit: int) -> int:
        """Where a unit sits in the grid (its rank in the order)."""
        return self.order.index(unit) if unit < len(self.order) else 0

    def _cell_row(self, position_row: int) -> int:
        """The terminal row (within a grid) where a row of positions starts."""
        return position_row * self.layout_.unit_h2 // 2

    def _grid_origin(self, slot: int) -> tuple[int, int]:
        """(x, y) of the first cell of grid `slot` (below its title)."""
        lay = self.layout_
        by, bx = divmod(slot, lay.per_row)
        return bx * (lay.grid_width + lay.gap), by * lay.block_height + 1

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.layout_.height

    # -- rendering --------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        lay = self.layout_
        width = self.size.width
        if not lay.shown:
            return self.blank()
        by, r = divmod(y, lay.block_height)
        slots = lay.shown[by * lay.per_row : (by + 1) * lay.per_row]
        if r == 0:
            parts = [self._title(q) for q in slots]
        elif r <= lay.cell_rows:
            parts = [self._row(q, r - 1) for q in slots]
        else:
            parts = [self._column_marker()] * len(slots)
        return self.cached(("line", width, *parts), lambda: self._join(parts, width))

    def _join(self, parts: list[tuple[Segment, ...]], width: int) -> Strip:
        lay = self.layout_
        gap = Segment(" " * lay.gap, NULL)
        segments: list[Segment] = []
        for k, part in enumerate(parts):
            if k:
                segments.append(gap)
            segments.extend(part)
        used = len(parts) * lay.grid_width + max(0, len(parts) - 1) * lay.gap
        return self.finish(Strip(segments, used).crop(0, width).adjust_cell_length(width, NULL))

    def _title(self, q: int) -> tuple[Segment, ...]:
        key = ("title", q, q == self.focus, self.layout_, self.stale, self.maps.key, self.glyphs, self.ranges)
        return self.cached(key, lambda: self._build_title(q))

    def _build_title(self, q: int) -> tuple[Segment, ...]:
        """"h hidden ▁▂▃±.95": the letter (reversed on the followed grid), the name, the legend if it fits.

        The legend is a ramp of the map and its range: 0…1 for a gate; ±r for a signed quantity, r being
        the selected unit's own range (or the grid's shared one). The name comes first and is cut last;
        "≈" after the letter while the grid is behind the text (same width, so nothing moves)."""
        name, signed, w = self.quantities[q], self.signed[q], self.layout_.grid_width
        lo, hi = self.ranges if q == self.focus else (("0", "1") if not signed else ("", "±"))
        label = f"{name}{'≈' if self.stale else ' '}{self.titles.get(name, '')}"
        ramp_len = min(6, w - len(label) - len(lo) - len(hi) - 1)
        if ramp_len < 2 and q == self.focus:  # the followed grid's range matters more than its name
            label = label[:2]
            ramp_len = min(6, w - len(label) - len(lo) - len(hi) - 1)
        first = SELECTED_TITLE if q == self.focus else TITLE
        segs = [Segment(label[:1], first + DIM if self.stale else first),
                Segment(label[1:], DIM if self.stale else NULL)]
        if ramp_len >= 2:
            steps = [round(k * (LEVELS - 1) / (ramp_len - 1)) for k in range(ramp_len)]
            if self.glyphs:
                ramp = [Segment(glyph_for(lv, signed), NULL) for lv in steps]
            else:
                ramp = [Segment(" ", self.maps.full_cell(lv, signed)) for lv in steps]
            segs += [Segment(" ", NULL), Segment(lo, DIM), *ramp, Segment(hi, DIM)]
        return tuple(Strip(segs).crop(0, w).adjust_cell_length(w, NULL))

    def _column_marker(self) -> tuple[Segment, ...]:
        """The line under a grid: ▲ under the selected unit's column, as ◀ marks its row."""
        lay = self.layout_
        col = self._pos(self.unit) % lay.cols
        return self.cached(("column", col, lay), lambda: (
            Segment(" " * (col * lay.unit_w), NULL), Segment("▲".center(lay.unit_w), TITLE),
            Segment(" " * (lay.grid_width - (col + 1) * lay.unit_w), NULL)))

    def _row(self, q: int, row: int) -> tuple[Segment, ...]:
        lay = self.layout_
        pr0 = row * 2 // lay.unit_h2  # the first row of positions this terminal row shows
        n_pr = 2 if lay.unit_h2 == 1 else 1
        cells = self.levels[q].reshape(lay.unit_rows, lay.cols)[pr0 : pr0 + n_pr]
        sel = self._pos(self.unit)
        sel_r, sel_c = divmod(sel, lay.cols)
        here = pr0 <= sel_r < pr0 + n_pr
        key = ("row", q, cells.tobytes(), lay.unit_w, lay.unit_h2, lay.markers, sel_c if here else -1,
               sel_r - pr0 if here else -1, self.glyphs, self.maps.key)
        return self.cached(key, lambda: self._build_row(q, cells, sel_c if here else -1, sel_r - pr0))

    def _build_row(self, q: int, cells: np.ndarray, sel_col: int, sub: int) -> tuple[Segment, ...]:
        signed, lay, maps = self.signed[q], self.layout_, self.maps
        w = lay.unit_w
        if lay.unit_h2 == 1:  # half blocks: two rows of positions per terminal row
            table = maps.half_block_segments(signed)
            lower = cells[1].tolist() if cells.shape[0] > 1 else [PAD] * lay.cols
            segs = [table[up][lo] for up, lo in zip(cells[0].tolist(), lower, strict=True)]
        elif self.glyphs:
            gl = glyph_segments(signed)
            segs = [Segment(gl[lv].text * w, NULL) for lv in cells[0].tolist()]
        else:
            segs = [Segment(" " * w, maps.full_cell(lv, signed) if lv != PAD else NULL) for lv in cells[0].tolist()]
        if sel_col >= 0:
            mark = ("▲" if sub == 0 else "▼") if lay.unit_h2 == 1 else "◆".center(w)
            segs[sel_col] = Segment(mark, marker_style(maps.dark))
        if lay.markers:
            segs.append(Segment("◀", TITLE) if sel_col >= 0 else Segment(" ", NULL))
        return tuple(segs)

    # -- mouse ------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        lay = self.layout_
        by, r = divmod(event.y, lay.block_height)
        bx, x = divmod(event.x, lay.grid_width + lay.gap)
        on_units = 0 < r <= lay.cell_rows and x < lay.cols * lay.unit_w  # not a title or the column marker
        if not on_units or bx >= lay.per_row or by * lay.per_row + bx >= len(lay.shown):
            return
        # a click selects the upper unit of a half-block cell: a terminal reports whole cells
        pos = ((r - 1) * 2 // lay.unit_h2) * lay.cols + x // lay.unit_w
        if pos < self.hidden:
            self.post_message(UnitClicked(self.order[pos]))


def marker_style(dark: bool) -> Style:
    """The selected unit, in every grid: white on a dark theme, black on a light one, seen from the back row."""
    return Style(color="#000000", bgcolor="#ffffff", bold=True) if dark else Style(
        color="#ffffff", bgcolor="#000000", bold=True)


def _range_text(scale: float) -> tuple[str, str]:
    """The legend's ends for a signed scale: ("", "±1"), ("", "±25"), ("", "±.31")."""
    return "", "±" + f"{scale:.2g}".removeprefix("0")
