"""What every panel of the viewer is: shown a `Scene` each frame, it repaints only what changed.

`Panel.show(scene)` takes the frame and returns how many cells it asked to
repaint. A panel with `DETAIL = True` costs many bytes a frame (most of a
heatmap changes colour at every step), so while playing over the byte budget
the app skips its `show` and it keeps its last frame, marked stale (`≈`) until it
catches up. `LinePanel` is the base for panels drawn with Textual's Line API:
each line is a `Strip` kept in an LRU cache under what the line shows, and only
the cells that changed are refreshed.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from ..engine.scene import Scene


class Panel(Widget):
    DETAIL: ClassVar[bool] = True  # repainted only when the byte budget has room while playing

    stale: reactive[bool] = reactive(False, layout=False, repaint=False)  # shows an earlier step than the text

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.shown_at: tuple[int, int] | None = None  # (revision, cursor) of the frame shown
        self._unsized: Scene | None = None  # a frame offered before the first layout gave the panel a size
        self._painting = False

    def show(self, scene: Scene) -> int:
        """Take the frame in `scene`; returns how many cells will be repainted."""
        raise NotImplementedError

    def offer(self, scene: Scene) -> int:
        """`show`, or, before the panel has a size, keep the frame for its first paint (`render_lines`)."""
        if not self.size.area:
            self._unsized = scene
            return 0
        self._unsized = None
        return self.show(scene)

    def render_lines(self, crop: Region) -> list[Strip]:
        """The first paint after the first layout shows the frame kept by `offer`, so that the first screen
        is whole in one paint (otherwise it came empty, then again ~30 ms later once the resize's frame
        arrived: two full screens, ~60 KB at 120×40). The panel is painted whole then, so the refreshes
        `show` asks for are already being done."""
        scene, self._unsized = self._unsized, None
        if scene is not None and self.size.area:
            self._painting = True
            try:
                self.show(scene)
            finally:
                self._painting = False
        return super().render_lines(crop)

    def refresh(self, *regions: Region, **kwargs) -> Panel:
        if self._painting and not (kwargs.get("layout") or kwargs.get("recompose")):
            return self  # a repaint asked for while being painted whole
        return super().refresh(*regions, **kwargs)

    def follow(self, scene: Scene) -> None:
        """Every frame, shown or not: mark the panel stale while it is behind the session."""
        s = scene.session
        if self._unsized is scene:  # it is shown at the panel's first paint
            self.stale = False
            return
        self.stale = self.DETAIL and self.shown_at != (s.revision, s.cursor)

    def watch_stale(self) -> None:
        self.refresh(*self.stale_regions())

    def stale_regions(self) -> list[Region]:
        """Where the stale mark is drawn (a title), repainted when it comes and goes."""
        return []


class LinePanel(Panel):
    # A few frames of the panel's own lines: while playing most lines change at every step, and a
    # larger cache only fills with lines never drawn again (512 lines a panel held ~1 MB, filled so
    # slowly on a pty that RSS still rose ~30 B a step after 80,000 steps).
    CACHED_FRAMES: ClassVar[int] = 4

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.strips: LRUCache[tuple, Strip | tuple] = LRUCache(self.CACHED_FRAMES)
        self.base = Style()  # the theme's background and text colour, under every line drawn
        self._styled_for: tuple | None = None

    def on_resize(self) -> None:
        """A cache for the new height (a resize repaints every line anyway). Subclasses' own
        `on_resize` run too: Textual calls the handlers of every class in the MRO."""
        self.strips = LRUCache(self.CACHED_FRAMES * max(1, self.size.height))

    def restyle(self, scene: Scene) -> None:
        """Take the theme (on the first frame and after a change): Textual leaves the background of a
        Line API widget's own segments to the widget, so blank cells and plain text get it here."""
        if scene.maps.key != self._styled_for:
            self._styled_for = scene.maps.key
            self.base = self.rich_style
            self.strips.clear()
            self.refresh()

    def finish(self, strip: Strip) -> Strip:
        """A line as drawn: the theme's background and colour under its own styles."""
        return strip.apply_style(self.base)

    def blank(self) -> Strip:
        return Strip.blank(self.size.width, self.base)

    def cached(self, key: tuple, build):
        """The value cached under `key`, built once."""
        value = self.strips.get(key)
        if value is None:
            value = build()
            self.strips[key] = value
        return value

    def refresh_spans(self, spans: list[tuple[int, int, int]]) -> int:
        """Refresh (y, x0, x1) spans, one region per line; returns the cells that will be written.

        Measured through a pty (Textual 8.2): a partial update of a line writes from the left edge
        of the widget's part of that line up to the end of the last span, and several regions on
        one line are each written that way. So the spans of a line are merged into one region,
        and the cost is counted from the line's start.
        """
        rows: dict[int, tuple[int, int]] = {}
        for y, a, b in spans:
            lo, hi = rows.get(y, (a, b))
            rows[y] = (min(lo, a), max(hi, b))
        if rows:
            self.refresh(*(Region(a, y, b - a, 1) for y, (a, b) in rows.items()))
        return sum(b for a, b in rows.values())

    def refresh_changed(self, old: np.ndarray, new: np.ndarray, x0: int = 0) -> int:
        """Refresh the cells whose codes differ between two (rows, cols) arrays; all of them on a new shape."""
        if old.shape != new.shape:
            self.refresh()
            return new.size
        return self.refresh_spans([(y, x0 + a, x0 + b) for y, a, b in runs(old != new)])


def runs(changed: np.ndarray) -> list[tuple[int, int, int]]:
    """(row, start, end) of each run of True in a 2-D mask, in one pass over all rows: adjacent changed
    cells become one region to refresh."""
    m = np.asarray(changed, dtype=np.int8)
    if not m.any():
        return []
    pad = np.zeros((m.shape[0], 1), dtype=np.int8)
    rows, cols = np.nonzero(np.diff(np.concatenate([pad, m, pad], axis=1), axis=1))
    return list(zip(rows[0::2].tolist(), cols[0::2].tolist(), cols[1::2].tolist(), strict=True))
