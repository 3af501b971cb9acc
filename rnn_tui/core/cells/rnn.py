"""The vanilla (Elman) RNN cell:  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)."""

from __future__ import annotations

import numpy as np

from .base import Cell, mark, signed_number


class RNNCell(Cell):
    name = "rnn"
    torch_name = "RNN"
    quantities = ("h",)
    signed = frozenset({"h"})
    gates = 1
    descriptions = {"h": "hidden state, tanh −1…1"}
    titles = {"h": "hidden"}
    marker = ("R", "#e69f00")

    def equations(self, xp, hp, state, hold):
        h = hold("h", np.tanh(xp + hp))  # xp: W_ih x_t + b_ih + b_hh; hp: W_hh h_{t−1}
        return (h,)

    def explain(self, q, parts, clamped):
        n = signed_number
        b = float(parts.b_ih[0] + parts.b_hh[0])
        i, r = float(parts.ins[0]), float(parts.rec[0])
        lines = [
            f"h_t = tanh(W_ih x + W_hh h_t−1 + b) = tanh({n(i)} + {n(r)} + {n(b)})",
            f"    = tanh({n(i + r + b)}) = {n(q['h'])}{mark('h', clamped)}",
        ]
        if abs(i) >= abs(r):
            dominant = f"the input dominated (|W_ih x| {abs(i):.3f} ≥ |W_hh h_t−1| {abs(r):.3f})"
        else:
            dominant = f"the recurrence dominated (|W_hh h_t−1| {abs(r):.3f} > |W_ih x| {abs(i):.3f})"
        values = {**q, "h_prev": parts.prev["h"], "input": i, "recurrent": r, "bias": b}
        return values, dominant, [*lines, dominant]
