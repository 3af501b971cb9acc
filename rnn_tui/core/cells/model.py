"""A character model: a stack of one cell type between a character input and a linear head.

PyTorch's tensor names and gate order, so that a model trained with
`torch.nn.RNN/GRU/LSTM` runs here unchanged (the tests check it against torch).
The first layer's input is a character, so its input projection (one-hot or
embedding, times W_ih, plus biases) is a table lookup, computed once at load.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .base import Cell, Clamp
from .registry import CELLS


@dataclass(frozen=True)
class Config:
    cell: str
    layers: int
    hidden: int
    vocab_size: int
    embed_dim: int | None = None  # None: one-hot input

    @property
    def kind(self) -> Cell:
        return CELLS[self.cell]

    @property
    def label(self) -> str:
        """How the project names an architecture everywhere: "LSTM 2×256"."""
        return f"{self.kind.torch_name} {self.layers}×{self.hidden}"

    @property
    def input_size(self) -> int:
        return self.embed_dim if self.embed_dim else self.vocab_size

    @property
    def quantities(self) -> tuple[str, ...]:
        return self.kind.quantities

    @property
    def state_size(self) -> int:
        """Vectors of state per layer: h, and c for an LSTM."""
        return len(self.kind.state)

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Every tensor a checkpoint of this configuration holds, with torch's names."""
        g = self.kind.gates * self.hidden
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

    def build(self, tensors: dict[str, np.ndarray]) -> Model:
        """The model this configuration describes, on these weights (a transformer's config builds its own)."""
        return Model(self, tensors)


class Model:
    """A character model: one `step` per character, or `forward` over a whole text.

    `clamp` pins units while the model runs: {layer: {quantity: (units, values)}}
    (see `base.pin`); None runs the model as trained.
    """

    def __init__(self, config: Config, tensors: dict[str, np.ndarray]):
        self.config = c = config
        self.cell = cell = c.kind
        t = {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}
        self.tensors = t
        input_bias, self.hh_bias = [], []
        for k in range(c.layers):
            b_in, b_hh = cell.split_bias(t[f"rnn.bias_ih_l{k}"], t[f"rnn.bias_hh_l{k}"])
            input_bias.append(b_in)
            self.hh_bias.append(b_hh)
        w0 = t["rnn.weight_ih_l0"]
        x0 = t["embed.weight"] @ w0.T if c.embed_dim else w0.T
        self.input_table = np.ascontiguousarray(x0 + input_bias[0], dtype=np.float32)  # (V, G)
        self.w_hh = [np.ascontiguousarray(t[f"rnn.weight_hh_l{k}"].T) for k in range(c.layers)]  # (H, G)
        self.w_ih = [None] + [np.ascontiguousarray(t[f"rnn.weight_ih_l{k}"].T) for k in range(1, c.layers)]
        self.input_bias = input_bias
        self.head_w = np.ascontiguousarray(t["head.weight"].T)  # (H, V)
        self.head_b = t["head.bias"]
        self.clamp: dict[int, Clamp] | None = None
        self._state_rows = [c.quantities.index(n) for n in cell.state]  # where h (and c) sit in a layer's acts

    rebuilds_state_from_acts = True  # `state_from_acts` gives the state after a step; a transformer cannot

    def with_clamp(self, clamp: dict[int, Clamp] | None) -> Model:
        """The same weights (shared, not copied) under another clamp: each thread or timeline
        position can run its own without changing this one's."""
        other = copy.copy(self)
        other.clamp = clamp
        return other

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
        acts = np.empty((c.layers, len(c.quantities), c.hidden), dtype=np.float32)
        x = None
        for k in range(c.layers):
            xp = self.input_table[char_id] if k == 0 else x @ self.w_ih[k] + self.input_bias[k]
            hp = state[k, 0] @ self.w_hh[k]
            if self.hh_bias[k] is not None:
                hp += self.hh_bias[k]
            self.cell.step(xp, hp, state[k], acts[k], self.clamp.get(k) if self.clamp else None)
            x = acts[k, -1]  # h is every cell's last quantity
        logits = x @ self.head_w
        logits += self.head_b
        return self.state_from_acts(acts), logits, acts

    def state_from_acts(self, acts: np.ndarray) -> np.ndarray:
        """The state after a step, rebuilt exactly from that step's activations."""
        return np.ascontiguousarray(acts[:, self._state_rows])

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
        ids = np.asarray(ids, dtype=np.int64)
        single = ids.ndim == 1
        ids = ids[None] if single else ids
        B, T = ids.shape
        if state is None:
            state = np.zeros((B, c.layers, c.state_size, c.hidden), dtype=np.float32)
        else:
            state = (state[None] if single else state).copy()
        acts = np.empty((B, T, c.layers, len(c.quantities), c.hidden), dtype=np.float32) if capture else None
        x = None
        for k in range(c.layers):
            if k == 0:
                xp = self.input_table[ids]  # (B, T, G)
            else:
                xp = x @ self.w_ih[k]
                xp += self.input_bias[k]
            out = np.empty((B, T, c.hidden), dtype=np.float32)
            layer_state = state[:, k].copy()
            self.cell.scan(xp, self.w_hh[k], self.hh_bias[k], layer_state, out,
                           None if acts is None else acts[:, :, k], self.clamp.get(k) if self.clamp else None)
            state[:, k] = layer_state
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
            total += cross_entropy_sum(logits, tgt[:, start : start + chunk])
        return total / (streams * n)


def cross_entropy_sum(logits: np.ndarray, targets: np.ndarray) -> float:
    logits = logits.reshape(-1, logits.shape[-1]).astype(np.float64)
    targets = targets.reshape(-1)
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return float((lse - logits[np.arange(len(targets)), targets]).sum())
