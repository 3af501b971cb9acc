"""What every panel is given to draw one frame: the session, the selection, the colours, the history.

The app builds one `Scene` per frame and hands it to each panel's `show`. A panel
reads what it needs and keeps nothing of the session; values over the history
come through `values`, which never computes on the UI thread after a far jump:
it tells the display cache which blocks are wanted, returns None for now, and the
app prepares them on a worker and repaints once they are ready.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...analysis.unit_stats import UnitStats
from ...core.cells import Config
from ...core.session import Session
from ...core.vocab import Vocab
from .budget import Player
from .display_cache import DisplayCache
from .palette import Maps
from .view_state import ViewState


@dataclass
class Scene:
    session: Session
    cache: DisplayCache
    view: ViewState
    config: Config
    vocab: Vocab
    stats: UnitStats
    maps: Maps
    glyphs: bool  # NO_COLOR: glyph density instead of colour
    player: Player  # playing or not, the speed and the rate achieved
    detail: bool  # False while playing over the byte budget: costly panels keep their last frame
    name: str  # the model's name, safe for the terminal
    era: str = ""  # which training snapshot the model is, when not the trained model

    @property
    def quantity_name(self) -> str:
        return self.config.quantities[self.view.quantity]

    def signed(self, quantity: int | None = None) -> bool:
        q = self.view.quantity if quantity is None else quantity
        return self.config.quantities[q] in self.config.kind.signed

    def scale(self, quantity: int | None = None, units=slice(None)) -> np.ndarray | float:
        """The range each unit is coloured over (gates: 1): its own, or the grid's shared one."""
        v = self.view
        q = v.quantity if quantity is None else quantity
        if v.shared_scale:
            return float(self.stats.shared[v.layer, q])
        return self.stats.scale[v.layer, q, units]

    def order(self) -> tuple[int, ...]:
        """The units of the selected layer in the order the grids lay them out."""
        v = self.view
        return self.stats.order(v.layer, v.quantity, v.order)

    def values(self, start: int, end: int, units=None, wait: bool = False) -> np.ndarray | None:
        """The colouring quantity of `units` (default: the selected unit) over [start, end).

        Shape (n,) for the selected unit, (n, units) otherwise. After a far jump (blocks missing)
        returns None unless `wait`, and asks for them to be prepared on a worker.
        """
        v = self.view
        if not wait and self.cache.missing(start, end):
            self.cache.want(start, end)
            return None
        sel = slice(v.unit, v.unit + 1) if units is None else units
        out = self.cache.series(start, end, v.layer, v.quantity, sel)
        return out[:, 0] if units is None else out
