"""The neuron finder: rank every unit of every layer and quantity by how well it tracks a feature.

Every unit is scored on its exact float32 values over every character (what
the capture holds; see capture.py for how the text is read). Nothing is
rounded or clipped; the only prefilters are provable bounds (tally.py: 256
bins per unit, then 4096 for the units those keep), so only the units whose AUC
can reach the list are sorted.

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
length in bounded memory, in two passes over it: every unit's sums, then the
values of the units the bounds keep.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.pieces import WARMUP, layout
from .capture import (
    Capture,
    Progress,
    bytes_needed,
    check_content,
    chunk_steps,
    doubled_midranks,
    encode,
    run,
    sortable,
    unit_count,
    unit_name,
    unit_values,
)
from .features import ONOFF, Feature, line_ids
from .tally import BINS, Binning, Tally, auc_bounds, candidates, fine_bounds, histogram_on

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
    cannot (see tally.py). The first ranking of a capture bins its values and keeps the bins
    (`Capture.bins`), so that a later feature is bounded without binning again."""
    K, T = cap.data.shape
    if cap.bins is None:
        codes = np.empty((K, T), np.uint8)
        tally = Tally(values, onoff, K, BINS, codes)  # each unit binned over its own range
        tally.add(cap.data.T)
        cap.bins = (codes, tally.every)
        bounds = tally.auc_bounds()
    else:
        tally = Tally(values, onoff, K)
        if len(tally.ramps):
            tally.add(cap.data.T)
        codes, every = cap.bins
        bounds = {}
        for j in np.flatnonzero(onoff):
            on = values[:, j] > 0
            n1 = int(on.sum())
            if 0 < n1 < T:
                bounds[int(j)] = auc_bounds(histogram_on(codes, every, on), every, n1, T)
    auc = np.full((K, len(onoff)), np.nan)
    cols = list(bounds)
    units = _union([candidates(lo, hi, top) for lo, hi in bounds.values()])
    auc[np.ix_(units, cols)] = candidate_auc(cap.data, units, values[:, cols] > 0, top)
    return Scores(tally.r(), auc)


def _union(parts: list[np.ndarray]) -> np.ndarray:
    return np.unique(np.concatenate([np.zeros(0, np.int64), *parts]))


def candidate_auc(data: np.ndarray, rows: np.ndarray, on: np.ndarray, top: int) -> np.ndarray:
    """The AUC (len(rows), f) of the candidate rows `rows` of `data` with each column of `on` (T, f), exact
    where the unit can still be among the `top`: a finer bound (`fine_bounds`) first rules out most of
    them, then the rest are ranked exactly; NaN for the units ruled out."""
    lo, hi = fine_bounds(data, rows, on)
    best_lo, best_hi = np.maximum(lo, 1 - hi), np.maximum(hi, 1 - lo)
    need = np.zeros(len(rows), bool)
    for j in range(on.shape[1]):
        need |= best_hi[:, j] >= (np.sort(best_lo[:, j])[-top] if len(rows) > top else -1) - 1e-6
    out = np.full((len(rows), on.shape[1]), np.nan)
    out[need] = exact_auc(data, rows[need], on)
    return out


def exact_auc(data: np.ndarray, rows: np.ndarray, on: np.ndarray) -> np.ndarray:
    """The AUC (len(rows), f) of rows `rows` of `data` (K, T) with each column of `on` (T, f) bool, from the
    rows' exact integer mid-ranks: each row is sorted once for all the features, and its rank sums are one
    matrix product (exact: integers far below 2**53)."""
    T = len(on)
    n1 = on.sum(axis=0).astype(np.float64)
    weights = on.astype(np.float64)
    out = np.empty((len(rows), on.shape[1]))
    block = max(1, CELLS // max(T, 1))
    for a in range(0, len(rows), block):
        sums = doubled_midranks(data[rows[a : a + block]]).astype(np.float64) @ weights
        out[a : a + block] = (sums / 2 - n1 * (n1 + 1) / 2) / (n1 * (T - n1))
    return out


def _features(text: str, features) -> tuple[np.ndarray, np.ndarray]:
    """Every feature at every character (T, F) float32, and which are on/off (F,)."""
    values = np.stack([f(text).astype(np.float32) for f in features], axis=1)
    return values, np.array([f.kind == ONOFF for f in features])


def rank(cap: Capture, features: list[Feature] | tuple[Feature, ...], top: int = 10) -> list[Ranking]:
    """One Ranking per feature, best units first (see the module docstring)."""
    if not len(cap):
        return _empty(features)
    values, onoff = _features(cap.text, features)
    sc = scores(cap, values, onoff, top)

    def monotonic(j: int, units: np.ndarray, r: np.ndarray) -> np.ndarray:
        return _monotonic(cap.data[units], np.sign(r[units]), values[:, j], cap.text)

    def name(k: int) -> tuple[int, int, str, int]:
        index = int(cap.index[k])
        return (index, *cap.unit_name(index))

    return _rankings(features, values, sc, top, monotonic, name)


def _empty(features) -> list[Ranking]:
    out = [Ranking(f) for f in features]
    for rk in out:
        rk.note = "the text is empty; nothing to rank"
    return out


def _rankings(features, values: np.ndarray, sc: Scores, top: int, monotonic, name) -> list[Ranking]:
    """The Rankings from every unit's scores; `monotonic(j, units, r)` gives the per-line monotonicity of
    the best units by r of ramp j, `name(k)` a scored row's (flat index, layer, quantity, unit)."""
    out = [Ranking(f) for f in features]
    for j, (f, rk) in enumerate(zip(features, out, strict=True)):
        v = values[:, j]
        if f.kind == ONOFF:
            _rank_onoff(rk, v > 0, sc.auc[:, j], top, name)
            continue
        r = sc.r[:, j]
        if not np.isfinite(r).any():
            rk.note = "is the same everywhere in this text; nothing to rank"
            continue
        rk.occurrences = int(np.count_nonzero(v))
        r = np.nan_to_num(r)  # a unit that never moves correlates with nothing
        best = strongest_first(np.abs(r))[:top]
        mono = monotonic(j, best, r) if f.per_line else None
        rk.hits = [_hit(name(int(k)), f, "r", float(r[k]), None if mono is None else float(mono[n]))
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
    """`rank` over a text of any length in bounded memory, in two passes over it.

    The first sums, for every unit, what r and the AUC bounds need (tally.py), its bins set on the first
    SAMPLE characters read; the second keeps the exact values of only the units the bounds cannot rule
    out and of each per-line ramp's best units by r, in blocks of units that fit in `max_bytes` (one pass
    each), and scores them exactly. Both passes read the text the same way, so the bounds hold for the
    values scored. Progress counts two passes' characters."""
    check_content(text, what)
    T = len(text)
    ids, _ = encode(vocab, text)
    values, onoff = _features(text, features)
    lay = layout(T, streams, WARMUP)
    chunk = chunk_steps(lay)
    tally = _first_pass(model, ids, lay, chunk, values, onoff, progress)
    r = tally.r()
    bounds = tally.auc_bounds()
    cols = list(bounds)
    need_auc = _union([candidates(lo, hi, top) for lo, hi in bounds.values()])
    need_mono = {j: strongest_first(np.abs(np.nan_to_num(r[:, j])))[:top] for j, f in enumerate(features)
                 if f.kind != ONOFF and f.per_line and np.isfinite(r[:, j]).any()}
    units = _union([need_auc, *need_mono.values()])
    auc = np.full(r.shape, np.nan)
    mono: dict[int, dict[int, float]] = {j: {} for j in need_mono}
    block = max(1, max_bytes // max(bytes_needed(model, T, 1), 1))
    parts = range(0, len(units), block)
    for n, a in enumerate(parts):
        part = units[a : a + block]

        def step(d: int, t: int, n: int = n) -> None:
            if progress is not None:
                progress(T + (n * T + d) // len(parts), 2 * T)

        data = unit_values(model, ids, lay, chunk, part, progress=step)
        mine = need_auc[np.isin(need_auc, part)]
        auc[np.ix_(mine, cols)] = candidate_auc(data, np.searchsorted(part, mine), values[:, cols] > 0, top)
        for j, best in need_mono.items():
            mine = best[np.isin(best, part)]
            got = _monotonic(data[np.searchsorted(part, mine)], np.sign(r[mine, j]), values[:, j], text)
            mono[j].update(zip(mine.tolist(), got.tolist(), strict=True))
        del data
    if progress is not None:
        progress(2 * T, 2 * T)
    c = model.config

    def name(k: int) -> tuple[int, int, str, int]:
        return (k, *unit_name(k, c.quantities, c.hidden))

    return _rankings(features, values, Scores(r, auc), top,
                     lambda j, best, r: np.array([mono[j][int(k)] for k in best]), name)


SAMPLE = 4096  # characters whose values set the bins of a text read in two passes


def _first_pass(model, ids: np.ndarray, lay, chunk: int, values: np.ndarray, onoff: np.ndarray,
                progress: Progress | None) -> Tally:
    """Every unit's sums over the text (`rank_text`'s first pass). The bins are set on the first SAMPLE
    characters read (with several streams, characters from all over the text), the blocks read until then
    held and counted once they are set; later values outside the range only widen the bounds."""
    U, T = unit_count(model), int(lay.keep.sum())
    tally: Tally | None = None
    held: list[tuple[np.ndarray, np.ndarray]] = []
    done = 0
    for acts, keep, pieces in run(model, ids, lay, chunk):
        if not pieces:
            continue
        B, t = keep.shape
        rows = acts.reshape(B * t, U)  # (characters, units): the tally needs no transposing
        kept = keep.ravel()
        block = rows if kept.all() else rows[kept]
        pos = np.concatenate([np.arange(p0, p0 + s1 - s0) for _, s0, s1, p0 in pieces])
        done += len(pos)
        if tally is None:  # the array is overwritten by the next chunk: hold a copy
            held.append((block.copy() if block is rows else block, pos))
            if done < min(SAMPLE, T):
                continue
            tally = Tally(values, onoff, U, Binning.around(np.concatenate([h for h, _ in held])))
            for h, p in held:
                tally.add(h, p)
            held = []
        else:
            tally.add(block, pos)
        if progress is not None:
            progress(done, 2 * T)
    assert tally is not None
    return tally


def rank_one(cap: Capture, feature: Feature, top: int = 10) -> Ranking:
    return rank(cap, [feature], top)[0]


def _hit(name: tuple[int, int, str, int], feature: Feature, metric: str, value: float,
         mono: float | None = None) -> Hit:
    index, layer, q, unit = name
    return Hit(feature.name, index, layer, q, unit, metric, value, mono)


def _rank_onoff(ranking: Ranking, on: np.ndarray, auc: np.ndarray, top: int, name) -> None:
    T = len(on)
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
    ranking.hits = [_hit(name(int(k)), ranking.feature, "AUC", float(auc[k])) for k in order]


def _monotonic(rows: np.ndarray, signs: np.ndarray, ramp: np.ndarray, text: str) -> np.ndarray:
    """Per row of exact values (n, T): the fraction of lines (≥ MIN_LINE characters, newline excluded) on
    which the Spearman ρ between the unit and the ramp, in the direction of its sign (that of r), exceeds 0.9
    (tied values get their mid-rank)."""
    lid = line_ids(text)
    body = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) != 10
    if not body.any():
        return np.zeros(len(rows))
    sizes = np.bincount(lid[body], minlength=lid[-1] + 1)
    keep = body & (sizes[lid] >= MIN_LINE)
    if not keep.any():
        return np.zeros(len(rows))
    g = lid[keep]  # sorted
    first = np.searchsorted(g, g)  # where each character's line begins among the kept ones
    line = g.astype(np.uint64) << np.uint64(32)
    ramp_rank = _midranks(line, ramp[keep], first)
    lines, m = np.unique(g, return_counts=True)
    m = m.astype(np.float64)
    out = np.empty(len(rows))
    for j, row in enumerate(rows):
        x = row[keep] if signs[j] >= 0 else -row[keep]  # negating a float32 is exact
        d2 = np.bincount(g, weights=(_midranks(line, x, first) - ramp_rank) ** 2)[lines]
        rho = 1 - 6 * d2 / (m * (m * m - 1))
        out[j] = float((rho > 0.9).mean())
    return out


def _midranks(line: np.ndarray, x: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Rank of float32 x within its line, from 0, ties given the mean of their ranks. `line` is each
    character's line number in the high 32 bits of a key (ascending); the value's sortable bits fill the
    low ones, and one sort of the keys orders by line, then value (equal keys are ties)."""
    keys = line | sortable(x)
    order = np.argsort(keys)
    ks = keys[order]
    n = len(ks)
    new = np.ones(n, bool)
    new[1:] = ks[1:] != ks[:-1]
    idx = np.arange(n)
    run_start = np.maximum.accumulate(np.where(new, idx, 0))
    ends = np.where(np.append(new[1:], True), idx, n)
    run_end = np.minimum.accumulate(ends[::-1])[::-1]
    ranks = np.empty(n)
    ranks[order] = (run_start + run_end) / 2
    return ranks - first
