"""The model interface, and the character model that stacks one recurrent cell type.

The interface the viewer, the analyses and the commands rely on (a transformer
fits it too: extend it here, never with special cases elsewhere):

- `config`: a `Config`: layers, hidden (units per layer), vocab_size, and
  `quantities`, the named per-layer quantities a step produces (an LSTM's
  i, f, g, o, c, h); `config.kind` says what each one is (see `cells.base`).
- `initial_state()`: the state before the first character, an array
  (layers, state vectors, hidden); the viewer's timeline stores it, so a state
  restored from a snapshot continues exactly.
- `step(state, char_id)` → (new state, logits (V,), activations
  (layers, quantities, hidden)): one character, every quantity kept.
- `forward(ids, state, capture)`: the same over a whole text, (B, T) streams
  side by side, teacher-forced; `nll` scores a text with it.
- `clamp` / `with_clamp(...)`: units held at chosen values while it runs.

This module's `Model` is PyTorch's layout and gate order, so that a model trained
with `torch.nn.RNN/GRU/LSTM` runs here unchanged (the tests check it against
torch). The first layer's input is a character, so its input projection
(one-hot or embedding, times W_ih, plus biases) is a table lookup, computed
once at load.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ..pieces import SCORE_PIECES, SCORE_WARMUP, layout
from .base import Cell, Clamp, Hold, as_streams, holder, no_clamp
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

    def transposed_weights(self) -> list[str]:
        """The weights a Model multiplies by on the right: it keeps them transposed and contiguous. A loader
        that hands them over as views of such copies (checkpoint.load does) saves the Model a copy of each:
        the weights are then held once, not twice."""
        return ([f"rnn.weight_hh_l{k}" for k in range(self.layers)]
                + [f"rnn.weight_ih_l{k}" for k in range(1, self.layers)] + ["head.weight"])


# A teacher-forced run goes layer by layer through blocks of about this many (stream, step) rows:
# enough for an efficient input projection, few enough that a block's arrays stay in cache (on 16
# streams, 1 thread, 40k characters: 47-50 k chars/s in blocks against 36-43 k without).
BLOCK_ROWS = 4096


class Model:
    """A character model: one `step` per character, or `forward` over a whole text. Both run the
    cell's `equations`, one layer at a time.

    `clamp` pins units while the model runs: {layer: {quantity: (units, values)}}
    (see `base.holder`); None runs the model as trained.
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
    reads_long_texts_in_pieces = True  # one stream is a step a character: pieces side by side score faster

    def with_clamp(self, clamp: dict[int, Clamp] | None) -> Model:
        """The same weights (shared, not copied) under another clamp: each thread or timeline
        position can run its own without changing this one's."""
        other = copy.copy(self)
        other.clamp = clamp
        return other

    def _hold(self, layer: int) -> Hold:
        return holder(self.clamp.get(layer)) if self.clamp else no_clamp

    def _projections(self, layer: int, x: np.ndarray, h_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(xp, hp) of one step: the layer's input and recurrent projections, biases split as the cell says."""
        xp = x @ self.w_ih[layer] + self.input_bias[layer] if layer else x
        hp = h_prev @ self.w_hh[layer]
        if self.hh_bias[layer] is not None:
            hp += self.hh_bias[layer]
        return xp, hp

    # -- one character -------------------------------------------------------------

    def initial_state(self) -> np.ndarray:
        c = self.config
        return np.zeros((c.layers, c.state_size, c.hidden), dtype=np.float32)

    def step(self, state: np.ndarray, char_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Feed one character. Returns (new state, logits, activations).

        activations: (layers, len(quantities), hidden) in the order of
        `config.quantities`; state: (layers, state_size, hidden), in the order of `cell.state`.
        """
        c = self.config
        acts = np.empty((c.layers, len(c.quantities), c.hidden), dtype=np.float32)
        x = self.input_table[char_id]
        for k in range(c.layers):
            xp, hp = self._projections(k, x, state[k, 0])
            acts[k] = self.cell.equations(xp, hp, tuple(state[k]), self._hold(k))
            x = acts[k, -1]  # h, every cell's last quantity, is the next layer's input
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

    def forward(self, ids: np.ndarray, state: np.ndarray | None = None, capture: bool = False,
                out: np.ndarray | None = None):
        """Teacher-forced run over `ids` of shape (T,) or (B, T): B independent streams.

        Time goes in blocks (BLOCK_ROWS), and within a block one layer at a
        time: each layer's input projection for the block is one matrix product
        and only the recurrence loops; with B streams every step is a
        matrix-matrix product instead of a matrix-vector one. Blocks keep every
        intermediate array in cache, whatever the length of the text. Returns
        (final state, logits (..., T, V), activations (..., T, layers,
        quantities, hidden) if `capture` else None). Agrees with `step` to
        rounding, not bit for bit. `out`, if given, receives the activations
        (a caller that runs chunk after chunk reuses one array: a fresh one
        costs its pages' first touch).
        """
        c = self.config
        ids, single = as_streams(ids)
        B, T = ids.shape
        if state is None:
            state = np.zeros((B, c.layers, c.state_size, c.hidden), dtype=np.float32)
        else:
            state = (state[None] if single else state).copy()
        acts = None
        if capture:
            acts = out if out is not None else np.empty((B, T, c.layers, len(c.quantities), c.hidden), np.float32)
        logits = np.empty((B, T, c.vocab_size), dtype=np.float32)
        block = max(1, BLOCK_ROWS // B)
        for t0 in range(0, T, block):
            t1 = min(T, t0 + block)
            x = self.input_table[ids[:, t0:t1]]  # (B, t, G): the first layer's input projection, looked up
            for k in range(c.layers):
                if k:  # one product over all the block's rows, not one per stream
                    x = (x.reshape(-1, c.hidden) @ self.w_ih[k]).reshape(B, t1 - t0, -1)
                    x += self.input_bias[k]
                x = self._scan(k, x, state[:, k], None if acts is None else acts[:, t0:t1, k])
            logits[:, t0:t1] = (x.reshape(-1, c.hidden) @ self.head_w).reshape(B, t1 - t0, -1)
            logits[:, t0:t1] += self.head_b
        if single:
            return state[0], logits[0], None if acts is None else acts[0]
        return state, logits, acts

    def _scan(self, layer: int, xp: np.ndarray, state: np.ndarray, acts: np.ndarray | None) -> np.ndarray:
        """One layer over T steps of B streams: xp (B, T, G); state (B, S, H), updated in place;
        acts (B, T, Q, H) written if given. Returns the layer's h, (B, T, H)."""
        B, T, _ = xp.shape
        equations, hold, w_hh, b_hh = self.cell.equations, self._hold(layer), self.w_hh[layer], self.hh_bias[layer]
        rows = self._state_rows
        out = np.empty((B, T, self.config.hidden), dtype=np.float32)
        s = tuple(state[:, j].copy() for j in range(len(rows)))
        for t in range(T):
            hp = recurrent(s[0], w_hh)
            if b_hh is not None:
                hp += b_hh
            q = equations(xp[:, t], hp, s, hold)
            out[:, t] = q[-1]
            if acts is not None:
                at = acts[:, t]
                for j, v in enumerate(q):  # np.stack costs 7 µs a call, more than the values on one stream
                    at[:, j] = v
            s = tuple(q[j] for j in rows)
        for j, v in enumerate(s):
            state[:, j] = v
        return out

    def nll(self, ids: np.ndarray, streams: int = SCORE_PIECES, warmup: int = SCORE_WARMUP) -> float:
        """Mean negative log-likelihood (nats/char) of ids[1:] given the characters before.

        The text is read as up to `streams` pieces side by side, each after
        `warmup` characters (core/pieces.py); `streams=1` is the exact
        single-stream figure, about twice as slow on a CPU.
        """
        return streamed_nll(self.forward, ids, streams, warmup)


def recurrent(h: np.ndarray, w: np.ndarray) -> np.ndarray:
    """h (B, H) @ w (H, G), a fresh array. For 2 to 6 streams, one vector product a row: OpenBLAS's matrix
    product cost more than that many vector products there (256 × 1,024 weights, one thread: 2 rows 65 µs
    against 23, 3 rows 91 against 34, 6 rows 84 against 69), and less from 8 rows on."""
    if 1 < len(h) <= 6:
        out = np.empty((len(h), w.shape[1]), np.float32)
        for b, row in enumerate(h):
            np.matmul(row, w, out=out[b])
        return out
    return h @ w


# Rows (stream × step) of logits a scoring pass holds at a time: 22 MB of float32 for 84 characters.
NLL_ROWS = 65536


def streamed_nll(forward, ids: np.ndarray, streams: int, warmup: int) -> float:
    """Mean negative log-likelihood of ids[1:], the text read as `pieces.layout` cuts it (at most `streams`
    pieces, each after `warmup` characters that are not scored) through `forward(ids, state) -> (state,
    logits, _)`, a chunk of steps at a time. Any model's `nll`."""
    ids = np.asarray(ids, dtype=np.int64)
    T = len(ids) - 1  # characters predicted: each from the ones before it
    if T < 1:
        raise ValueError("need at least two characters to score")
    lay = layout(T, streams, warmup)
    inp, tgt = ids[lay.pos], ids[lay.pos + 1]
    chunk = max(1, NLL_ROWS // lay.streams)
    total, state = 0.0, None
    for t0 in range(0, lay.span, chunk):
        t1 = t0 + chunk
        state, logits, _ = forward(inp[:, t0:t1], state)
        keep = lay.keep[:, t0:t1]
        total += cross_entropy_sum(logits[keep], tgt[:, t0:t1][keep])
    return total / T


def cross_entropy_sum(logits: np.ndarray, targets: np.ndarray) -> float:
    logits = logits.reshape(-1, logits.shape[-1]).astype(np.float64)
    targets = targets.reshape(-1)
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return float((lse - logits[np.arange(len(targets)), targets]).sum())
