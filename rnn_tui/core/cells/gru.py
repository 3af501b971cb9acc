"""The gated recurrent unit, with PyTorch's equations (Cho et al. 2014, as torch.nn.GRU computes it):

    r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)             reset gate
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)             update gate
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))  candidate
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}

Mind the convention: z near 1 keeps the old state, z near 0 takes the candidate.
"""

from __future__ import annotations

import numpy as np

from .base import Cell, Clamp, pin, sigmoid


class GRUCell(Cell):
    name = "gru"
    torch_name = "GRU"
    quantities = ("r", "z", "n", "h")
    signed = frozenset({"n", "h"})
    gates = 3
    descriptions = {
        "r": "reset gate, 0…1: how much of the old state the candidate sees",
        "z": "update gate, 0…1: 1 keeps the old state, 0 takes the candidate",
        "n": "candidate state, tanh −1…1",
        "h": "hidden state, −1…1",
    }

    def split_bias(self, b_ih, b_hh):
        # b_hn sits inside r ⊙ (…), so it cannot join the input's bias; b_hr and b_hz can
        H = len(b_ih) // 3
        folded = b_ih.copy()
        folded[: 2 * H] += b_hh[: 2 * H]
        recurrent = np.zeros_like(b_hh)
        recurrent[2 * H :] = b_hh[2 * H :]
        return folded, recurrent

    def step(self, xp, hp, state, acts, clamp: Clamp | None = None) -> None:
        H = state.shape[-1]
        h_prev = state[0]
        rz = acts[0:2].reshape(-1)
        r, z, n, h = acts
        sigmoid(xp[: 2 * H] + hp[: 2 * H], out=rz)
        pin(r, "r", clamp)
        pin(z, "z", clamp)
        np.multiply(r, hp[2 * H :], out=n)
        n += xp[2 * H :]
        np.tanh(n, out=n)
        pin(n, "n", clamp)
        # (1 − z)·n + z·h_prev, written as n + z·(h_prev − n): one temporary fewer
        np.subtract(h_prev, n, out=h)
        h *= z
        h += n
        pin(h, "h", clamp)

    def scan(self, xp, w_hh, hh_bias, state, out, acts, clamp: Clamp | None = None) -> None:
        H = state.shape[-1]
        h = state[:, 0].copy()
        for t in range(xp.shape[1]):
            hp = h @ w_hh
            hp += hh_bias
            rz = sigmoid(xp[:, t, : 2 * H] + hp[:, : 2 * H])
            r, z = rz[:, :H], rz[:, H:]
            pin(r, "r", clamp)
            pin(z, "z", clamp)
            n = r * hp[:, 2 * H :]
            n += xp[:, t, 2 * H :]
            np.tanh(n, out=n)
            pin(n, "n", clamp)
            h = h - n
            h *= z
            h += n
            pin(h, "h", clamp)
            out[:, t] = h
            if acts is not None:
                a = acts[:, t]
                a[:, 0], a[:, 1], a[:, 2], a[:, 3] = r, z, n, h
        state[:, 0] = h
