"""How far back does the model remember? Perturb the input k steps back and rerun.

For a cursor position t (the model has just read the character at t and predicts
the one at t + 1), lag k names the character at t − k + 1: lag 1 is the one just
read, lag 2 the one before it, and so on. Replacing it and teacher-forcing the
original characters after it again gives another next-character distribution;
KL(p ‖ p_perturbed) in nats, averaged over a few replacements, is the influence
of lag k (Distill, "Visualizing memorization in RNNs", 2019, asks the same
question with gradients).

Why it is fast enough for the cursor (k = 1…200 in under a second on one core):
a rerun of lag k needs only k steps, and every rerun is one stream of a batched
`Model.forward`, so a step is one matrix-matrix product for all reruns rather
than a matrix-vector product each. Time runs from 200 characters back to the
cursor in segments; at the start of a segment the reruns of the next group of
lags join the batch, from the unperturbed state there, feeding the original
characters until their replaced one (a little wasted arithmetic, at most an
eighth of a lag, buys one rectangular batch per segment). The batch grows to
every rerun, which is also where BLAS is most efficient. The model's clamp, if
any, applies to every rerun, as `forward` consults it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core.cells import CELLS, Model
from ..core.checkpoint import Checkpoint, bundled_models, load

DEFAULT_MAX_LAG = 200
DEFAULT_REPLACEMENTS = 1
# a group of lags joins the batch at its longest lag; the others waste at most an eighth of it
GROUP_FRACTION = 8
# reruns per batch: a segment's projected inputs (B, T, gates·H) stay a few tens of MB
MAX_STREAMS = 512


@dataclass(frozen=True)
class SpanCurve:
    """Influence of each lag on the prediction at `positions`: kl[p, j] for lags[j] (nats)."""

    lags: np.ndarray  # (K,) int
    kl: np.ndarray  # (P, K) float64; NaN where no replacement differed from the original
    positions: np.ndarray  # (P,) the cursor positions
    requested_lag: int  # the largest lag asked for; lags stop earlier when the history is shorter

    @property
    def clipped(self) -> bool:
        return int(self.lags[-1]) < self.requested_lag if len(self.lags) else True

    def median(self) -> np.ndarray:
        """Median over positions, lag by lag (the curve to compare models by)."""
        return np.nanmedian(self.kl, axis=0) if len(self.kl) > 1 else self.kl[0]

    def span(self, threshold: float = 1e-3) -> int:
        """The largest lag whose (median) influence reaches `threshold` nats; 0 if none does."""
        above = np.nonzero(np.nan_to_num(self.median()) >= threshold)[0]
        return int(self.lags[above[-1]]) if len(above) else 0


def lag_grid(max_lag: int, dense_to: int = 10) -> np.ndarray:
    """1…dense_to, then round lags to max_lag: a median over many positions at a twentieth of the cost."""
    tail = [k for k in (12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 200, 300, 500) if dense_to < k < max_lag]
    return np.unique([*range(1, min(dense_to, max_lag) + 1), *tail, max_lag])


def spread_positions(n_chars: int, max_lag: int, count: int) -> np.ndarray:
    """Up to `count` cursor positions spread evenly over a text, each with `max_lag` characters behind it."""
    first = max_lag - 1
    if n_chars - 1 < first:
        raise ValueError(f"a median over positions needs more than {max_lag} characters of text; "
                         f"there are {n_chars}")
    return np.unique(np.linspace(first, n_chars - 1, count).round().astype(np.int64))


def full_window_positions(n_chars: int, max_lag: int, count: int, context: int) -> np.ndarray:
    """Up to `count` positions spread over a text at which a windowed model read from the text's
    start sees a full window of `context` characters, each with `max_lag` characters behind it: the
    step before each restart (`core.transformer.restart_start`: the first window fills at context − 1,
    then one restarts every context // 2). Elsewhere its window holds context/2 + 1 to context
    characters, so a median over arbitrary positions ends before the window does."""
    full = np.arange(context - 1, n_chars, max(1, context // 2), dtype=np.int64)
    full = full[full >= max_lag - 1]
    if len(full) <= count:
        return full
    return np.unique(full[np.linspace(0, len(full) - 1, count).round().astype(np.int64)])


def bundled_per_cell(text: str, corpus: str | None = None) -> dict[str, Checkpoint]:
    """One bundled model of each cell type that knows every character of `text`, preferring
    models trained on `corpus`, so that the curves differ by architecture and not by training text."""
    found: dict[str, Checkpoint] = {}
    for path in bundled_models().values():
        ckpt = load(path)
        cell = ckpt.config.cell
        if ckpt.vocab.unknown(text):
            continue
        same = corpus is not None and ckpt.provenance.get("corpus") == corpus
        if cell not in found or (same and found[cell].provenance.get("corpus") != corpus):
            found[cell] = ckpt
    return {cell: found[cell] for cell in (*CELLS, "transformer") if cell in found}


def random_replacements(originals: np.ndarray, vocab_size: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """(len(originals), count) random ids, each different from the original it replaces."""
    if vocab_size < 2:
        raise ValueError("a vocabulary of one character has nothing to replace it with")
    # draw from vocab_size − 1 ids and skip over the original: uniform over the others
    draw = rng.integers(0, vocab_size - 1, size=(len(originals), count))
    return draw + (draw >= np.asarray(originals)[:, None])


def memory_span(model: Model, ids: Sequence[int] | np.ndarray, positions: Sequence[int] | None = None,
                lags: Sequence[int] | np.ndarray | None = None, replacements: int = DEFAULT_REPLACEMENTS,
                chosen: int | None = None, state: np.ndarray | None = None,
                rng: np.random.Generator | None = None) -> SpanCurve:
    """The influence of the character `lag` steps back on the prediction after each of `positions`.

    ids: the text the model read, from `state` (default: a zero state) on; positions default to the
    last one (the cursor). lags default to 1…200; lags longer than the history before the earliest
    position are dropped (`SpanCurve.clipped` says so). With `chosen` (an id) every lag is replaced
    by that character; otherwise by `replacements` random other characters each.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or len(ids) == 0:
        raise ValueError("memory span needs at least one character of history")
    positions = np.asarray([len(ids) - 1] if positions is None else positions, dtype=np.int64)
    if len(positions) == 0 or positions.min() < 0 or positions.max() >= len(ids):
        raise ValueError(f"positions must lie within the {len(ids)} characters of history")
    V = model.config.vocab_size
    if chosen is not None and not 0 <= chosen < V:
        raise ValueError(f"replacement id {chosen} is outside the vocabulary of {V}")
    if chosen is None and replacements < 1:
        raise ValueError("need at least one replacement per lag")
    asked = np.asarray(np.arange(1, DEFAULT_MAX_LAG + 1) if lags is None else lags, dtype=np.int64)
    if len(asked) == 0 or asked.min() < 1:
        raise ValueError("lags must be 1 or more (lag 1 is the character just read)")
    lags_ = np.unique(asked[asked <= positions.min() + 1])
    P, K = len(positions), len(lags_)
    rng = rng if rng is not None else np.random.default_rng(0)
    # replacement r for lag j at position p, and the original it replaces
    originals = ids[positions[:, None] - lags_[None, :] + 1]  # (P, K)
    if chosen is not None:
        repl = np.full((P, K, 1), chosen, dtype=np.int64)
    else:
        repl = random_replacements(originals.reshape(-1), V, replacements, rng).reshape(P, K, replacements)
    R = repl.shape[2]
    kl = np.empty((P, K, R), dtype=np.float64)
    if hasattr(model, "replaced_logits"):  # a model that reads a window reruns only what a replacement changes
        logits, base_logits = model.replaced_logits(ids, positions, lags_, repl, state)
        b = log_softmax(base_logits)
        kl[:] = (np.exp(b)[:, None, None] * (b[:, None, None] - log_softmax(logits))).sum(-1)
    else:
        _recurrent_kl(model, ids, positions, lags_, repl, state, kl)
    kl = np.maximum(kl, 0.0)  # rounding can leave an unchanged distribution a hair below zero
    same = repl == originals[:, :, None]  # a chosen character equal to the original tells nothing
    if same.any():
        kl[same] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN lags stay NaN
            mean = np.nanmean(kl, axis=2)
    else:
        mean = kl.mean(axis=2)
    return SpanCurve(lags_, mean, positions, int(asked.max()))


def _recurrent_kl(model: Model, ids: np.ndarray, positions: np.ndarray, lags: np.ndarray, repl: np.ndarray,
                  state: np.ndarray | None, kl: np.ndarray) -> None:
    """kl[p, j, r] for a recurrent model: reruns batched in segments (see the module's docstring)."""
    P, K, R = repl.shape
    edges = group_edges(lags)
    starts = {int(t - e) for t in positions for e in np.unique(edges)}  # reruns begin after these positions
    states, base_logits = _states_and_logits(model, ids, sorted(starts), positions, state)
    base = log_softmax(base_logits)  # (P, V)
    chunk = max(1, MAX_STREAMS // (K * R))
    for i in range(0, P, chunk):
        pos = positions[i : i + chunk]
        logits = _perturbed_logits(model, ids, pos, lags, edges, repl[i : i + chunk], states)
        pert = log_softmax(logits)  # (K, p, R, V), lags descending
        b = base[i : i + chunk]
        kl[i : i + chunk] = (np.exp(b)[:, None, None] * (b[:, None, None] - pert.transpose(1, 0, 2, 3)))[
            :, ::-1].sum(-1)


def _states_and_logits(model: Model, ids: np.ndarray, starts: list[int], positions: np.ndarray,
                       state: np.ndarray | None) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """One unperturbed pass: the state after each of `starts` (−1: the initial state) and the logits after
    each of `positions`, cutting the pass at those positions."""
    s = model.initial_state() if state is None else np.asarray(state, dtype=np.float32)
    states = {-1: s}
    logits_at: dict[int, np.ndarray] = {}
    cuts = sorted({*starts, *map(int, positions)} - {-1})
    prev = -1
    for cut in cuts:
        s, logits, _ = model.forward(ids[prev + 1 : cut + 1], s)
        states[cut] = s
        logits_at[cut] = logits[-1]
        prev = cut
    return states, np.stack([logits_at[int(t)] for t in positions])


def group_edges(lags: np.ndarray) -> np.ndarray:
    """For each lag (ascending), the longest lag of its group: the rerun starts there."""
    edges = np.empty_like(lags)
    edge = None
    for j in range(len(lags) - 1, -1, -1):
        if edge is None or lags[j] <= edge - max(1, edge // GROUP_FRACTION):
            edge = lags[j]
        edges[j] = edge
    return edges


def _perturbed_logits(model: Model, ids: np.ndarray, positions: np.ndarray, lags: np.ndarray, edges: np.ndarray,
                      repl: np.ndarray, states: dict[int, np.ndarray]) -> np.ndarray:
    """Final logits of every rerun, (K, P, R, V) with lags descending: time runs in segments from the
    longest lag to the cursor, and each group of reruns joins the batch where its segment starts."""
    lags, edges, repl = lags[::-1], edges[::-1], repl[:, ::-1]
    K, (P, _, R), E0 = len(lags), repl.shape, int(lags[0])
    window = np.stack([ids[t - E0 + 1 : t + 1] for t in positions])  # (P, E0)
    streams = np.broadcast_to(window[None, :, None, :], (K, P, R, E0)).copy()
    streams[np.arange(K), :, :, E0 - lags] = repl.transpose(1, 0, 2)
    streams = streams.reshape(K * P * R, E0)
    seg_edges = [*np.unique(edges)[::-1].tolist(), 0]
    state = np.empty((0, *model.initial_state().shape), dtype=np.float32)
    active = 0
    for E, next_E in zip(seg_edges, seg_edges[1:], strict=False):
        joining = int((edges == E).sum()) * P * R
        start = np.stack([states[int(t - E)] for t in positions])  # (P, layers, S, H)
        fresh = np.broadcast_to(start[None, :, None], (joining // (P * R), P, R, *start.shape[1:]))
        state = np.concatenate([state, fresh.reshape(joining, *start.shape[1:])])
        active += joining
        state, logits, _ = model.forward(streams[:active, E0 - E : E0 - next_E], state)
    return logits[:, -1].reshape(K, P, R, -1)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    x = np.asarray(logits, dtype=np.float64)
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def straightforward_span(model: Model, ids: np.ndarray, max_lag: int, replacements: np.ndarray,
                         state: np.ndarray | None = None) -> np.ndarray:
    """The reference: for each lag, step the model from the state before the replaced character,
    one rerun at a time. Slow (what the benchmark compares against) but plainly right.

    replacements: (max_lag, R) ids; returns the mean KL per lag, (max_lag,).
    """
    ids = np.asarray(ids, dtype=np.int64)
    t = len(ids) - 1
    s = model.initial_state() if state is None else state
    states = [s]
    for i in ids:
        s, logits, _ = model.step(s.copy(), int(i))
        states.append(s)
    base = log_softmax(logits)
    out = np.zeros(max_lag)
    for k in range(1, max_lag + 1):
        start = t - k + 1
        kls = []
        for r in replacements[k - 1]:
            s = states[start].copy()
            seq = ids[start:].copy()
            seq[0] = r
            for i in seq:
                s, lg, _ = model.step(s, int(i))
            kls.append(float((np.exp(base) * (base - log_softmax(lg))).sum()))
        out[k - 1] = np.mean(kls)
    return out
