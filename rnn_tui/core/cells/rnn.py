"""The vanilla (Elman) RNN cell:  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)."""

from __future__ import annotations

import numpy as np

from .base import Cell, Clamp, pin


class RNNCell(Cell):
    name = "rnn"
    torch_name = "RNN"
    quantities = ("h",)
    signed = frozenset({"h"})
    gates = 1
    descriptions = {"h": "hidden state, tanh −1…1"}

    def step(self, xp, hp, state, acts, clamp: Clamp | None = None) -> None:
        (h,) = acts
        np.add(xp, hp, out=h)
        np.tanh(h, out=h)
        pin(h, "h", clamp)

    def scan(self, xp, w_hh, hh_bias, state, out, acts, clamp: Clamp | None = None) -> None:
        h = state[:, 0].copy()
        for t in range(xp.shape[1]):
            pre = h @ w_hh
            pre += xp[:, t]
            h = np.tanh(pre)
            pin(h, "h", clamp)
            out[:, t] = h
            if acts is not None:
                acts[:, t, 0] = h
        state[:, 0] = h
