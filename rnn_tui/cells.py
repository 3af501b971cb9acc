"""RNN, GRU and LSTM cells in numpy, exposing every gate.

PyTorch's equations, gate order and tensor names, so that a model trained with
`torch.nn.RNN/GRU/LSTM` runs here unchanged (the tests check it against torch):

    RNN   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
    GRU   r  = σ(W_ir x + b_ir + W_hr h + b_hr)
          z  = σ(W_iz x + b_iz + W_hz h + b_hz)
          n  = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
          h' = (1 − z) ⊙ n + z ⊙ h
    LSTM  i, f, o = σ(W_i* x + b_i* + W_h* h + b_h*),  g = tanh(W_ig x + b_ig + W_hg h + b_hg)
          c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')

The first layer's input is a character, so its input projection (one-hot or
embedding, times W_ih, plus biases) is a table lookup, computed once at load.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CELLS = ("rnn", "gru", "lstm")
QUANTITIES = {"rnn": ("h",), "gru": ("r", "z", "n", "h"), "lstm": ("i", "f", "g", "o", "c", "h")}
# Quantities in (-1, 1) (tanh, or c which is unbounded); the rest are gates in (0, 1).
SIGNED = {"h", "n", "g", "c"}
N_GATES = {"rnn": 1, "gru": 3, "lstm": 4}


@dataclass(frozen=True)
class Config:
    cell: str
    layers: int
    hidden: int
    vocab_size: int
    embed_dim: int | None = None  # None: one-hot input

    @property
    def input_size(self) -> int:
        return self.embed_dim if self.embed_dim else self.vocab_size

    @property
    def quantities(self) -> tuple[str, ...]:
        return QUANTITIES[self.cell]

    @property
    def state_size(self) -> int:
        """Vectors of state per layer: h, and c for an LSTM."""
        return 2 if self.cell == "lstm" else 1

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Every tensor a checkpoint of this configuration holds, with torch's names."""
        g = N_GATES[self.cell] * self.hidden
        shapes: dict[str, tuple[int, ...]] = {}
        if self.embed_dim:
            shapes["embed.weight"] = (self.vocab_size, self.embed_dim)
        for k in range(self.layers):
            shapes[f"rnn.weight_ih_l{k}"] = (g, self.input_size if k == 0 else self.hidden)
            shapes[f"rnn.weight_hh_l{k}"] = (g, self.hidden)
            shapes[f"rnn.bias_ih_l{k}"] = (g,)
            shapes[f"rnn.bias_hh_l{k}"] = (g,)
        shapes["head.weight"] = (self.vocab_size, self.hidden)
        shapes["head.bias"] = (self.vocab_size,)
        return shapes

    def parameters(self) -> int:
        return sum(int(np.prod(s)) for s in self.shapes().values())


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    # 0.5·tanh(x/2) + 0.5 never overflows, unlike 1/(1+exp(-x))
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


class Model:
    """A character model: one `step` per character, or `forward` over a whole text."""

    def __init__(self, config: Config, tensors: dict[str, np.ndarray]):
        self.config = c = config
        H, L = c.hidden, c.layers
        t = {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}
        self.tensors = t
        gru = c.cell == "gru"

        def folded_bias(k: int) -> np.ndarray:
            # b_hh can join b_ih except the GRU's b_hn, which r multiplies
            b = t[f"rnn.bias_ih_l{k}"] + t[f"rnn.bias_hh_l{k}"]
            if gru:
                b[2 * H :] = t[f"rnn.bias_ih_l{k}"][2 * H :]
            return b

        w0 = t["rnn.weight_ih_l0"]
        x0 = t["embed.weight"] @ w0.T if c.embed_dim else w0.T
        self.input_table = np.ascontiguousarray(x0 + folded_bias(0), dtype=np.float32)  # (V, G)
        self.w_hh = [np.ascontiguousarray(t[f"rnn.weight_hh_l{k}"].T) for k in range(L)]  # (H, G)
        self.w_ih = [None] + [np.ascontiguousarray(t[f"rnn.weight_ih_l{k}"].T) for k in range(1, L)]
        self.bias = [None] + [folded_bias(k) for k in range(1, L)]
        # Upper layers of RNN/LSTM: one product of [x; h] with [W_ih; W_hh]
        self.w_cat = [None] + [
            np.ascontiguousarray(np.vstack([self.w_ih[k], self.w_hh[k]])) for k in range(1, L)
        ]
        self.b_hn = [t[f"rnn.bias_hh_l{k}"][2 * H :].copy() if gru else None for k in range(L)]
        self.head_w = np.ascontiguousarray(t["head.weight"].T)  # (H, V)
        self.head_b = t["head.bias"]
        self._xh = np.empty(2 * H, dtype=np.float32)  # step's scratch: call step from one thread only

    # -- one character -------------------------------------------------------------

    def initial_state(self) -> np.ndarray:
        c = self.config
        return np.zeros((c.layers, c.state_size, c.hidden), dtype=np.float32)

    def step(self, state: np.ndarray, char_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Feed one character. Returns (new state, logits, activations).

        activations: (layers, len(quantities), hidden) in the order of
        `config.quantities`; state: (layers, state_size, hidden), h then c.
        """
        c = self.config
        H = c.hidden
        cell = c.cell
        acts = np.empty((c.layers, len(c.quantities), H), dtype=np.float32)
        new = np.empty_like(state)
        x = None
        for k in range(c.layers):
            h = state[k, 0]
            a = acts[k]
            if cell == "gru":
                gi = self.input_table[char_id] if k == 0 else x @ self.w_ih[k] + self.bias[k]
                gh = h @ self.w_hh[k]
                rz = gi[: 2 * H] + gh[: 2 * H]
                sigmoid(rz, out=a[0:2].reshape(-1))
                gh_n = gh[2 * H :]
                gh_n += self.b_hn[k]
                gh_n *= a[0]
                gh_n += gi[2 * H :]
                n = np.tanh(gh_n, out=a[2])
                np.subtract(h, n, out=a[3])
                a[3] *= a[1]
                a[3] += n
                x = new[k, 0] = a[3]
                continue
            if k == 0:
                pre = h @ self.w_hh[0]
                pre += self.input_table[char_id]
            else:
                xh = self._xh
                xh[:H] = x
                xh[H:] = h
                pre = xh @ self.w_cat[k]
                pre += self.bias[k]
            if cell == "rnn":
                x = new[k, 0] = np.tanh(pre, out=a[0])
                continue
            # LSTM: a[0:4] is i, f, g, o laid out like the pre-activations
            sigmoid(pre, out=a[0:4].reshape(-1))
            np.tanh(pre[2 * H : 3 * H], out=a[2])
            cc = np.multiply(a[1], state[k, 1], out=a[4])
            cc += a[0] * a[2]
            np.tanh(cc, out=a[5])
            a[5] *= a[3]
            new[k, 0] = a[5]
            new[k, 1] = a[4]
            x = a[5]
        logits = x @ self.head_w
        logits += self.head_b
        return new, logits, acts

    def state_from_acts(self, acts: np.ndarray) -> np.ndarray:
        """The state after a step, rebuilt exactly from that step's activations."""
        q = self.config.quantities
        names = ("h", "c") if self.config.cell == "lstm" else ("h",)
        return np.ascontiguousarray(acts[:, [q.index(n) for n in names]])

    def run(self, ids, state: np.ndarray | None = None):
        """`step` over `ids`, keeping everything: (final state, logits (T, V), activations (T, ...))."""
        state = self.initial_state() if state is None else state
        logits = np.empty((len(ids), self.config.vocab_size), dtype=np.float32)
        c = self.config
        acts = np.empty((len(ids), c.layers, len(c.quantities), c.hidden), dtype=np.float32)
        for t, i in enumerate(ids):
            state, logits[t], acts[t] = self.step(state, int(i))
        return state, logits, acts

    # -- a whole text, teacher-forced ----------------------------------------------

    def forward(self, ids: np.ndarray, state: np.ndarray | None = None, capture: bool = False):
        """Teacher-forced run over `ids` of shape (T,) or (B, T): B independent streams.

        One layer at a time: each layer's input projection for the whole text is
        one matrix product and only the recurrence loops; with B streams every
        step is a matrix-matrix product instead of a matrix-vector one. Returns
        (final state, logits (..., T, V), activations (..., T, layers,
        quantities, hidden) if `capture` else None). Agrees with `step` to
        rounding, not bit for bit.
        """
        c = self.config
        H = c.hidden
        ids = np.asarray(ids, dtype=np.int64)
        single = ids.ndim == 1
        ids = ids[None] if single else ids
        B, T = ids.shape
        if state is None:
            state = np.zeros((B, c.layers, c.state_size, H), dtype=np.float32)
        else:
            state = (state[None] if single else state).copy()
        acts = np.empty((B, T, c.layers, len(c.quantities), H), dtype=np.float32) if capture else None
        x = None
        for k in range(c.layers):
            if k == 0:
                xp = self.input_table[ids]  # (B, T, G)
            else:
                xp = x @ self.w_ih[k]
                xp += self.bias[k]
            out = np.empty((B, T, H), dtype=np.float32)
            w = self.w_hh[k]
            h = state[:, k, 0].copy()
            if c.cell == "lstm":
                cc = state[:, k, 1].copy()
                g = np.empty((B, 4 * H), dtype=np.float32)
                for t in range(T):
                    pre = h @ w
                    pre += xp[:, t]
                    sigmoid(pre, out=g)
                    gg = np.tanh(pre[:, 2 * H : 3 * H])
                    cc *= g[:, H : 2 * H]
                    cc += g[:, :H] * gg
                    h = np.tanh(cc)
                    h *= g[:, 3 * H :]
                    out[:, t] = h
                    if capture:
                        a = acts[:, t, k]
                        a[:, 0:4] = g.reshape(B, 4, H)
                        a[:, 2] = gg
                        a[:, 4] = cc
                        a[:, 5] = h
                state[:, k, 1] = cc
            elif c.cell == "gru":
                b_hn = self.b_hn[k]
                for t in range(T):
                    gh = h @ w
                    rz = sigmoid(xp[:, t, : 2 * H] + gh[:, : 2 * H])
                    gh_n = gh[:, 2 * H :]
                    gh_n += b_hn
                    gh_n *= rz[:, :H]
                    gh_n += xp[:, t, 2 * H :]
                    n = np.tanh(gh_n)
                    h = h - n
                    h *= rz[:, H:]
                    h += n
                    out[:, t] = h
                    if capture:
                        a = acts[:, t, k]
                        a[:, 0:2] = rz.reshape(B, 2, H)
                        a[:, 2] = n
                        a[:, 3] = h
            else:
                for t in range(T):
                    pre = h @ w
                    pre += xp[:, t]
                    h = np.tanh(pre)
                    out[:, t] = h
                    if capture:
                        acts[:, t, k, 0] = h
            state[:, k, 0] = h
            x = out
        logits = x @ self.head_w
        logits += self.head_b
        if single:
            return state[0], logits[0], None if acts is None else acts[0]
        return state, logits, acts

    def nll(self, ids: np.ndarray, streams: int = 16, chunk: int = 4096) -> float:
        """Mean negative log-likelihood (nats/char) of ids[1:] given the characters before.

        The text is cut into `streams` contiguous pieces run side by side, each
        from a zero state, as validation is done in training; `streams=1` is the
        exact single-stream figure, several times slower on a CPU.
        """
        ids = np.asarray(ids, dtype=np.int64)
        n = (len(ids) - 1) // streams
        if n < 1:
            streams, n = 1, len(ids) - 1
        if n < 1:
            raise ValueError("need at least two characters to score")
        inp = ids[: streams * n].reshape(streams, n)
        tgt = ids[1 : streams * n + 1].reshape(streams, n)
        total, state = 0.0, None
        for start in range(0, n, chunk):
            state, logits, _ = self.forward(inp[:, start : start + chunk], state)
            total += _cross_entropy_sum(logits, tgt[:, start : start + chunk])
        return total / (streams * n)


def _cross_entropy_sum(logits: np.ndarray, targets: np.ndarray) -> float:
    logits = logits.reshape(-1, logits.shape[-1]).astype(np.float64)
    targets = targets.reshape(-1)
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return float((lse - logits[np.arange(len(targets)), targets]).sum())
