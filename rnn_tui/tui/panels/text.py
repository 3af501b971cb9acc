"""The text so far, each character's background coloured by the selected unit.

This is Karpathy's view: read the text and watch one neuron light up where it
means something (inside quotes, end of line…). Characters are shown through
their safe glyphs only. How each character came to be is visible: primed text
is dim, picked characters bold, forced ones underlined italic; the newest
character (the cursor) is reversed. After a rewind, the characters ahead of the
cursor (what stepping forward will replay) follow it in grey, like a redo trail.
Without colour (NO_COLOR) each line of text gets a row beneath it whose glyph
density is the selected unit's value, since backgrounds are stripped.

Lines wrap at a space where they can (a word is split only when it is longer
than the line). Line API: each line is a Strip cached under what it shows; after
an update only the cells that changed are refreshed, so a step usually writes
two cells. Scrolling rewrites the whole pane, so while playing over the byte
budget the pane waits to scroll until the budget has room (the text catches up
in one jump, a fraction of a second later).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ...core.session import FORCED, PICKED, PRIMED, SAMPLED
from ..engine.palette import NULL, Maps, glyph_for, quantise
from ..engine.scene import Scene
from ..messages import FrameWanted
from .base import LinePanel

KIND_ATTRS: dict[int, frozenset[str]] = {
    PRIMED: frozenset({"dim"}),
    PICKED: frozenset({"bold"}),
    FORCED: frozenset({"underline", "italic"}),
}
CLAMPED = 4  # added to a kind when the character was computed under a clamp: shown in italic
KIND_ATTRS |= {kind | CLAMPED: KIND_ATTRS.get(kind, frozenset()) | {"italic"}
               for kind in (PRIMED, SAMPLED, PICKED, FORCED)}
PLAIN = {k: Style(**dict.fromkeys(a, True)) for k, a in KIND_ATTRS.items()}
CURSOR = Style(reverse=True, bold=True)
AHEAD = Style(color="grey50")  # the redo trail: readable on a projector, clearly not yet "written"
AHEAD_MONO = Style(dim=True)  # NO_COLOR strips the grey; dim survives
AHEAD_LINES = 2  # how many lines of the redo trail to show below the cursor's line


def marked_kinds(kinds: bytes, clamp_ids: bytes) -> bytes:
    """Each character's kind, with CLAMPED added where it was computed under a clamp."""
    k = np.frombuffer(kinds, dtype=np.uint8)
    return (k | (np.frombuffer(clamp_ids, dtype=np.uint8) > 0).astype(np.uint8) * CLAMPED).tobytes()


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


def wrap(ids: list[int], width: int, newline: int | None, space: int | None) -> list[tuple[int, int]]:
    """[start, end) of each line: a newline ends one; a full line breaks after its last space, if any."""
    lines: list[tuple[int, int]] = []
    begin, last_space = 0, -1
    for k, i in enumerate(ids):
        if i == newline:
            lines.append((begin, k + 1))
            begin, last_space = k + 1, -1
            continue
        if i == space:
            last_space = k
        if k + 1 - begin >= width and k + 1 < len(ids) and ids[k + 1] != newline:
            cut = last_space + 1 if last_space >= begin and ids[k + 1] != space and i != space else k + 1
            lines.append((begin, cut))
            begin, last_space = cut, -1
    if begin < len(ids) or not lines:
        lines.append((begin, len(ids)))
    return lines


class TextPanel(LinePanel):
    DETAIL = False  # follows every frame (scrolling waits for the budget, see above)

    def __init__(self, glyphs: tuple[str, ...], newline: int | None, space: int | None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.glyph_table = glyphs
        self.newline, self.space = newline, space
        self.value_rows = False  # NO_COLOR: a glyph row under each text line shows the unit
        self.maps = Maps()
        self.frame: TextFrame | None = None
        self._lines: list[tuple[int, int]] = []  # (start index, end index) into frame arrays
        self._keys: list[tuple] = []
        self._codes = np.zeros((0, 0), dtype=np.int64)  # what each screen cell shows, for diffs

    @property
    def _rows_per_line(self) -> int:
        return 2 if self.value_rows and self.frame is not None and self.frame.levels is not None else 1

    def capacity(self) -> int:
        """How many characters could be on screen at most (the window to ask the session for)."""
        return max(1, self.size.width) * max(1, self.size.height)

    def show(self, scene: Scene) -> int:
        """Show the frame; refresh only the cells that changed. Returns how many cells that is."""
        if not self.size.area:
            return 0  # not laid out yet: a resize will ask for the frame again
        self.restyle(scene)
        s, v = scene.session, scene.view
        cur = s.cursor
        start = max(0, cur + 1 - self.capacity())
        end = min(s.length, cur + 1 + self.size.width * 3)
        signed = scene.signed()
        levels = None
        if v.coloured:
            values = scene.values(start, cur + 1)
            if values is not None:
                scale = scene.scale(units=v.unit) if signed else None
                levels = quantise(values, signed, scale)
        frame = TextFrame(start, s.ids(start, end), marked_kinds(s.kinds(start, end), s.clamp_ids(start, end)),
                          cur, levels, signed)
        old = (self.frame, self._lines, self._keys, self._codes)
        self.value_rows, self.maps = scene.glyphs, scene.maps
        top = self._lines[0] if self._lines and self.frame else None
        top_at = None if top is None else self.frame.start + top[0]
        self.frame = frame
        self._layout()
        scrolled = top_at is not None and self._lines and frame.start + self._lines[0][0] != top_at
        if scrolled and not scene.detail:  # over the budget: keep the old frame until it has room
            self.frame, self._lines, self._keys, self._codes = old
            return 0
        self.shown_at = (s.revision, cur)
        return self.refresh_changed(old[3], self._codes)

    def on_resize(self) -> None:
        self.post_message(FrameWanted())

    def _layout(self) -> None:
        """Wrap the frame into lines and pick the lines to show: the cursor's line with up to
        AHEAD_LINES of the redo trail below it, and as much history above as fits."""
        f = self.frame
        width, height = max(1, self.size.width), max(1, self.size.height)
        lines = wrap(f.ids.tolist(), width, self.newline, self.space)
        cur = f.written - 1
        at = next((n for n, (a, b) in enumerate(lines) if a <= cur < b), len(lines) - 1)
        last = min(len(lines), at + 1 + AHEAD_LINES)
        visible = max(1, height // self._rows_per_line)
        self._lines = lines[max(0, last - visible): last]
        lv = f.levels
        self._keys = [
            (f.start + a, f.ids[a:b].tobytes(), f.kinds[a:b], cur - a if a <= cur < b else -1,
             min(b, max(a, f.written)) - a, None if lv is None else lv[a:min(b, f.written)].tobytes(),
             f.signed, width, self.maps.key, self.value_rows)
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
                    codes[y, : min(width, b - a)] = code[a : a + min(width, b - a)] + sub
        return codes

    def render_line(self, y: int) -> Strip:
        rows = self._rows_per_line
        line, sub = divmod(y, rows)
        if self.frame is None or line >= len(self._lines):
            return self.blank()
        a, b = self._lines[line]
        key = (*self._keys[line], sub)
        return self.cached(key, lambda: self._values(a, b) if sub else self._build(a, b, self._keys[line][3]))

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
                style = self.maps.text_on(int(f.levels[k]), f.signed, KIND_ATTRS.get(kind, frozenset()))
            else:
                style = PLAIN.get(kind, NULL)
            if k - a == cursor_at:
                style = style + CURSOR
            segs.append(Segment(ch, style))
        return self.finish(Strip(Segment.simplify(segs), b - a).adjust_cell_length(self.size.width, NULL))

    def _values(self, a: int, b: int) -> Strip:
        """The NO_COLOR row under a text line: the selected unit's value at each character as a glyph."""
        f = self.frame
        end = min(b, f.written)
        text = "".join(glyph_for(int(lv), f.signed) for lv in f.levels[a:end].tolist())
        return self.finish(Strip([Segment(text, NULL)], len(text)).adjust_cell_length(self.size.width, NULL))
