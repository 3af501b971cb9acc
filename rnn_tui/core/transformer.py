"""A small decoder-only transformer over characters, in numpy, behind the same interface as the RNNs.

The equations of one block (pre-LayerNorm, as train/transformer.py trains it):

    a = W_o · attention(LN₁(x))          attention output (what the block adds to the residual stream)
    m = GELU(W_1 · LN₂(x + a) + b_1)     MLP hidden units (tanh form of GELU)
    x ← x + a + W_2 · m + b_2            residual stream after the block

a, m and x are the layer's three quantities, each as wide as the residual stream,
so the activations are one (layers, 3, width) array like an RNN's gates: the
heatmaps, finder, clamp and export take them with no special case.

The state is the window of characters the model reads, as a float32 vector
[±n, id₀, …, id_{n−1}, 0 …] of length context + 1 (all zeros: nothing read yet;
−n: the window began with a restart), so it stacks, copies and snapshots like
an RNN's state. The window grows to `context` characters; the next character
restarts it from the last `context // 2`, re-read in one batched pass, so a
step costs O(context) and a restart a pass over half a window.

The keys and values of a window are a memo, not part of the state, and a
window's rows are always computed the same way: a restarted window's first
`context // 2` rows by one batched pass, every other row by the one-position
code path of `step` from the rows before it. So a row has the same bits however
it was reached (stepped, replayed after a rewind, rebuilt from a snapshot), and
rewind and replay are exact.
`forward` reads whole windows in batched passes and agrees with `step` to
rounding, as an RNN's `forward` does.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass

import numpy as np

from .cells.base import Cell, Clamp, Explained, Parts, as_streams, holder
from .pieces import SCORE_WARMUP

LN_EPS = 1e-5
_GELU_C = np.float32(np.sqrt(2.0 / np.pi))


@dataclass(frozen=True)
class TransformerConfig:
    cell: str
    layers: int
    hidden: int  # width of the residual stream, the attention output and the MLP
    vocab_size: int
    heads: int
    context: int

    @property
    def kind(self) -> Cell:
        return TRANSFORMER

    @property
    def embed_dim(self) -> int:
        return self.hidden

    @property
    def input_size(self) -> int:
        return self.hidden

    @property
    def label(self) -> str:
        return f"Transformer {self.layers}×{self.hidden}"

    @property
    def quantities(self) -> tuple[str, ...]:
        return TRANSFORMER.quantities

    @property
    def state_size(self) -> int:
        return 1

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Every tensor a checkpoint holds, under train/transformer.py's state_dict names."""
        D, V = self.hidden, self.vocab_size
        shapes: dict[str, tuple[int, ...]] = {"tok.weight": (V, D), "pos.weight": (self.context, D)}
        for k in range(self.layers):
            b = f"blocks.{k}."
            shapes.update({
                b + "ln1.weight": (D,), b + "ln1.bias": (D,),
                b + "attn.qkv.weight": (3 * D, D), b + "attn.qkv.bias": (3 * D,),
                b + "attn.proj.weight": (D, D), b + "attn.proj.bias": (D,),
                b + "ln2.weight": (D,), b + "ln2.bias": (D,),
                b + "mlp.fc.weight": (D, D), b + "mlp.fc.bias": (D,),
                b + "mlp.proj.weight": (D, D), b + "mlp.proj.bias": (D,),
            })
        shapes.update({"ln_f.weight": (D,), "ln_f.bias": (D,), "head.weight": (V, D), "head.bias": (V,)})
        return shapes

    def parameters(self) -> int:
        return sum(int(np.prod(s)) for s in self.shapes().values())

    def transposed_weights(self) -> list[str]:
        """The matrices the transformer multiplies by on the right (see cells.model.Config.transposed_weights)."""
        blocks = [f"blocks.{k}.{name}.weight" for k in range(self.layers)
                  for name in ("attn.qkv", "attn.proj", "mlp.fc", "mlp.proj")]
        return [*blocks, "head.weight"]

    def build(self, tensors: dict[str, np.ndarray]) -> Transformer:
        return Transformer(self, tensors)


class TransformerKind(Cell):
    """What a transformer block is, in the terms the viewer uses for a cell."""

    name = "transformer"
    torch_name = "Transformer"
    quantities = ("a", "m", "x")
    signed = frozenset({"a", "m", "x"})
    unbounded = frozenset({"a", "m", "x"})
    gates = 0
    state = ()
    descriptions = {
        "a": "attention output: what the heads read from the window, added to the residual stream",
        "m": "MLP hidden units, GELU (unbounded; coloured on each unit's own range)",
        "x": "residual stream after the block (unbounded; coloured on each unit's own range)",
    }
    titles = {"a": "attention", "m": "MLP", "x": "residual"}
    marker = ("T", "#f0e442")

    def equations(self, xp, hp, state, hold) -> tuple[np.ndarray, ...]:  # pragma: no cover
        raise TypeError("a transformer block is run by Transformer, not as a recurrent cell")

    def explain(self, q, parts: Parts, clamped: frozenset[str]) -> Explained:  # pragma: no cover
        raise TypeError("a transformer's step is shown by its attention panel, not as gate equations")


TRANSFORMER = TransformerKind()


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = x.mean(axis=-1, keepdims=True)
    d = x - mu
    var = (d * d).mean(axis=-1, keepdims=True)
    return d / np.sqrt(var + np.float32(LN_EPS)) * w + b


def gelu(x: np.ndarray) -> np.ndarray:
    return np.float32(0.5) * x * (np.float32(1.0) + np.tanh(_GELU_C * (x + np.float32(0.044715) * x * x * x)))


def window_of(state: np.ndarray) -> np.ndarray:
    """The character ids a state holds, oldest first."""
    n = abs(int(state[0]))
    return state[1 : 1 + n].astype(np.int64)


def restarted(state: np.ndarray) -> bool:
    """Did the state's window begin with a restart (its first rows read in one batched pass)?"""
    return bool(state[0] < 0)


def _layer_norm_1d(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`layer_norm` of one vector, without the reductions' per-call overhead (the step's hot path)."""
    d = x - np.float32(x.sum() / x.size)
    var = np.float32(np.dot(d, d) / x.size)
    return d * (np.float32(1.0) / np.sqrt(var + np.float32(LN_EPS))) * w + b


def _after_attention(blk: dict, x: np.ndarray, y: np.ndarray, hold, norm) -> tuple[np.ndarray, ...]:
    """The rest of a block once its heads have read (`y`): the attention output a, the MLP's units m and the
    residual stream x, each through the clamp hook; the same for one step and for a batched pass."""
    a = hold("a", y @ blk["proj"][0] + blk["proj"][1])
    x = x + a
    m = hold("m", gelu(norm(x, *blk["ln2"]) @ blk["fc"][0] + blk["fc"][1]))
    x = hold("x", x + (m @ blk["out"][0] + blk["out"][1]))
    return a, m, x


def restart_start(t: int, context: int) -> int:
    """Where the window that predicts after position t (counted from a window's start) begins."""
    if t < context:
        return 0
    half = context // 2
    return half * -(-(t - context + 1) // half)


class _Cache:
    """Keys and values of one window's rows, filled in order; rows once written never change.

    Laid out (layers, heads, context, head width), so that a head's keys are one contiguous matrix."""

    def __init__(self, layers: int, heads: int, context: int, head_dim: int, restarted: bool = False):
        self.restarted = restarted
        self.ids = np.full(context, -1, dtype=np.int64)
        self.k = np.zeros((layers, heads, context, head_dim), dtype=np.float32)
        self.v = np.zeros((layers, heads, context, head_dim), dtype=np.float32)
        self.filled = 0

    def serves(self, window: np.ndarray, restarted: bool) -> bool:
        n = len(window)
        return self.restarted == restarted and self.filled >= n and np.array_equal(self.ids[:n], window)

    def copy_prefix(self, n: int) -> _Cache:
        L, H, C, dh = self.k.shape
        other = _Cache(L, H, C, dh, self.restarted)
        other.ids[:n], other.filled = self.ids[:n], n
        other.k[:, :, :n], other.v[:, :, :n] = self.k[:, :, :n], self.v[:, :, :n]
        return other


class Transformer:
    """The transformer behind `Model`'s interface: `step`, `forward`, `nll`, `with_clamp`, `initial_state`."""

    MEMO = 6  # windows whose keys and values are kept (1.5 MB each for 4 layers × 184, context 256)
    rebuilds_state_from_acts = False  # the state is the window, not a function of one step's activations
    # one stream is already read a window of characters per batched pass: the held-out 5 % scored exactly
    # in 16.9 s, as 64 pieces in 21.9 s (1.3690 against 1.3692 nats/char)
    reads_long_texts_in_pieces = False

    def __init__(self, config: TransformerConfig, tensors: dict[str, np.ndarray]):
        self.config = c = config
        self.cell = TRANSFORMER
        t = {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}
        self.tensors = t
        self.tok, self.pos = t["tok.weight"], t["pos.weight"]
        self.input_table = self.tok  # what the checkpoint's probe checks for overflow
        self.blocks = []
        for k in range(c.layers):
            g = {name.split(".", 2)[2]: v for name, v in t.items() if name.startswith(f"blocks.{k}.")}
            self.blocks.append({
                "ln1": (g["ln1.weight"], g["ln1.bias"]), "ln2": (g["ln2.weight"], g["ln2.bias"]),
                "qkv": (np.ascontiguousarray(g["attn.qkv.weight"].T), g["attn.qkv.bias"]),
                "proj": (np.ascontiguousarray(g["attn.proj.weight"].T), g["attn.proj.bias"]),
                "fc": (np.ascontiguousarray(g["mlp.fc.weight"].T), g["mlp.fc.bias"]),
                "out": (np.ascontiguousarray(g["mlp.proj.weight"].T), g["mlp.proj.bias"]),
            })
        self.ln_f = (t["ln_f.weight"], t["ln_f.bias"])
        self.head_w, self.head_b = np.ascontiguousarray(t["head.weight"].T), t["head.bias"]
        self.scale = np.float32(1.0 / np.sqrt(c.head_dim))
        self.clamp: dict[int, Clamp] | None = None
        self._memo: list[_Cache] = []
        self._lock = threading.Lock()

    def with_clamp(self, clamp: dict[int, Clamp] | None) -> Transformer:
        """The same weights under another clamp, with a memo of its own (a clamp changes every key)."""
        other = copy.copy(self)
        other.clamp = clamp
        other._memo, other._lock = [], threading.Lock()
        return other

    def initial_state(self) -> np.ndarray:
        return np.zeros(self.config.context + 1, dtype=np.float32)

    def state_of(self, window: np.ndarray, restarted: bool = False) -> np.ndarray:
        s = self.initial_state()
        s[0] = -len(window) if restarted else len(window)
        s[1 : 1 + len(window)] = window
        return s

    # -- one character, with the key/value memo --------------------------------------

    def step(self, state: np.ndarray, char_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Feed one character. Returns (new state, logits, activations (layers, 3, width))."""
        window, again = window_of(state), restarted(state)
        if len(window) == self.config.context:
            window, again = window[self.config.context // 2 :], True
        with self._lock:
            cache = self._cache_for(window, again)
            n = len(window)
            if cache.filled > n and cache.ids[n] != char_id:
                cache = self._remember(cache.copy_prefix(n))
            logits, acts, _ = self._one(cache, n, char_id)
            cache.ids[n] = char_id
            cache.filled = max(cache.filled, n + 1)
        return self.state_of(np.append(window, char_id), again), logits, acts

    def window(self, state: np.ndarray) -> np.ndarray:
        """The characters a state holds (what `attention` weighs), oldest first."""
        return window_of(state)

    def attention(self, state: np.ndarray) -> np.ndarray:
        """What each head read at the step that reached `state`: (layers, heads, n) weights over the window,
        oldest character first (empty before the first character)."""
        window = window_of(state)
        c = self.config
        if len(window) == 0:
            return np.zeros((c.layers, c.heads, 0), dtype=np.float32)
        with self._lock:
            cache = self._cache_for(window, restarted(state))
            _, _, att = self._one(cache, len(window) - 1, int(window[-1]), write=False)
        return att

    def _cache_for(self, window: np.ndarray, again: bool) -> _Cache:
        for cache in self._memo:
            if cache.serves(window, again):
                self._memo.remove(cache)
                self._memo.insert(0, cache)
                return cache
        c = self.config
        cache = self._remember(_Cache(c.layers, c.heads, c.context, c.head_dim, again))
        first = min(len(window), c.context // 2) if again else 0
        if first:  # a restart's re-read: one batched pass, as when the window restarted
            _, _, (kk, vv) = self.window_pass(window[None, :first], keep_kv=True)
            cache.k[:, :, :first] = kk[:, 0].reshape(c.layers, first, c.heads, c.head_dim).transpose(0, 2, 1, 3)
            cache.v[:, :, :first] = vv[:, 0].reshape(c.layers, first, c.heads, c.head_dim).transpose(0, 2, 1, 3)
            cache.ids[:first], cache.filled = window[:first], first
        for p in range(first, len(window)):  # the same code path as stepping, so the same bits
            self._one(cache, p, int(window[p]))
            cache.ids[p] = window[p]
            cache.filled = p + 1
        return cache

    def _remember(self, cache: _Cache) -> _Cache:
        self._memo.insert(0, cache)
        del self._memo[self.MEMO :]
        return cache

    def _one(self, cache: _Cache, p: int, char_id: int, write: bool = True):
        """Position p of the window from rows [0, p) of `cache`, writing row p; with `write` False, row p
        must already be there (it is the same computation, so the same bits)."""
        c = self.config
        H, dh, D = c.heads, c.head_dim, c.hidden
        acts = np.empty((c.layers, 3, D), dtype=np.float32)
        att = np.empty((c.layers, H, p + 1), dtype=np.float32)
        x = self.tok[char_id] + self.pos[p]
        for k, blk in enumerate(self.blocks):
            hold = holder(self.clamp.get(k) if self.clamp else None)
            qkv = _layer_norm_1d(x, *blk["ln1"]) @ blk["qkv"][0] + blk["qkv"][1]
            K, V = cache.k[k, :, : p + 1], cache.v[k, :, : p + 1]  # (H, p + 1, dh)
            if write:
                K[:, p], V[:, p] = qkv[D : 2 * D].reshape(H, dh), qkv[2 * D :].reshape(H, dh)
            s = (K @ qkv[:D].reshape(H, dh, 1))[:, :, 0] * self.scale  # (H, p + 1)
            s = np.exp(s - s.max(axis=1, keepdims=True))
            w = s / s.sum(axis=1, keepdims=True)
            att[k] = w
            y = (w[:, None, :] @ V).reshape(D)
            a, m, x = _after_attention(blk, x, y, hold, _layer_norm_1d)
            acts[k] = a, m, x
        logits = _layer_norm_1d(x, *self.ln_f) @ self.head_w + self.head_b
        return logits, acts, att

    def state_from_acts(self, acts: np.ndarray) -> np.ndarray:
        raise TypeError("a transformer's state is its window, not one step's activations")

    def run(self, ids, state: np.ndarray | None = None):
        """`step` over `ids`, keeping everything: (final state, logits (T, V), activations (T, ...))."""
        state = self.initial_state() if state is None else state
        c = self.config
        logits = np.empty((len(ids), c.vocab_size), dtype=np.float32)
        acts = np.empty((len(ids), c.layers, 3, c.hidden), dtype=np.float32)
        for t, i in enumerate(ids):
            state, logits[t], acts[t] = self.step(state, int(i))
        return state, logits, acts

    # -- whole windows, batched ------------------------------------------------------

    def window_pass(self, ids: np.ndarray, capture: bool = False, prefix: tuple[np.ndarray, np.ndarray] | None = None,
                    keep_kv: bool = False):
        """ids (B, T) read at window positions P..P+T−1 after a shared prefix of P rows (keys, values:
        (layers, P, width) each; None: P = 0), causally. Returns (logits (B, T, V), activations
        (B, T, layers, 3, width) or None, the new rows' keys and values (layers, B, T, width) or None)."""
        c = self.config
        B, T = ids.shape
        P = 0 if prefix is None else prefix[0].shape[1]
        H, dh, D = c.heads, c.head_dim, c.hidden
        acts = np.empty((B, T, c.layers, 3, D), dtype=np.float32) if capture else None
        kv = (np.empty((c.layers, B, T, D), np.float32), np.empty((c.layers, B, T, D), np.float32)) if keep_kv else None
        x = self.tok[ids] + self.pos[P : P + T]
        mask = np.triu(np.full((T, T), -np.inf, dtype=np.float32), 1)
        for k, blk in enumerate(self.blocks):
            hold = holder(self.clamp.get(k) if self.clamp else None)
            qkv = layer_norm(x, *blk["ln1"]) @ blk["qkv"][0] + blk["qkv"][1]
            q, kk, vv = (qkv[..., j * D : (j + 1) * D] for j in range(3))
            if kv is not None:
                kv[0][k], kv[1][k] = kk, vv
            qh = q.reshape(B, T, H, dh).transpose(0, 2, 1, 3)
            kh = kk.reshape(B, T, H, dh).transpose(0, 2, 1, 3)
            vh = vv.reshape(B, T, H, dh).transpose(0, 2, 1, 3)
            s = qh @ kh.transpose(0, 1, 3, 2) * self.scale + mask  # (B, H, T, T)
            if P:
                pk = prefix[0][k].reshape(P, H, dh).transpose(1, 0, 2)  # (H, P, dh)
                pv = prefix[1][k].reshape(P, H, dh).transpose(1, 0, 2)
                s = np.concatenate([qh @ pk.transpose(0, 2, 1)[None] * self.scale, s], axis=-1)
                vh = np.concatenate([np.broadcast_to(pv[None], (B, H, P, dh)), vh], axis=2)
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            s /= s.sum(axis=-1, keepdims=True)
            y = (s @ vh).transpose(0, 2, 1, 3).reshape(B, T, D)
            a, m, x = _after_attention(blk, x, y, hold, layer_norm)
            if acts is not None:
                acts[:, :, k, 0], acts[:, :, k, 1], acts[:, :, k, 2] = a, m, x
        logits = layer_norm(x, *self.ln_f) @ self.head_w + self.head_b
        return logits, acts, kv

    def forward(self, ids: np.ndarray, state: np.ndarray | None = None, capture: bool = False,
                out: np.ndarray | None = None):
        """Teacher-forced run over `ids` (T,) or (B, T) from `state` (each stream's window), by the window
        rule: each window is one batched causal pass. Returns (final state, logits (..., T, V),
        activations (..., T, layers, 3, width) if `capture` else None, written into `out` if given), as
        `Model.forward`."""
        c = self.config
        ids, single = as_streams(ids)
        B, T = ids.shape
        if state is None:
            states = np.zeros((B, c.context + 1), np.float32)
        else:
            states = np.asarray(state, np.float32).reshape(B, c.context + 1)
        logits = np.empty((B, T, c.vocab_size), dtype=np.float32)
        acts = None
        if capture:
            acts = out if out is not None else np.empty((B, T, c.layers, 3, c.hidden), dtype=np.float32)
        final = np.empty((B, c.context + 1), dtype=np.float32)
        lengths = np.abs(states[:, 0]).astype(np.int64)
        for n0 in np.unique(lengths):  # streams whose windows have one length share one schedule
            rows = np.nonzero(lengths == n0)[0]
            for r0 in range(0, len(rows), 32):
                r = rows[r0 : r0 + 32]
                seq = np.concatenate([states[r, 1 : 1 + n0].astype(np.int64), ids[r]], axis=1)
                for start, stop, first in self._passes(int(n0), seq.shape[1]):
                    lg, ac, _ = self.window_pass(seq[:, start:stop], capture)
                    cols = slice(first - n0, stop - n0)  # not `out`: that is the caller's activations array
                    logits[r, cols] = lg[:, first - start :]
                    if capture:
                        acts[r, cols] = ac[:, first - start :]
                begin = restart_start(seq.shape[1] - 1, c.context) if T else 0
                for j, row in enumerate(r):
                    final[row] = self.state_of(seq[j, begin:], begin > 0 or restarted(states[row]))
        if single:
            return final[0], logits[0], None if acts is None else acts[0]
        return final, logits, acts

    def _passes(self, n0: int, n: int) -> list[tuple[int, int, int]]:
        """(start, stop, first new position) of each window pass over positions [n0, n) of a sequence
        whose window starts at 0."""
        out, t = [], n0
        while t < n:
            start = restart_start(t, self.config.context)
            stop = min(n, start + self.config.context)
            out.append((start, stop, t))
            t = stop
        return out

    def nll(self, ids: np.ndarray, streams: int = 1, warmup: int = SCORE_WARMUP) -> float:
        """Mean negative log-likelihood (nats/char) of ids[1:], as `Model.nll` (same pieces, same rule); by
        default exact, as one stream (see `reads_long_texts_in_pieces`)."""
        from .cells.model import streamed_nll

        return streamed_nll(self.forward, ids, streams, warmup)

    # -- memory span: rerun only what a replaced character changes ------------------------

    def replaced_logits(self, ids: np.ndarray, positions: np.ndarray, lags: np.ndarray, repl: np.ndarray,
                        state: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Logits after each of `positions` with the character `lag` back (lag 1: the one just read)
        replaced by each of repl[p, j, :]: (P, K, R, V), and unreplaced: (P, V).

        The rows before a replaced character do not change, so each rerun reads only the characters
        from it to the position, after the window's unchanged keys and values; a character outside the
        window changes nothing."""
        c = self.config
        ids = np.asarray(ids, dtype=np.int64)
        s0 = self.initial_state() if state is None else np.asarray(state, np.float32)
        head = window_of(s0)
        seq = np.concatenate([head, ids])
        P, K, R = repl.shape
        out = np.empty((P, K, R, c.vocab_size), dtype=np.float32)
        base = np.empty((P, c.vocab_size), dtype=np.float32)
        for i, t in enumerate(np.asarray(positions, dtype=np.int64) + len(head)):
            start = restart_start(int(t), c.context)
            win = seq[start : t + 1]
            lg, _, (kk, vv) = self.window_pass(win[None], keep_kv=True)
            base[i] = lg[0, -1]
            n = len(win)
            for j, lag in enumerate(lags):
                lag = int(lag)
                if lag > n:
                    out[i, j] = base[i]
                    continue
                runs = np.broadcast_to(win[n - lag :], (R, lag)).copy()
                runs[:, 0] = repl[i, j]
                lg, _, _ = self.window_pass(runs, prefix=(kk[:, 0, : n - lag], vv[:, 0, : n - lag]))
                out[i, j] = lg[:, -1]
        return out, base
