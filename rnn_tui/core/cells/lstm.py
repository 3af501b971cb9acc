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

from .base import Cell, Clamp, pin, sigmoid


class LSTMCell(Cell):
    name = "lstm"
    torch_name = "LSTM"
    quantities = ("i", "f", "g", "o", "c", "h")
    signed = frozenset({"g", "c", "h"})
    gates = 4
    state = ("h", "c")
    unbounded = frozenset({"c"})
    descriptions = {
        "i": "input gate, 0…1: how much of the candidate enters the cell",
        "f": "forget gate, 0…1: how much of the old cell state is kept",
        "g": "candidate, tanh −1…1",
        "o": "output gate, 0…1: how much of the cell is shown as h",
        "c": "cell state, unbounded (coloured on each unit's own range)",
        "h": "hidden state, −1…1",
    }

    def step(self, xp, hp, state, acts, clamp: Clamp | None = None) -> None:
        H = state.shape[-1]
        c_prev = state[1]
        i, f, g, o, c, h = acts
        pre = np.add(xp, hp, out=hp)  # hp is the model's scratch, free to overwrite
        sigmoid(pre, out=acts[0:4].reshape(-1))  # i, f, o are sigmoids; g is redone as a tanh
        np.tanh(pre[2 * H : 3 * H], out=g)
        for name, q in (("i", i), ("f", f), ("g", g), ("o", o)):
            pin(q, name, clamp)
        np.multiply(f, c_prev, out=c)
        c += i * g
        pin(c, "c", clamp)
        np.tanh(c, out=h)
        h *= o
        pin(h, "h", clamp)

    def scan(self, xp, w_hh, hh_bias, state, out, acts, clamp: Clamp | None = None) -> None:
        B, T, G = xp.shape
        H = G // 4
        h = state[:, 0].copy()
        c = state[:, 1].copy()
        ifgo = np.empty((B, G), dtype=np.float32)
        i, f, g, o = ifgo[:, :H], ifgo[:, H : 2 * H], ifgo[:, 2 * H : 3 * H], ifgo[:, 3 * H :]
        for t in range(T):
            pre = h @ w_hh
            pre += xp[:, t]
            sigmoid(pre, out=ifgo)
            np.tanh(pre[:, 2 * H : 3 * H], out=g)
            if clamp:
                for name, q in (("i", i), ("f", f), ("g", g), ("o", o)):
                    pin(q, name, clamp)
            c *= f
            c += i * g
            pin(c, "c", clamp)
            h = np.tanh(c)
            h *= o
            pin(h, "h", clamp)
            out[:, t] = h
            if acts is not None:
                a = acts[:, t]
                a[:, 0:4] = ifgo.reshape(B, 4, H)
                a[:, 4] = c
                a[:, 5] = h
        state[:, 0] = h
        state[:, 1] = c
