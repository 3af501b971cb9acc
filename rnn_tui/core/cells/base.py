"""What a recurrent cell is: its equations, and everything else the program needs to know about it.

A cell type is one file in this folder: a subclass of `Cell` that writes its
equations once, in `equations`, one line per equation with the names of its
docstring, and says in class attributes what the rest of the program shows or
needs (which quantities are gates, what they mean, how they are titled, which
carry to the next step, which torch module trains it). No module elsewhere
switches on a cell's name; it asks the cell.

`equations` is one step of one layer for any number of streams: `xp` and `hp`
have shape (..., gates·H), the state vectors (..., H). `Model.step` calls it
with one stream (1-D arrays), `Model.forward` with B streams side by side.
The model computes the projections (`xp` = W_ih x + the biases that can be
folded into it, `hp` = W_hh h_{t−1} + the ones that cannot, see
`split_bias`), so a cell's body is only its elementwise maths.

Clamping goes through the one hook `hold(name, value)`, which every line passes
its result through: it returns the value, with the clamped units overwritten in
place (so hand it a freshly computed array, never an input), and everything
downstream (the next equation, the next layer, the next step) sees the held value.

Two conventions the model relies on: h, the layer's output, is the last of
`quantities` and the first of `state` (the recurrent projection multiplies it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping

import numpy as np

# Pinning units: {quantity: (unit indices, values)}.
Clamp = Mapping[str, tuple[np.ndarray, np.ndarray]]
Hold = Callable[[str, np.ndarray], np.ndarray]


def sigmoid(x: np.ndarray) -> np.ndarray:
    # 0.5·tanh(x/2) + 0.5 never overflows, unlike 1/(1+exp(-x))
    s = np.multiply(x, 0.5)
    np.tanh(s, out=s)
    s *= 0.5
    s += 0.5
    return s


def blocks(x: np.ndarray, n: int) -> list[np.ndarray]:
    """The n gate blocks of a projection, as views: W_ih stacks them along its rows in this order."""
    size = x.shape[-1] // n
    return [x[..., j * size : (j + 1) * size] for j in range(n)]  # np.split costs 5 µs a call


def no_clamp(name: str, value: np.ndarray) -> np.ndarray:
    return value


def as_streams(ids) -> tuple[np.ndarray, bool]:
    """A teacher-forced run's ids as (B, T) int64 streams, and whether one stream (T,) was given."""
    ids = np.asarray(ids, dtype=np.int64)
    single = ids.ndim == 1
    return (ids[None] if single else ids), single


def holder(clamp: Clamp | None) -> Hold:
    """The `hold` hook for a clamp: identity without one, else overwrite the clamped units in place."""
    if not clamp:
        return no_clamp

    def hold(name: str, value: np.ndarray) -> np.ndarray:
        if name in clamp:
            units, fixed = clamp[name]
            value[..., units] = fixed
        return value

    return hold


def signed_number(x: float) -> str:
    """A number as the equations panel prints a signed quantity: +0.123, −1.500."""
    return f"{x:+.3f}".replace("-", "−")


def gate_number(x: float) -> str:
    return f"{x:.3f}"


class Cell(ABC):
    name: str  # as in checkpoints and on the command line: "lstm"
    torch_name: str  # the torch.nn module that trains it, and the cell's name in labels: "LSTM"
    quantities: tuple[str, ...]  # what `equations` returns, in order; h, the layer's output, is last
    signed: frozenset[str]  # tanh-like or unbounded quantities; the rest are gates in (0, 1)
    unbounded: frozenset[str] = frozenset()  # signed quantities with no fixed range (an LSTM's c)
    gates: int  # blocks of `hidden` rows in W_ih and W_hh
    state: tuple[str, ...] = ("h",)  # what carries from one step to the next, in that order
    descriptions: Mapping[str, str] = {}  # one line per quantity, for help and tooltips
    titles: Mapping[str, str] = {}  # one word per quantity, beside its letter on the heatmap
    open_means: Mapping[str, str] = {}  # per gate: what an open (right-saturated) gate does
    marker: tuple[str, str] = ("*", "#999999")  # glyph and colour where cell types are compared

    def split_bias(self, b_ih: np.ndarray, b_hh: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(bias added to the input projection, bias added to the recurrent one, or None)."""
        return b_ih + b_hh, None

    @abstractmethod
    def equations(self, xp: np.ndarray, hp: np.ndarray, state: tuple[np.ndarray, ...],
                  hold: Hold) -> tuple[np.ndarray, ...]:
        """One step (see the module docstring): the quantities, in the order of `self.quantities`."""

    @abstractmethod
    def explain(self, q: Mapping[str, float], parts: Parts, clamped: frozenset[str]) -> Explained:
        """One unit's step in words and numbers, for the equations panel (see `Parts`)."""

    def bound(self, quantity: str) -> tuple[float, float] | None:
        """The values a quantity can take: gates 0…1, tanh quantities −1…1, None when unbounded."""
        if quantity not in self.signed:
            return (0.0, 1.0)
        return None if quantity in self.unbounded else (-1.0, 1.0)


class Parts:
    """One unit's pre-activations split by where they come from, one entry per gate block:
    `ins` = W_ih x, `rec` = W_hh h_{t−1}, `b_ih`, `b_hh`; and the unit's state before the step."""

    def __init__(self, ins: np.ndarray, rec: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray,
                 state: Mapping[str, float]):
        self.ins, self.rec, self.b_ih, self.b_hh = ins, rec, b_ih, b_hh
        self.prev = state  # {"h": h_{t−1}, "c": c_{t−1}, ...} for this unit

    @property
    def pre(self) -> np.ndarray:
        """Each block's whole pre-activation, as if nothing multiplied a part of it."""
        return self.ins + self.rec + (self.b_ih + self.b_hh)


# (every named number of the step, the term that decided the new state in words, the panel's lines)
Explained = tuple[dict[str, float], str, list[str]]


def mark(name: str, clamped: frozenset[str]) -> str:
    return "  ← clamped" if name in clamped else ""
