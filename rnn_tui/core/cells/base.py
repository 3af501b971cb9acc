"""What every recurrent cell provides, so a new cell type is one file in this folder.

A cell sees one layer at a time. The model hands it the layer's input already
projected (`xp` = W_ih x + the biases that can be folded in) and the recurrent
projection (`hp` = W_hh h + the biases that cannot), and the cell writes each
named quantity of its equations into its row of the activations.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

import numpy as np

# Pinning a unit: {quantity: (unit indices, values)}, applied the moment the quantity is computed,
# so everything downstream (the next quantity, the next layer, the next step) sees the pinned value.
Clamp = Mapping[str, tuple[np.ndarray, np.ndarray]]


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    # 0.5·tanh(x/2) + 0.5 never overflows, unlike 1/(1+exp(-x))
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def pin(values: np.ndarray, name: str, clamp: Clamp | None) -> None:
    """Overwrite the clamped units of quantity `name` in place (the last axis is the unit)."""
    if clamp and name in clamp:
        units, fixed = clamp[name]
        values[..., units] = fixed


class Cell(ABC):
    name: str  # as in checkpoints and on the command line: "lstm"
    torch_name: str  # the torch.nn module that trains it: "LSTM"
    quantities: tuple[str, ...]  # the order of a layer's row of activations
    signed: frozenset[str]  # tanh-like quantities (or unbounded, like c); the rest are gates in (0, 1)
    gates: int  # blocks of `hidden` rows in W_ih and W_hh
    state: tuple[str, ...] = ("h",)  # what carries from one step to the next, in that order
    unbounded: frozenset[str] = frozenset()  # signed quantities with no fixed range (ranged on the values seen)
    descriptions: Mapping[str, str] = {}

    def split_bias(self, b_ih: np.ndarray, b_hh: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(bias added to the input projection, bias added to the recurrent one, or None)."""
        return b_ih + b_hh, None

    @abstractmethod
    def step(self, xp: np.ndarray, hp: np.ndarray, state: np.ndarray, acts: np.ndarray,
             clamp: Clamp | None = None) -> None:
        """One step of one layer. xp, hp: (gates·H,); state: (len(self.state), H), read only;
        acts: (len(self.quantities), H), written."""

    @abstractmethod
    def scan(self, xp: np.ndarray, w_hh: np.ndarray, hh_bias: np.ndarray | None, state: np.ndarray,
             out: np.ndarray, acts: np.ndarray | None, clamp: Clamp | None = None) -> None:
        """T steps of one layer over B streams. xp: (B, T, gates·H); state: (B, len(self.state), H),
        updated in place to the final state; out: (B, T, H), the layer's h; acts: (B, T, Q, H) or None."""
