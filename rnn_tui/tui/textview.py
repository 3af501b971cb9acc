"""The text so far, each character's background coloured by the selected unit.

This is Karpathy's view: read the text and watch one neuron light up where it
means something (inside quotes, end of line…). Characters are shown through
their safe glyphs only. How each character came to be is visible: primed text
is dim, picked characters bold, forced ones underlined italic; the newest
character (the cursor) is reversed. After a rewind, the characters ahead of
the cursor (what stepping forward will replay) follow it in grey, like a redo
trail. Without colour (NO_COLOR) each line of text gets a row beneath it whose
glyph density is the selected unit's value, since backgrounds are stripped.

Line API: the text is wrapped into lines of positions, each line a Strip cached
under what it shows; after an update only the cells that changed are refreshed,
one region per run of changed cells, so a step usually writes two cells.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from ..core.session import FORCED, PICKED, PRIMED
from . import palette
from .palette import NULL

KIND_ATTRS: dict[int, dict[str, bool]] = {
    PRIMED: {"dim": True},
    PICKED: {"bold": True},
    FORCED: {"underline": True, "italic": True},
}
PLAIN = {k: Style(**a) for k, a in KIND_ATTRS.items()}
CURSOR = Style(reverse=True, bold=True)
AHEAD = Style(color="grey50")  # the redo trail: readable on a projector, clearly not yet "written"
AHEAD_MONO = Style(dim=True)  # NO_COLOR strips the grey; dim survives
AHEAD_LINES = 2  # how many lines of the redo trail to show below the cursor's line


@dataclass
class TextFrame:
    """What the text view shows: positions [start, start + len(ids)), the cursor somewhere inside."""

    start: int
    ids: np.ndarray  # character ids, through the cursor and then the redo trail (if any)
    kinds: bytes  # how each was chosen (session.PRIMED …)
    cursor: int
    levels: np.ndarray | None  # buckets of the selected unit up to the cursor, None = no colouring
    signed: bool

    @property
    def written(self) -> int:
        """How many of `ids` are at or before the cursor (the rest are the redo trail)."""
        return self.cursor - self.start + 1


class TextView(Widget):
    DEFAULT_CSS = """
    TextView { height: 1fr; }
    """

    def __init__(self, glyphs: tuple[str, ...], newline: int | None, value_rows: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.glyph_table = glyphs
        self.newline = newline
        self.value_rows = value_rows  # NO_COLOR: a glyph row under each text line shows the unit
        self.frame: TextFrame | None = None
        self._lines: list[tuple[int, int]] = []  # (start index, end index) into frame arrays
        self._keys: list[tuple] = []
        self._codes = np.zeros((0, 0), dtype=np.int64)  # what each screen cell shows, for diffs
        self._cache: OrderedDict[tuple, Strip] = OrderedDict()

    @property
    def _rows_per_line(self) -> int:
        return 2 if self.value_rows and self.frame is not None and self.frame.levels is not None else 1

    def capacity(self) -> int:
        """How many characters could be on screen at most (the window to ask the session for)."""
        return max(1, self.size.width) * max(1, self.size.height)

    def update_frame(self, frame: TextFrame) -> int:
        """Show `frame`; refresh only the cells that changed. Returns how many cells that is."""
        self.frame = frame
        old = self._codes
        self._layout()
        new = self._codes
        if old.shape != new.shape:
            self.refresh()
            return new.size
        changed = old != new
        return palette.refresh_spans(self, [(y, a, b) for y in np.flatnonzero(changed.any(axis=1)).tolist()
                                            for a, b in palette.spans(changed[y])])

    def on_resize(self) -> None:
        if self.frame is not None:
            self._layout()
        self.refresh()

    def _layout(self) -> None:
        """Wrap the frame into lines (a newline glyph ends its line) and pick the lines to show.

        The cursor's line is shown with up to AHEAD_LINES of the redo trail below it, and as much
        history above as fits.
        """
        f = self.frame
        width, height = max(1, self.size.width), max(1, self.size.height)
        ids = f.ids.tolist()
        lines: list[tuple[int, int]] = []
        begin = 0
        for k, i in enumerate(ids):
            if i == self.newline or k + 1 - begin >= width:
                lines.append((begin, k + 1))
                begin = k + 1
        if begin < len(ids) or not lines:
            lines.append((begin, len(ids)))
        cur = f.written - 1
        at = next((n for n, (a, b) in enumerate(lines) if a <= cur < b), len(lines) - 1)
        last = min(len(lines), at + 1 + AHEAD_LINES)
        visible = max(1, height // self._rows_per_line)
        self._lines = lines[max(0, last - visible): last]
        lv = f.levels
        self._keys = [
            (f.start + a, f.ids[a:b].tobytes(), f.kinds[a:b], cur - a if a <= cur < b else -1,
             min(b, max(a, f.written)) - a, None if lv is None else lv[a:min(b, f.written)].tobytes(),
             f.signed, width)
            for a, b in self._lines
        ]
        self._codes = self._cell_codes(width, height)

    def _cell_codes(self, width: int, height: int) -> np.ndarray:
        """(height, width): one integer per screen cell that changes whenever the cell's look does."""
        f = self.frame
        codes = np.full((height, width), -1, dtype=np.int64)
        n = len(f.ids)
        if n == 0:
            return codes
        ids = f.ids.astype(np.int64)
        kinds = np.frombuffer(f.kinds, dtype=np.uint8).astype(np.int64)
        level = np.full(n, 255, dtype=np.int64)
        if f.levels is not None:
            level[: f.written] = f.levels[: f.written]
        flag = np.zeros(n, dtype=np.int64)
        flag[f.written:] = 1  # the redo trail
        if 0 < f.written <= n:
            flag[f.written - 1] = 2  # the cursor
        code = ((ids * 8 + kinds) * 256 + level) * 4 + flag
        rows = self._rows_per_line
        for k, (a, b) in enumerate(self._lines):
            for sub in range(rows):
                y = k * rows + sub
                if y < height:
                    codes[y, : min(width, b - a)] = code[a : a + min(width, b - a)]
        return codes

    def render_line(self, y: int) -> Strip:
        rows = self._rows_per_line
        line, sub = divmod(y, rows)
        if self.frame is None or line >= len(self._lines):
            return Strip.blank(self.size.width, NULL)
        key = (*self._keys[line], sub)
        strip = self._cache.get(key)
        if strip is None:
            a, b = self._lines[line]
            strip = self._cache[key] = self._values(a, b) if sub else self._build(a, b, self._keys[line][3])
            if len(self._cache) > 512:
                self._cache.popitem(last=False)
        return strip

    def _build(self, a: int, b: int, cursor_at: int) -> Strip:
        f = self.frame
        table = self.glyph_table
        colour = f.levels is not None and not self.value_rows
        segs = []
        for k in range(a, b):
            kind = f.kinds[k]
            ch = table[int(f.ids[k])]
            if k >= f.written:
                style = AHEAD_MONO if self.value_rows else AHEAD
            elif colour:
                style = palette.text_on(int(f.levels[k]), f.signed, **KIND_ATTRS.get(kind, {}))
            else:
                style = PLAIN.get(kind, NULL)
            if k - a == cursor_at:
                style = style + CURSOR
            segs.append(Segment(ch, style))
        return Strip(Segment.simplify(segs), b - a).adjust_cell_length(self.size.width, NULL)

    def _values(self, a: int, b: int) -> Strip:
        """The NO_COLOR row under a text line: the selected unit's value at each character as a glyph."""
        f = self.frame
        end = min(b, f.written)
        text = "".join(palette.glyph_for(int(lv), f.signed) for lv in f.levels[a:end].tolist())
        return Strip([Segment(text, NULL)], len(text)).adjust_cell_length(self.size.width, NULL)
