"""What the viewer is looking at: layer, quantity, unit, unit order, colour scale, zoom.

One immutable value. The app holds it in a reactive (`RnnApp.view`), so every
change goes through one assignment and repaints once; each key builds the next
value with one of the methods below, which a test can call without a screen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

ORDERS = ("index", "variance", "mean", "saturation")  # how units are laid out in the grids
ZOOMS = (1, 2, 4)  # heatmap cell sizes: half-blocks (2 units a cell), 2×1 full cells, 4×2


@dataclass(frozen=True)
class ViewState:
    layers: int
    quantities: int
    hidden: int
    layer: int
    quantity: int  # the quantity the text, the strip and the unit order follow
    unit: int
    order: str = ORDERS[0]
    shared_scale: bool = False  # False: each unit on its own robust range; True: one range per grid
    coloured: bool = True  # the text coloured by the selected unit
    zoom: int = 0  # index into ZOOMS

    def next_layer(self, delta: int) -> ViewState:
        return replace(self, layer=(self.layer + delta) % self.layers)

    def next_quantity(self) -> ViewState:
        return replace(self, quantity=(self.quantity + 1) % self.quantities)

    def select(self, unit: int) -> ViewState:
        return replace(self, unit=max(0, min(self.hidden - 1, unit)))

    def show(self, layer: int, quantity: int, unit: int) -> ViewState:
        """Another layer, quantity and unit at once (a unit chosen in the neuron finder)."""
        return replace(self, layer=layer % self.layers, quantity=quantity % self.quantities).select(unit)

    def toggle_colour(self) -> ViewState:
        return replace(self, coloured=not self.coloured)

    def toggle_scale(self) -> ViewState:
        return replace(self, shared_scale=not self.shared_scale)

    def next_order(self) -> ViewState:
        """The next unit order; the selected unit stays selected wherever it moves to."""
        return replace(self, order=ORDERS[(ORDERS.index(self.order) + 1) % len(ORDERS)])

    def next_zoom(self) -> ViewState:
        return replace(self, zoom=(self.zoom + 1) % len(ZOOMS))

    @property
    def cell_size(self) -> int:
        return ZOOMS[self.zoom]


def move(order: list[int] | tuple[int, ...], unit: int, offset: int) -> int:
    """The unit `offset` places after `unit` in a grid laid out in `order` (clamped at the ends)."""
    pos = list(order).index(unit) + offset
    return order[max(0, min(len(order) - 1, pos))]
