"""The viewer's known cells: the one it opens on, and the next one a key cycles to."""

from __future__ import annotations

from ...analysis.known_cells import KnownCell, known_cells
from ...core.checkpoint import Checkpoint


def first_known(ckpt: Checkpoint) -> KnownCell | None:
    """The cell the viewer opens on (the line-position cell when the model has one), or None."""
    cells = known_cells(ckpt)
    return cells[0] if cells else None


def next_known(ckpt: Checkpoint, layer: int, quantity: str, unit: int) -> KnownCell | None:
    """The known cell after the one shown (the first one if the unit shown is not a known cell)."""
    cells = known_cells(ckpt)
    if not cells:
        return None
    now = [(c.layer, c.quantity, c.unit) for c in cells]
    k = now.index((layer, quantity, unit)) + 1 if (layer, quantity, unit) in now else 0
    return cells[k % len(cells)]
