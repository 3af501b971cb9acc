"""What the finder needs of every unit, summed block by block over a text, in memory that does not grow with it.

- For Pearson's r with each ramp feature: the unit's sum, its sum of squares
  and its sums against the centred features, in float64 over values shifted by
  one of the unit's own values (exact float32 values, so a unit that sits near
  1 keeps its wiggles).
- For the AUC with each on/off feature: a histogram of the unit's values in
  BINS monotone bins, split by where the feature is on. Counting the on/off
  pairs in different bins bounds the unit's AUC (`auc_bounds`), so that only
  the units whose bound reaches the list are sorted exactly.

The histograms of all on/off features come from one count per block: each
character's combination of on/off features is a pattern (a few dozen occur in a
text), the count is per (unit, pattern, bin), and each feature's histogram is
the sum over the patterns it is on in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINS = 256  # one byte a value
MAX_PATTERNS = 64  # features combined in one count while their combinations stay this few
CELLS = 2**18  # values per block of units counted at a time: its arrays stay in cache


@dataclass(frozen=True)
class Binning:
    """BINS bins per unit: bin 0 below `lo`, then equal steps from `lo`, the last bin also holding everything
    above the range. Each step of `codes` is monotone in float32 (a subtraction, a product with a positive
    number, a clip), so a higher bin means a surely higher value, which is all the AUC bound needs; values
    outside the range only crowd the end bins, which widens a unit's bound and never breaks it."""

    lo: np.ndarray  # (K, 1) float32
    scale: np.ndarray  # (K, 1) float32, > 0

    @classmethod
    def over(cls, lo: np.ndarray, hi: np.ndarray) -> Binning:
        """Bins 1 … BINS−1 over [lo, hi] per unit."""
        width = hi.astype(np.float64) - lo.astype(np.float64)
        scale = np.where(width > 0, (BINS - 2) / np.where(width > 0, width, 1.0), 1.0)
        return cls(np.asarray(lo, np.float32)[:, None], np.minimum(scale, 1e30).astype(np.float32)[:, None])

    @classmethod
    def around(cls, sample: np.ndarray) -> Binning:
        """Bins over the range of a sample (units, characters), widened by a sixteenth on each side: for a
        text whose values are not all known yet."""
        lo, hi = sample.min(axis=1), sample.max(axis=1)
        pad = (hi.astype(np.float64) - lo) / 16
        return cls.over((lo - pad).astype(np.float32), (hi + pad).astype(np.float32))

    def codes(self, x: np.ndarray, rows: slice = slice(None)) -> np.ndarray:
        """The bin of each value of x (units `rows`, characters), uint8."""
        y = x - self.lo[rows]
        y *= self.scale[rows]
        y += np.float32(1)
        np.clip(y, 0, BINS - 1, out=y)
        return y.astype(np.uint8)


def auc_bounds(h_on: np.ndarray, every: np.ndarray, n1: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """[lo, hi] of each unit's AUC from its histograms over the bins (K, BINS): where the feature is on (n1
    characters), and everywhere (T). A pair in different bins is surely ordered; a pair in the same bin may
    go either way, so hi − lo is the share of on/off pairs that share a bin."""
    h_off = every - h_on
    below = np.cumsum(h_off, axis=1) - h_off  # off characters in lower bins
    pairs = float(n1) * float(T - n1)
    lo = np.einsum("kb,kb->k", h_on.astype(np.float64), below.astype(np.float64)) / pairs
    same = np.einsum("kb,kb->k", h_on.astype(np.float64), h_off.astype(np.float64)) / pairs
    return lo, lo + same


def candidates(lo: np.ndarray, hi: np.ndarray, top: int) -> np.ndarray:
    """The units whose score max(AUC, 1 − AUC) can be among the `top` best, given AUC ∈ [lo, hi]: the score
    lies in [max(lo, 1 − hi), max(hi, 1 − lo)], and a unit whose upper end is below the `top`-th best lower
    end cannot be listed."""
    K = len(lo)
    if K <= top:
        return np.arange(K)
    best_lo, best_hi = np.maximum(lo, 1 - hi), np.maximum(hi, 1 - lo)
    bar = np.partition(best_lo, K - top)[K - top]
    return np.flatnonzero(best_hi >= bar - 1e-6)  # the margin covers the finder's rounding to 6 decimals


class Tally:
    """Sums over a text, fed blocks of (units, characters) in any order, each character exactly once.

    `values` (T, F) are the features at every character, `onoff` (F,) which are on/off; `binning`, if given,
    turns on the histograms (and `every`, each unit's histogram over all characters); `codes`, if given with
    it, (K, T) uint8, receives every value's bin (for a capture kept in memory, so that later features are
    bounded without recomputing them)."""

    def __init__(self, values: np.ndarray, onoff: np.ndarray, units: int, binning: Binning | None = None,
                 codes: np.ndarray | None = None):
        T, K = len(values), units
        self.T, self.K, self.binning, self.codes_out = T, K, binning, codes
        self.onoff = np.asarray(onoff, bool)
        self.ramps = np.flatnonzero(~self.onoff)
        f = values[:, self.ramps].astype(np.float64)
        fc = f - f.mean(axis=0)
        self.sf = np.sqrt((fc * fc).sum(axis=0))
        self.g = np.concatenate([np.ones((T, 1)), fc], axis=1)  # Σx and each Σx·f in one product
        self.sums = np.zeros((K, 1 + len(self.ramps)))
        self.squares = np.zeros(K)
        self.shift: np.ndarray | None = None
        on = values[:, self.onoff] > 0
        self.n1 = on.sum(axis=0)
        self.counted = [j for j in range(on.shape[1]) if 0 < self.n1[j] < T]
        self.groups = _groups(on, self.counted) if binning is not None else []
        self.h_on = [np.zeros((K, len(cols), BINS), np.int32) for cols, _, _ in self.groups]
        self.every = np.zeros((K, BINS), np.int64)

    def add(self, block: np.ndarray, pos: np.ndarray | None = None) -> None:
        """Values (K, n) of every unit at the characters `pos` (n,); None: all T characters, in order."""
        K, n = block.shape
        if n == 0:
            return
        if self.shift is None:
            self.shift = block[:, 0].astype(np.float64)
        g = self.g if pos is None else self.g[pos]
        patterns = [(p if pos is None else p[pos], m) for _, p, m in self.groups]
        rows = max(1, CELLS // n)
        for a in range(0, K, rows):
            part = slice(a, min(K, a + rows))
            x = block[part]
            if len(self.ramps):
                d = x.astype(np.float64)
                d -= self.shift[part, None]
                self.sums[part] += d @ g
                self.squares[part] += np.einsum("ij,ij->i", d, d)
            if self.binning is not None:
                c = self.binning.codes(x, part)
                if self.codes_out is not None:
                    self.codes_out[part] = c
                self._count(c, part, patterns)

    def _count(self, c: np.ndarray, part: slice, patterns: list[tuple[np.ndarray, np.ndarray]]) -> None:
        b = c.shape[0]
        if not patterns:
            keys = c.astype(np.int32) + (np.arange(b, dtype=np.int32) * BINS)[:, None]
            self.every[part] += np.bincount(keys.ravel(), minlength=b * BINS).reshape(b, BINS)
            return
        for k, (p, member) in enumerate(patterns):
            P = len(member)
            keys = c.astype(np.int32)
            keys += (p * BINS)[None, :]
            keys += (np.arange(b, dtype=np.int32) * (P * BINS))[:, None]
            h = np.bincount(keys.ravel(), minlength=b * P * BINS).reshape(b, P, BINS)
            if k == 0:
                self.every[part] += h.sum(axis=1)
            self.h_on[k][part] += np.matmul(member.T, h).astype(np.int32)  # (b, features, BINS)

    def r(self) -> np.ndarray:
        """Pearson's r (K, F) of every unit with each ramp; NaN for on/off features and units that never move."""
        r = np.full((self.K, len(self.onoff)), np.nan)
        if len(self.ramps) and self.T:
            s1 = self.sums[:, 0]
            sx = np.sqrt(np.maximum(self.squares - s1 * s1 / self.T, 0.0))
            with np.errstate(invalid="ignore", divide="ignore"):
                r[:, self.ramps] = self.sums[:, 1:] / sx[:, None] / self.sf[None, :]
        return np.clip(r, -1.0, 1.0)

    def auc_bounds(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """{feature column: (lo, hi) of every unit's AUC}, for the on/off features that are neither absent
        nor everywhere."""
        columns = np.flatnonzero(self.onoff)
        out = {}
        for (cols, _, _), h in zip(self.groups, self.h_on, strict=True):
            for i, j in enumerate(cols):
                out[int(columns[j])] = auc_bounds(h[:, i], self.every, int(self.n1[j]), self.T)
        return out


def histogram_on(codes: np.ndarray, every: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Each unit's histogram (K, BINS) where `on`, from the bins of its values kept in memory (K, T): counted
    on the smaller side, the other being `every` less it."""
    K, T = codes.shape
    side = on if on.sum() <= T // 2 else ~on
    idx = np.flatnonzero(side)
    h = np.empty((K, BINS), np.int64)
    rows = max(1, CELLS // max(len(idx), 1))
    for a in range(0, K, rows):
        c = np.take(codes[a : a + rows], idx, axis=1)
        keys = c.astype(np.int32)
        keys += (np.arange(len(c), dtype=np.int32) * BINS)[:, None]
        h[a : a + len(c)] = np.bincount(keys.ravel(), minlength=len(c) * BINS).reshape(len(c), BINS)
    return h if side is on else every - h


def _groups(on: np.ndarray, cols: list[int]) -> list[tuple[list[int], np.ndarray, np.ndarray]]:
    """The on/off columns in groups whose combinations are at most MAX_PATTERNS: per group its columns, each
    character's pattern (T,) int32, and which features each pattern has on (P, features) float64."""
    out: list[tuple[list[int], np.ndarray, np.ndarray]] = []
    group: list[int] = []
    best: tuple[np.ndarray, np.ndarray] | None = None
    for j in cols:
        trial = group + [j]
        bits = (on[:, trial].astype(np.int64) << np.arange(len(trial), dtype=np.int64)).sum(axis=1)
        uniq, inverse = np.unique(bits, return_inverse=True)
        if len(uniq) > MAX_PATTERNS and group:
            out.append(_group(group, *best))
            trial = [j]
            bits = on[:, j].astype(np.int64)
            uniq, inverse = np.unique(bits, return_inverse=True)
        group, best = trial, (uniq, inverse)
    if group:
        out.append(_group(group, *best))
    return out


def _group(cols: list[int], uniq: np.ndarray, inverse: np.ndarray) -> tuple[list[int], np.ndarray, np.ndarray]:
    member = ((uniq[:, None] >> np.arange(len(cols))[None, :]) & 1).astype(np.float64)
    return cols, inverse.astype(np.int32).ravel(), member
