"""The neuron finder: rank every unit of every layer and quantity by how well it tracks a feature.

Every unit is scored on its exact float32 values over every character (what
the capture holds; see capture.py for how the text is read). Nothing is
rounded or clipped; the only prefilter is a provable bound (`auc_candidates`),
which sorts only the units whose AUC can reach the list.

- A ramp (position in line, indentation …) is scored by Pearson's r, summed in
  float64 over centred values.
- An on/off feature (inside quotes …) is scored by the area under the ROC curve:
  the chance that the unit is higher at a random character where the feature is
  on than at one where it is off, ties counting half. It is the Mann–Whitney U
  from each unit's mid-ranks: integers, summed exactly.
- For a ramp that restarts on each line, the best units by r also get the
  paper's per-line monotonicity: the fraction of lines of at least MIN_LINE
  characters (the newline not counted) on which Spearman's ρ between the unit
  and the ramp, taken in the direction of r, exceeds 0.9.

Units are listed by descending score; scores equal to 6 decimals tie and the
lower index goes first (`strongest_first`), so the order is the same on every
CPU. A feature that does not occur in the text, occurs fewer than MIN_RUNS
times, or is the same everywhere is not ranked: `Ranking.note` says so, rather
than listing the noise that would top it. `rank_text` ranks a text of any
length in bounded memory, a block of units per pass over the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .capture import BINS, Capture, Progress, bytes_needed, capture, check_content, doubled_midranks, unit_count
from .features import ONOFF, Feature, line_ids

MIN_RUNS = 5  # an on/off feature seen fewer times than this is too rare to rank: any unit would fit it
MIN_LINE = 5
CELLS = 2**22  # float64 numbers per block of units while scoring (32 MB)


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


@dataclass(frozen=True)
class Scores:
    """Every captured unit's scores for each feature: r (K, k) and, for on/off features, the AUC (K, k)."""

    r: np.ndarray  # Pearson's r; NaN where the unit or the feature does not vary
    auc: np.ndarray  # NaN for ramps


def scores(cap: Capture, values: np.ndarray, onoff: np.ndarray, top: int) -> Scores:
    """Pearson's r of every unit with each ramp column of `values` (T, k), and the exact AUC of every unit
    that can be among the `top` for each on/off column (`onoff`, (k,)); NaN for the units that provably
    cannot (see `auc_candidates`)."""
    K, T = cap.data.shape
    r = np.full((K, len(onoff)), np.nan)
    auc = np.full((K, len(onoff)), np.nan)
    rows = max(1, CELLS // max(T, 1))
    ramps = np.flatnonzero(~onoff)
    if len(ramps):
        f = values[:, ramps].astype(np.float64)
        fc = f - f.mean(axis=0)
        sf = np.sqrt((fc * fc).sum(axis=0))
        for a in range(0, K, rows):
            x = cap.data[a : a + rows].astype(np.float64)
            x -= x[:, :1]  # exact (float32 values in float64); a unit that sits near 1 keeps its wiggles
            sx = np.sqrt(np.maximum((x * x).sum(axis=1) - x.sum(axis=1) ** 2 / T, 0.0))
            with np.errstate(invalid="ignore", divide="ignore"):
                r[a : a + rows, ramps] = (x @ fc) / sx[:, None] / sf[None, :]
    for j in np.flatnonzero(onoff):
        on = values[:, j] > 0
        n1 = int(on.sum())
        if not 0 < n1 < T:
            continue
        cands = auc_candidates(cap, on, top)
        for a in range(0, len(cands), rows):
            units = cands[a : a + rows]
            ranks = doubled_midranks(cap.data[units])
            auc[units, j] = (_rank_sum(ranks, on) / 2 - n1 * (n1 + 1) / 2) / (n1 * (T - n1))
    return Scores(np.clip(r, -1.0, 1.0), auc)


def auc_candidates(cap: Capture, on: np.ndarray, top: int) -> np.ndarray:
    """The units whose AUC can be among the `top` best, found without sorting any unit.

    Each unit's values are cut into BINS bins over its own range (`Capture.bins`), so a character in a
    higher bin is surely higher. Counting the on/off pairs in different bins bounds each unit's AUC to
    [lo, hi], where hi − lo is the share of pairs that fall in the same bin; its score max(AUC, 1 − AUC)
    then lies in [max(lo, 1 − hi), max(hi, 1 − lo)]. A unit whose upper bound is below the `top`-th best
    lower bound cannot be listed, so only the others are ranked exactly. A saturated gate, whose values
    crowd one bin, keeps a wide interval and is ranked exactly too."""
    codes, every = cap.bins()
    K, T = codes.shape
    n1 = int(on.sum())
    offsets = (np.arange(K, dtype=np.int64) * BINS)[:, None]
    side = on if n1 <= T // 2 else ~on  # count the smaller side; the other is what is left
    h_side = np.bincount((codes[:, side] + offsets).ravel(), minlength=K * BINS).reshape(K, BINS)
    h_on, h_off = (h_side, every - h_side) if side is on else (every - h_side, h_side)
    below = np.cumsum(h_off, axis=1) - h_off  # off characters in lower bins
    pairs = float(n1) * float(T - n1)
    lo = (h_on * below).sum(axis=1) / pairs
    hi = lo + (h_on * h_off).sum(axis=1) / pairs
    best_lo = np.maximum(lo, 1 - hi)
    best_hi = np.maximum(hi, 1 - lo)
    if K <= top:
        return np.arange(K)
    bar = np.partition(best_lo, K - top)[K - top]  # the top-th largest lower bound
    return np.flatnonzero(best_hi >= bar - 1e-6)  # the margin covers strongest_first's rounding


def _rank_sum(ranks: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Σ over the characters where `on` of each unit's doubled mid-rank, exactly (int64), gathering the
    smaller side (the doubled ranks of a unit sum to T·(T+1))."""
    T = len(on)
    side = on if on.sum() <= T // 2 else ~on
    idx = np.flatnonzero(side)
    rows = max(1, CELLS // max(len(idx), 1))
    total = np.empty(ranks.shape[0], np.int64)
    for a in range(0, ranks.shape[0], rows):
        total[a : a + rows] = np.take(ranks[a : a + rows], idx, axis=1).sum(axis=1, dtype=np.int64)
    return total if side is on else T * (T + 1) - total


def rank(cap: Capture, features: list[Feature] | tuple[Feature, ...], top: int = 10) -> list[Ranking]:
    """One Ranking per feature, best units first (see the module docstring)."""
    text = cap.text
    out = [Ranking(f) for f in features]
    if not len(cap):
        for rk in out:
            rk.note = "the text is empty; nothing to rank"
        return out
    values = np.stack([f(text).astype(np.float32) for f in features], axis=1)
    onoff = np.array([f.kind == ONOFF for f in features])
    sc = scores(cap, values, onoff, top)
    for j, (f, rk) in enumerate(zip(features, out, strict=True)):
        v = values[:, j]
        if f.kind == ONOFF:
            _rank_onoff(cap, rk, v > 0, sc.auc[:, j], top)
            continue
        r = sc.r[:, j]
        if not np.isfinite(r).any():
            rk.note = "is the same everywhere in this text; nothing to rank"
            continue
        rk.occurrences = int(np.count_nonzero(v))
        r = np.nan_to_num(r)  # a unit that never moves correlates with nothing
        best = strongest_first(np.abs(r))[:top]
        mono = _monotonic(cap, best, r, v, text) if f.per_line else None
        rk.hits = [_hit(cap, f, int(k), "r", float(r[k]), None if mono is None else float(mono[n]))
                   for n, k in enumerate(best)]
    return out


def strongest_first(score: np.ndarray) -> np.ndarray:
    """Indices by descending score; scores equal to 6 decimals tie, and ties go to the lower index.

    Rounding first makes the order the same on every CPU: the matrix products behind a score differ in
    their last bits between BLAS kernels, so two units that tie exactly could swap places."""
    return np.argsort(-np.round(score.astype(np.float64), 6), kind="stable")


def rank_text(model, vocab, text: str, features: list[Feature] | tuple[Feature, ...], top: int = 10, *,
              streams: int = 64, max_bytes: int = 512 * 2**20, what: str = "text",
              progress: Progress | None = None) -> list[Ranking]:
    """`rank` over a text of any length in bounded memory: the units are split into blocks that fit in
    `max_bytes` (values and their ranks), each block captured in its own pass over the text and ranked
    exactly, and the blocks' lists merged. One block (one pass) when the whole capture fits."""
    check_content(text, what)
    per_unit = bytes_needed(model, len(text), 1)  # the values (their ranks are made a few units at a time)
    U = unit_count(model)
    block = max(1, min(U, max_bytes // max(per_unit, 1)))
    parts: list[list[Ranking]] = []
    for a in range(0, U, block):
        units = np.arange(a, min(U, a + block))

        def step(d: int, t: int, a: int = a, n: int = len(units)) -> None:  # in unit-characters
            if progress is not None:
                progress(a * t + d * n, U * t)

        cap = capture(model, vocab, text, streams=streams, units=units, progress=step)
        parts.append(rank(cap, features, top))
        del cap
    return [merge([p[j] for p in parts], top) for j in range(len(features))]


def merge(parts: list[Ranking], top: int) -> Ranking:
    """One feature's rankings over disjoint blocks of units, as one ranking (the same order `rank` gives)."""
    first = parts[0]
    hits = sorted((h for p in parts for h in p.hits), key=lambda h: h.index)
    order = strongest_first(np.array([h.score for h in hits])) if hits else []
    return Ranking(first.feature, [hits[i] for i in order[:top]], first.occurrences, first.first, first.note)


def rank_one(cap: Capture, feature: Feature, top: int = 10) -> Ranking:
    return rank(cap, [feature], top)[0]


def _hit(cap: Capture, feature: Feature, k: int, metric: str, value: float, mono: float | None = None) -> Hit:
    index = int(cap.index[k])
    layer, q, unit = cap.unit_name(index)
    return Hit(feature.name, index, layer, q, unit, metric, value, mono)


def _rank_onoff(cap: Capture, ranking: Ranking, on: np.ndarray, auc: np.ndarray, top: int) -> None:
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
    if n1 == T:
        ranking.note = "holds for every character of this text; nothing to rank"
        return
    order = strongest_first(np.maximum(auc, 1 - auc))[:top]
    ranking.hits = [_hit(cap, ranking.feature, int(k), "AUC", float(auc[k])) for k in order]


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
        x = cap.data[u, keep].astype(np.float64) * (1.0 if r[u] >= 0 else -1.0)
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
