"""The text so far, each character's background coloured by the selected unit.

This is Karpathy's view: read the text and watch one neuron light up where it
means something (inside quotes, end of line…). Characters are shown through
their safe glyphs only. How each character came to be is visible: primed text
is dim, picked characters bold, forced ones underlined italic; the newest
character (the cursor) is reversed.

Line API: the text is wrapped into lines of positions, each line a Strip cached
under what it shows, and only the lines whose content changed are refreshed.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from ..session import FORCED, PICKED, PRIMED
from . import palette
from .palette import NULL

KIND_ATTRS: dict[int, dict[str, bool]] = {
    PRIMED: {"dim": True},
    PICKED: {"bold": True},
    FORCED: {"underline": True, "italic": True},
}
PLAIN = {k: Style(**a) for k, a in KIND_ATTRS.items()}
CURSOR = Style(reverse=True, bold=True)


@dataclass
class TextFrame:
    """What the text view shows: positions [start, start + len(ids))."""

    start: int
    ids: np.ndarray  # character ids
    kinds: bytes  # how each was chosen (session.PRIMED …)
    cursor: int
    levels: np.ndarray | None  # palette buckets of the selected unit, None = no colouring
    signed: bool


class TextView(Widget):
    DEFAULT_CSS = """
    TextView { height: 1fr; }
    """

    def __init__(self, glyphs: tuple[str, ...], newline: int | None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.glyph_table = glyphs
        self.newline = newline
        self.frame: TextFrame | None = None
        self._lines: list[tuple[int, int]] = []  # (start index, end index) into frame arrays
        self._keys: list[tuple] = []
        self._cache: OrderedDict[tuple, Strip] = OrderedDict()

    def capacity(self) -> int:
        """How many characters could be on screen at most (the window to ask the session for)."""
        return max(1, self.size.width) * max(1, self.size.height)

    def update_frame(self, frame: TextFrame) -> None:
        self.frame = frame
        old = self._keys
        self._layout()
        if len(old) != len(self._keys):
            self.refresh()
            return
        for y, (a, b) in enumerate(zip(old, self._keys, strict=True)):
            if a != b:
                self.refresh(Region(0, y, self.size.width, 1))

    def on_resize(self) -> None:
        if self.frame is not None:
            self._layout()
        self.refresh()

    def _layout(self) -> None:
        """Wrap the frame into lines (a newline glyph ends its line) and keep the last screenful."""
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
        self._lines = lines[-height:]
        lv = f.levels
        self._keys = [
            (f.start + a, f.ids[a:b].tobytes(), f.kinds[a:b],
             f.cursor - f.start - a if a <= f.cursor - f.start < b else -1,
             None if lv is None else lv[a:b].tobytes(), f.signed, width)
            for a, b in self._lines
        ]

    def render_line(self, y: int) -> Strip:
        if self.frame is None or y >= len(self._lines):
            return Strip.blank(self.size.width, NULL)
        key = self._keys[y]
        strip = self._cache.get(key)
        if strip is None:
            strip = self._cache[key] = self._build(*self._lines[y], key[3])
            if len(self._cache) > 512:
                self._cache.popitem(last=False)
        return strip

    def _build(self, a: int, b: int, cursor_at: int) -> Strip:
        f = self.frame
        table = self.glyph_table
        segs = []
        for k in range(a, b):
            kind = f.kinds[k]
            ch = table[int(f.ids[k])]
            if f.levels is not None:
                style = palette.text_on(int(f.levels[k]), f.signed, **KIND_ATTRS.get(kind, {}))
            else:
                style = PLAIN.get(kind, NULL)
            if k - a == cursor_at:
                style = style + CURSOR
            segs.append(Segment(ch, style))
        return Strip(Segment.simplify(segs), b - a).adjust_cell_length(self.size.width, NULL)
