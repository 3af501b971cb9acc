"""The neuron finder: rank every unit of every layer and quantity by how well it tracks a feature.

- A ramp (position in line, indentation …) is scored by Pearson's r; for a ramp
  that restarts on each line the best units also get the per-line monotonicity
  score of the paper: the fraction of lines (of 5 characters or more) on which
  the unit's Spearman correlation with the position, in the direction of r,
  exceeds 0.9.
- An on/off feature (inside quotes …) is scored by the area under the ROC curve:
  the chance that the unit is higher at a random character inside than at one
  outside (ties count half). Computed from ranks: the codes are 256 levels, so a
  unit's ranks are its cumulative histogram, and the AUC is a sum over 256 bins.
  Exact AUCs are computed for the units with the largest point-biserial
  correlation (one matrix product for all units), which is monotone enough in
  the AUC that the best unit is always among them.

A feature that does not occur in the text, occurs fewer than MIN_RUNS times,
or is the same everywhere is not ranked: `Ranking.note` says so, rather than
listing the noise that would top it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .capture import Capture
from .features import ONOFF, Feature, line_ids

CANDIDATES = 32  # exact AUCs computed for this many units per feature
MIN_RUNS = 5  # an on/off feature seen fewer times than this is too rare to rank: any unit would fit it
MIN_LINE = 5
ROWS = 2048  # codes converted to float in blocks of this many characters


@dataclass(frozen=True)
class Hit:
    feature: str
    index: int  # flat unit index in the capture
    layer: int
    quantity: str
    unit: int
    metric: str  # "r" or "AUC"
    value: float  # r (−1…1), or the AUC (< 0.5: the unit is low where the feature is on)
    monotonic: float | None = None  # per-line monotonicity, for ramps that restart on each line

    @property
    def score(self) -> float:
        """0…1, higher is better, comparable within a metric: |r|, or the AUC of the better direction."""
        return abs(self.value) if self.metric == "r" else max(self.value, 1 - self.value)

    @property
    def low_inside(self) -> bool:
        return self.value < 0 if self.metric == "r" else self.value < 0.5

    def label(self) -> str:
        """'L2 c 117', the way the viewer names a unit (layers count from 1)."""
        return f"L{self.layer + 1} {self.quantity} {self.unit}"

    def describe(self) -> str:
        if self.metric == "r":
            extra = f", {self.monotonic:.0%} of lines monotonic" if self.monotonic is not None else ""
            return f"r {self.value:+.2f}{extra}"
        return f"AUC {self.score:.3f} ({'off' if self.low_inside else 'on'} inside)"

    def short(self) -> str:
        """describe() in at most 18 characters, for a list."""
        if self.metric == "r":
            return f"r {self.value:+.2f}" + (f" mono {self.monotonic:.0%}" if self.monotonic is not None else "")
        return f"AUC {self.score:.3f} {'off' if self.low_inside else 'on'}"


@dataclass
class Ranking:
    feature: Feature
    hits: list[Hit] = field(default_factory=list)
    occurrences: int = 0  # characters where an on/off feature is on (or where a ramp is non-zero)
    first: int = 0  # where an on/off feature first turns on: a place to show an example
    note: str | None = None  # why there is no ranking


class Moments:
    """Each unit's mean and standard deviation over the text (of its codes), computed once per capture."""

    def __init__(self, n: int, s1: np.ndarray, s2: np.ndarray, shift: np.ndarray):
        centred = s1 / max(n, 1)  # the mean of code − shift
        self.n = n
        self.mean = centred + shift
        self.std = np.sqrt(np.maximum(s2 / max(n, 1) - centred**2, 0.0))


def _products(cap: Capture, F: np.ndarray) -> np.ndarray:
    """Σ (code − shift)·(f − mean f) per unit and feature (U, k), in blocks of rows; the capture's moments are
    computed in the same pass the first time.

    Both sides are centred (codes on each unit's first value, exactly, since they are integers) so that a
    nearly constant unit, a gate that sits at 1, does not drown its small variations in float32 rounding.
    """
    T = len(cap)
    need = "_moments" not in cap.__dict__
    shift = cap.codes[0].astype(np.float32)
    s1 = np.zeros(cap.units, np.float64)
    s2 = np.zeros(cap.units, np.float64)
    Fc = (F - F.mean(axis=0, dtype=np.float64)).astype(np.float32)
    xtf = np.zeros((cap.units, F.shape[1]), np.float64)
    for a in range(0, T, ROWS):
        x = cap.codes[a : a + ROWS].astype(np.float32)
        x -= shift
        xtf += x.T @ Fc[a : a + ROWS]
        if need:
            s1 += x.sum(axis=0, dtype=np.float64)
            x *= x  # integers below 2^16: exact in float32, summed in float64
            s2 += x.sum(axis=0, dtype=np.float64)
    if need:
        cap.__dict__["_moments"] = Moments(T, s1, s2, shift)
    return xtf


def rank(cap: Capture, features: list[Feature] | tuple[Feature, ...], top: int = 10) -> list[Ranking]:
    """One Ranking per feature, best units first. Every feature's correlation with every unit comes from one
    matrix product (for an on/off feature, Pearson's r is the point-biserial correlation)."""
    text = cap.text
    values = [f(text).astype(np.float32) for f in features]
    out = [Ranking(f) for f in features]
    if not len(cap):
        for rk in out:
            rk.note = "the text is empty; nothing to rank"
        return out
    xtf = _products(cap, np.stack(values, axis=1))
    mom = cap.__dict__["_moments"]
    rs = [_pearson(xtf[:, k], v, mom) for k, v in enumerate(values)]
    # the AUC candidates of every on/off feature, gathered from the codes in one pass
    cands = {k: strongest_first(np.abs(rs[k]))[: max(CANDIDATES, top)]
             for k, f in enumerate(features) if f.kind == ONOFF and rs[k] is not None}
    union = np.unique(np.concatenate(list(cands.values()))) if cands else np.zeros(0, np.int64)
    block = cap.codes[:, union]
    for k, f in enumerate(features):
        rk, v, r = out[k], values[k], rs[k]
        if f.kind == ONOFF:
            cand = cands.get(k)
            _rank_onoff(cap, rk, v > 0, cand, None if cand is None else block[:, np.searchsorted(union, cand)], top)
            continue
        if r is None:
            rk.note = "is the same everywhere in this text; nothing to rank"
            continue
        rk.occurrences = int(np.count_nonzero(v))
        best = strongest_first(np.abs(r))[:top]
        mono = _monotonic(cap, best, r, v, text) if f.per_line else None
        rk.hits = [_hit(cap, f, int(u), "r", float(r[u]), None if mono is None else float(mono[n]))
                   for n, u in enumerate(best)]
    return out


def strongest_first(score: np.ndarray) -> np.ndarray:
    """Indices by descending score; scores equal to 6 decimals tie, and ties go to the lower index.

    Rounding first makes the order the same on every CPU: the matrix products behind a score differ in
    their last bits between BLAS kernels, so two units that tie exactly could swap places."""
    return np.argsort(-np.round(score.astype(np.float64), 6), kind="stable")


def rank_one(cap: Capture, feature: Feature, top: int = 10) -> Ranking:
    return rank(cap, [feature], top)[0]


def _pearson(xtf: np.ndarray, f: np.ndarray, mom: Moments) -> np.ndarray | None:
    n = mom.n
    sf = f.astype(np.float64).std()
    if n < 2 or sf == 0:
        return None
    cov = xtf / n  # the feature was centred: no product of means to subtract
    moving = mom.std > 1e-6  # a unit that never moves correlates with nothing
    return np.clip(np.where(moving, cov / np.where(moving, mom.std, 1.0) / sf, 0.0), -1.0, 1.0)


def _hit(cap: Capture, feature: Feature, u: int, metric: str, value: float, mono: float | None = None) -> Hit:
    layer, q, unit = cap.unit_name(u)
    return Hit(feature.name, u, layer, q, unit, metric, value, mono)


def _rank_onoff(cap: Capture, ranking: Ranking, on: np.ndarray, cand: np.ndarray | None,
                codes: np.ndarray | None, top: int) -> None:
    T = len(cap)
    n1 = int(on.sum())
    ranking.occurrences = n1
    ranking.first = int(np.argmax(on))
    if n1 == 0:
        ranking.note = "does not occur in this text; nothing to rank"
        return
    runs = int(on[0]) + int(np.count_nonzero(on[1:] & ~on[:-1]))
    if runs < MIN_RUNS:
        ranking.note = f"occurs only {runs} time{'s' if runs > 1 else ''} in this text; too rare to rank"
        return
    if n1 == T or cand is None:
        ranking.note = "holds for every character of this text; nothing to rank"
        return
    auc = auc_of(codes, on)
    order = strongest_first(np.maximum(auc, 1 - auc))[:top]
    ranking.hits = [_hit(cap, ranking.feature, int(cand[j]), "AUC", float(auc[j])) for j in order]


def auc_of(codes: np.ndarray, on: np.ndarray) -> np.ndarray:
    """AUC of each column of uint8 `codes` (T, K) as a detector of `on`, ties counted half, via histograms."""
    T, K = codes.shape
    offs = (np.arange(K, dtype=np.int32) * 256)[None, :]
    hist_all = np.bincount((codes + offs).ravel(), minlength=256 * K).reshape(K, 256)
    hist_on = np.bincount((codes[on] + offs).ravel(), minlength=256 * K).reshape(K, 256)
    hist_off = hist_all - hist_on
    below_off = np.cumsum(hist_off, axis=1) - hist_off  # off-characters with a lower code
    n1, n0 = int(on.sum()), T - int(on.sum())
    wins = (hist_on * (below_off + 0.5 * hist_off)).sum(axis=1)
    return wins / (n1 * n0)


def _monotonic(cap: Capture, units: np.ndarray, r: np.ndarray, ramp: np.ndarray, text: str) -> np.ndarray:
    """Per unit: the fraction of lines (≥ MIN_LINE characters, newline excluded) on which the Spearman ρ
    between the unit and the ramp, in the direction of r, exceeds 0.9 (tied values get their mid-rank)."""
    lid = line_ids(text)
    body = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) != 10
    if not body.any():
        return np.zeros(len(units))
    sizes = np.bincount(lid[body], minlength=lid[-1] + 1)
    keep = body & (sizes[lid] >= MIN_LINE)
    if not keep.any():
        return np.zeros(len(units))
    g = lid[keep]  # sorted
    first = np.searchsorted(g, g)  # where each character's line begins among the kept ones
    ramp_rank = _midranks(g, ramp[keep].astype(np.float64), first)
    lines, m = np.unique(g, return_counts=True)
    m = m.astype(np.float64)
    out = np.empty(len(units))
    for j, u in enumerate(units):
        x = cap.codes[keep, u].astype(np.float64) * (1.0 if r[u] >= 0 else -1.0)
        d2 = np.bincount(g, weights=(_midranks(g, x, first) - ramp_rank) ** 2)[lines]
        rho = 1 - 6 * d2 / (m * (m * m - 1))
        out[j] = float((rho > 0.9).mean())
    return out


def _midranks(g: np.ndarray, x: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Rank of x within its group g (sorted), from 0, ties given the mean of their ranks."""
    order = np.lexsort((x, g))
    gs, xs = g[order], x[order]
    n = len(xs)
    new = np.ones(n, bool)
    new[1:] = (gs[1:] != gs[:-1]) | (xs[1:] != xs[:-1])
    idx = np.arange(n)
    run_start = np.maximum.accumulate(np.where(new, idx, 0))
    ends = np.where(np.append(new[1:], True), idx, n)
    run_end = np.minimum.accumulate(ends[::-1])[::-1]
    ranks = np.empty(n)
    ranks[order] = (run_start + run_end) / 2
    return ranks - first
