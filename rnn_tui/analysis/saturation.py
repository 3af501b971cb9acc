"""Gate saturation (Karpathy, Johnson & Fei-Fei 2015, Fig. 3): per layer and gate, each unit's
fraction of time left-saturated (< 0.1) and right-saturated (> 0.9).

A unit near the right edge is a gate that is nearly always open, one near the
left nearly always shut, one near the origin is used in between. The counts are
taken during the capture from the values the model computes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.cells import CELLS
from .capture import SATURATION_HI, SATURATION_LO, Capture


@dataclass(frozen=True)
class GateSaturation:
    layer: int
    gate: str
    left: np.ndarray  # (hidden,) fraction of characters with the gate < 0.1
    right: np.ndarray  # (hidden,) fraction with the gate > 0.9
    meaning: str

    def summary(self) -> str:
        n = len(self.left)
        return (f"L{self.layer + 1} {self.gate}: {int((self.right > 0.5).sum())}/{n} units right-saturated "
                f"(> {SATURATION_HI}) more than half the time, {int((self.left > 0.5).sum())}/{n} left "
                f"(< {SATURATION_LO}); {self.meaning}")


def saturation(cap: Capture) -> list[GateSaturation]:
    """One entry per layer and gate, in layer then gate order; empty for a plain RNN (it has no gates)."""
    n = max(len(cap), 1)
    means = CELLS[cap.cell].open_means  # what "right-saturated" means for each gate, for the labels
    return [GateSaturation(layer, gate, below / n, above / n, means.get(gate, gate))
            for (layer, gate), (below, above) in sorted(cap.saturation.items(),
                                                        key=lambda kv: (kv[0][0], cap.quantities.index(kv[0][1])))]
