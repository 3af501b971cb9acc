"""The gated recurrent unit, with PyTorch's equations (Cho et al. 2014, as torch.nn.GRU computes it):

    r_t = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)             reset gate
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)             update gate
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn))  candidate
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}  =  n_t + z_t ⊙ (h_{t−1} − n_t)

Mind the convention: z near 1 keeps the old state, z near 0 takes the candidate.
The code writes h_t in its second form, the one torch's kernels compute, so the
two agree to the last bit more often.
"""

from __future__ import annotations

import numpy as np

from .base import Cell, blocks, gate_number, mark, sigmoid, signed_number


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
    titles = {"r": "reset", "z": "update", "n": "candidate", "h": "hidden"}
    open_means = {
        "r": "reset gate: open lets the candidate see the old state",
        "z": "update gate: z near 1 keeps the old state, near 0 takes the candidate",
    }
    marker = ("G", "#56b4e9")

    def split_bias(self, b_ih, b_hh):
        # b_hn sits inside r ⊙ (…), so it cannot join the input's bias; b_hr and b_hz can
        H = len(b_ih) // 3
        folded = b_ih.copy()
        folded[: 2 * H] += b_hh[: 2 * H]
        recurrent = np.zeros_like(b_hh)
        recurrent[2 * H :] = b_hh[2 * H :]
        return folded, recurrent

    def equations(self, xp, hp, state, hold):
        (h_prev,) = state
        H = xp.shape[-1] // 3
        x_rz, x_n = xp[..., : 2 * H], xp[..., 2 * H :]  # W_i· x_t + b_i· (b_hr, b_hz folded in)
        h_rz, h_n = hp[..., : 2 * H], hp[..., 2 * H :]  # W_h· h_{t−1} (+ b_hn)
        s_r, s_z = blocks(sigmoid(x_rz + h_rz), 2)  # one σ for both gates: on one stream, a call costs more
        r = hold("r", s_r)
        z = hold("z", s_z)
        n = hold("n", np.tanh(x_n + r * h_n))
        h = hold("h", n + z * (h_prev - n))
        return r, z, n, h

    def explain(self, q, parts, clamped):
        n, v = signed_number, gate_number
        h_prev = parts.prev["h"]
        # r and z: both biases join; n: b_in joins the input, b_hn sits inside r·(…)
        pre_r, pre_z = parts.pre[:2]
        n_in, n_rec = parts.ins[2] + parts.b_ih[2], parts.rec[2] + parts.b_hh[2]
        n_no_reset = float(np.tanh(n_in + n_rec))
        keep, take = q["z"] * h_prev, (1 - q["z"]) * q["n"]
        lines = [
            f"r = σ({n(pre_r)}) = {v(q['r'])}   reset gate{mark('r', clamped)}",
            f"z = σ({n(pre_z)}) = {v(q['z'])}   update gate (PyTorch: z near 1 keeps the old state)"
            f"{mark('z', clamped)}",
            f"n = tanh(W_in x + b_in + r·(W_hn h_t−1 + b_hn)) = tanh({n(n_in)} + {v(q['r'])}·{n(n_rec)})"
            f" = {n(q['n'])}{mark('n', clamped)}",
            f"    with r = 1, n would be {n(n_no_reset)}: the reset moved n by {n(q['n'] - n_no_reset)}",
            f"h_t = (1−z)·n + z·h_t−1 = {v(1 - q['z'])}·{n(q['n'])} + {v(q['z'])}·{n(h_prev)}",
            f"    = {n(take)} + {n(keep)} = {n(q['h'])}{mark('h', clamped)}",
        ]
        if q["z"] >= 0.5:
            dominant = f"the old state dominated (z = {v(q['z'])} ≥ 0.5): the unit keeps what it had"
        else:
            dominant = f"the candidate dominated (z = {v(q['z'])} < 0.5): the unit takes the new value"
        values = {**q, "h_prev": h_prev, "pre_r": float(pre_r), "pre_z": float(pre_z), "n_input": float(n_in),
                  "n_recurrent": float(n_rec), "n_without_reset": n_no_reset, "(1−z)·n": take, "z·h_prev": keep}
        return values, dominant, [*lines, dominant]
