"""The long short-term memory cell, with PyTorch's equations and gate order (i, f, g, o):

    i_t = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi)      input gate
    f_t = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf)      forget gate
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg)   candidate
    o_t = σ(W_io x_t + b_io + W_ho h_{t−1} + b_ho)      output gate
    c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t                     cell state (not bounded by ±1)
    h_t = o_t ⊙ tanh(c_t)                               hidden state
"""

from __future__ import annotations

import numpy as np

from .base import Cell, blocks, gate_number, mark, sigmoid, signed_number


def if_g_o(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A projection's gate blocks as views: i and f side by side (both go through σ), then g, then o."""
    H = a.shape[-1] // 4
    return a[..., : 2 * H], a[..., 2 * H : 3 * H], a[..., 3 * H :]


class LSTMCell(Cell):
    name = "lstm"
    torch_name = "LSTM"
    quantities = ("i", "f", "g", "o", "c", "h")
    signed = frozenset({"g", "c", "h"})
    unbounded = frozenset({"c"})
    gates = 4
    state = ("h", "c")
    descriptions = {
        "i": "input gate, 0…1: how much of the candidate enters the cell",
        "f": "forget gate, 0…1: how much of the old cell state is kept",
        "g": "candidate, tanh −1…1",
        "o": "output gate, 0…1: how much of the cell is shown as h",
        "c": "cell state, unbounded (coloured on each unit's own range)",
        "h": "hidden state, −1…1",
    }
    titles = {"i": "input", "f": "forget", "g": "candidate", "o": "output", "c": "cell", "h": "hidden"}
    open_means = {
        "i": "input gate: open lets the candidate in",
        "f": "forget gate: open keeps the cell (remembers)",
        "o": "output gate: open shows the cell as h",
    }
    marker = ("L", "#009e73")

    def equations(self, xp, hp, state, hold):
        _, c_prev = state
        a_if, a_g, a_o = if_g_o(xp + hp)  # W_i· x_t + b_i· + W_h· h_{t−1} + b_h·: i and f together, g, o
        s_i, s_f = blocks(sigmoid(a_if), 2)  # one σ for both gates: on one stream, a call costs more than its values
        i = hold("i", s_i)
        f = hold("f", s_f)
        g = hold("g", np.tanh(a_g))
        o = hold("o", sigmoid(a_o))
        c = hold("c", f * c_prev + i * g)
        h = hold("h", o * np.tanh(c))
        return i, f, g, o, c, h

    def explain(self, q, parts, clamped):
        n, v = signed_number, gate_number
        c_prev = parts.prev["c"]
        gates = (("i", "σ", "input gate"), ("f", "σ", "forget gate"), ("g", "tanh", "candidate"),
                 ("o", "σ", "output gate"))
        lines = [f"{k} = {fn}({n(p)}) = {n(q[k]) if fn == 'tanh' else v(q[k])}   {what}{mark(k, clamped)}"
                 for (k, fn, what), p in zip(gates, parts.pre, strict=True)]
        keep, write = q["f"] * c_prev, q["i"] * q["g"]
        lines += [
            f"c_t = f·c_t−1 + i·g = {v(q['f'])}·{n(c_prev)} + {v(q['i'])}·{n(q['g'])}",
            f"    = {n(keep)} + {n(write)} = {n(q['c'])}{mark('c', clamped)}",
            f"h_t = o·tanh(c_t) = {v(q['o'])}·{n(float(np.tanh(q['c'])))} = {n(q['h'])}{mark('h', clamped)}",
        ]
        k, w = f"{abs(keep):.3f}", f"{abs(write):.3f}"
        if abs(keep) >= abs(write):
            dominant = f"the old cell state dominated (|f·c_t−1| {k} ≥ |i·g| {w}): it remembers"
        else:
            dominant = f"the new candidate dominated (|i·g| {w} > |f·c_t−1| {k}): it writes"
        values = {**q, "c_prev": c_prev, "h_prev": parts.prev["h"], "f·c_prev": keep, "i·g": write,
                  **{f"pre_{k}": float(p) for (k, _, _), p in zip(gates, parts.pre, strict=True)}}
        return values, dominant, [*lines, dominant]
