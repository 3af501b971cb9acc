"""What the finder needs of every unit, summed block by block over a text, in memory that does not grow with it.

- For Pearson's r with each ramp feature: the unit's sum, its sum of squares
  and its sums against the centred features, in float64 over values shifted by
  one of the unit's own values (exact float32 values, so a unit that sits near
  1 keeps its wiggles).
- For the AUC with each on/off feature: a histogram of the unit's values in
  BINS monotone bins, split by where the feature is on. Counting the on/off
  pairs in different bins bounds the unit's AUC (`auc_bounds`), so that only
  the units whose bound reaches the list are sorted exactly.

Each feature is counted on its smaller side (where it is on, or where it is
off), the other side being the unit's histogram over all characters less it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINS = 256  # one byte a value
CELLS = 2**18  # values per block of units counted at a time: its arrays stay in cache


@dataclass(frozen=True)
class Binning:
    """BINS bins per unit: bin 0 below `lo`, then equal steps from `lo`, the last bin also holding everything
    above the range. Each step of `codes` is monotone in float32 (a subtraction, a product with a positive
    number, a clip), so a higher bin means a surely higher value, which is all the AUC bound needs; values
    outside the range only crowd the end bins, which widens a unit's bound and never breaks it."""

    lo: np.ndarray  # (K,) float32
    scale: np.ndarray  # (K,) float32, > 0
    bins: int = BINS

    @classmethod
    def over(cls, lo: np.ndarray, hi: np.ndarray, bins: int = BINS) -> Binning:
        """Bins 1 … bins−1 over [lo, hi] per unit."""
        width = hi.astype(np.float64) - lo.astype(np.float64)
        scale = np.where(width > 0, (bins - 2) / np.where(width > 0, width, 1.0), 1.0)
        return cls(np.asarray(lo, np.float32), np.minimum(scale, 1e30).astype(np.float32), bins)

    @classmethod
    def around(cls, sample: np.ndarray) -> Binning:
        """Bins over the range of a sample (characters, units), widened by a sixteenth on each side: for a
        text whose values are not all known yet."""
        lo, hi = sample.min(axis=0), sample.max(axis=0)
        pad = (hi.astype(np.float64) - lo) / 16
        return cls.over((lo - pad).astype(np.float32), (hi + pad).astype(np.float32))

    def codes(self, x: np.ndarray, units: slice = slice(None)) -> np.ndarray:
        """The bin of each value of x (characters, units `units`), uint8 (uint16 past 256 bins)."""
        y = x - self.lo[units]
        y *= self.scale[units]
        y += np.float32(1)
        np.clip(y, 0, self.bins - 1, out=y)
        return y.astype(np.uint8 if self.bins <= 256 else np.uint16)


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
    """Sums over a text, fed blocks of (characters, units) in any order, each character exactly once.

    `values` (T, F) are the features at every character, `onoff` (F,) which are on/off; `binning`, if given,
    turns on the histograms (and `every`, each unit's histogram over all characters): a Binning, or a number
    of bins over each unit's own range, found in the block itself (which must then hold every character);
    `codes`, if given with it, (K, T) uint8, receives every value's bin (for a capture kept in memory, so
    that later features are bounded without binning again). A block is worked through a few units at a
    time, which stay in cache, whatever its memory layout: a capture's (K, T) values go in transposed,
    without a copy."""

    def __init__(self, values: np.ndarray, onoff: np.ndarray, units: int, binning: Binning | int | None = None,
                 codes: np.ndarray | None = None):
        T, K = len(values), units
        self.T, self.K, self.binning, self.codes_out = T, K, binning, codes
        self.onoff = np.asarray(onoff, bool)
        self.ramps = np.flatnonzero(~self.onoff)
        f = values[:, self.ramps].astype(np.float64)
        fc = f - f.mean(axis=0)
        self.sf = np.sqrt((fc * fc).sum(axis=0))
        self.g = np.concatenate([np.ones((T, 1)), fc], axis=1).T.copy()  # Σx and each Σx·f in one product
        self.sums = np.zeros((1 + len(self.ramps), K))
        self.squares = np.zeros(K)
        self.shift: np.ndarray | None = None
        on = values[:, self.onoff] > 0
        self.n1 = on.sum(axis=0)
        self.counted = [j for j in range(on.shape[1]) if 0 < self.n1[j] < T and binning is not None]
        # each feature is counted on its smaller side (the other is `every` less it)
        self.on_side = np.array([self.n1[j] <= T // 2 for j in self.counted], bool)
        self.side = on[:, self.counted] == self.on_side[None, :]  # (T, counted)
        bins = binning.bins if isinstance(binning, Binning) else binning or BINS
        self.bins = bins
        self.h_side = np.zeros((len(self.counted), K, bins), np.int32)
        self.every = np.zeros((K, bins), np.int64)

    def add(self, block: np.ndarray, pos: np.ndarray | None = None) -> None:
        """Values (n, K) of every unit at the characters `pos` (n,); None: all T characters, in order."""
        n, K = block.shape
        if n == 0:
            return
        if self.binning and not isinstance(self.binning, Binning) and (pos is not None or n != self.T):
            raise ValueError("bins over each unit's own range need every character in one block")
        if self.shift is None:
            self.shift = block[0].astype(np.float64)
        g = self.g if pos is None else self.g[:, pos]
        side = self.side if pos is None else self.side[pos]
        sides = [np.flatnonzero(side[:, i]) for i in range(side.shape[1])]
        width = max(1, CELLS // n)
        for a in range(0, K, width):
            part = slice(a, min(K, a + width))
            x = block[:, part]
            if len(self.ramps):
                d = x.astype(np.float64)
                d -= self.shift[part]
                self.sums[:, part] += g @ d
                self.squares[part] += np.einsum("ij,ij->j", d, d)
            if isinstance(self.binning, Binning):
                c = self.binning.codes(x, part)
            elif self.binning:
                c = Binning.over(x.min(axis=0), x.max(axis=0), self.binning).codes(x)
            else:
                continue
            if self.codes_out is not None:
                self.codes_out[part] = c.T
            keys = _keys(c, self.bins)
            _count(self.every[part], keys.ravel(order="K"))
            for i, idx in enumerate(sides):
                _count(self.h_side[i, part], _rows(keys, idx).ravel(order="K"))

    def r(self) -> np.ndarray:
        """Pearson's r (K, F) of every unit with each ramp; NaN for on/off features and units that never move."""
        r = np.full((self.K, len(self.onoff)), np.nan)
        if len(self.ramps) and self.T:
            s1 = self.sums[0]
            sx = np.sqrt(np.maximum(self.squares - s1 * s1 / self.T, 0.0))
            with np.errstate(invalid="ignore", divide="ignore"):
                r[:, self.ramps] = self.sums[1:].T / sx[:, None] / self.sf[None, :]
        return np.clip(r, -1.0, 1.0)

    def auc_bounds(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """{feature column: (lo, hi) of every unit's AUC}, for the on/off features that are neither absent
        nor everywhere."""
        columns = np.flatnonzero(self.onoff)
        out = {}
        for i, j in enumerate(self.counted):
            h_on = self.h_side[i] if self.on_side[i] else self.every - self.h_side[i]
            out[int(columns[j])] = auc_bounds(h_on, self.every, int(self.n1[j]), self.T)
        return out


def _rows(c: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """c[idx], gathered in c's own layout (numpy copies a transposed array to gather along its rows)."""
    if c.flags.f_contiguous and not c.flags.c_contiguous:
        return np.take(c.T, idx, axis=1).T
    return np.take(c, idx, axis=0)


def _keys(c: np.ndarray, bins: int) -> np.ndarray:
    """Where each value of c (characters, units), in any layout, counts in its units' histograms
    (units, bins) laid out flat: unit · bins + its bin."""
    keys = c.astype(np.intp)
    keys += np.arange(0, c.shape[1] * bins, bins, dtype=np.intp)
    return keys


def _count(histograms: np.ndarray, keys: np.ndarray) -> None:
    """Adds one at each of `keys` in `histograms` (units, bins), a block of rows of a C-ordered array, in
    place (numpy's add.at is faster than a bincount added afterwards, and allocates nothing)."""
    flat = histograms.reshape(-1)
    assert np.shares_memory(flat, histograms)
    np.add.at(flat, keys, flat.dtype.type(1))  # a typed one: a Python int takes a slow path


def histogram_on(codes: np.ndarray, every: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Each unit's histogram (K, BINS) where `on`, from the bins of its values kept in memory (K, T): counted
    on the smaller side, the other being `every` less it."""
    K, T = codes.shape
    side = on if on.sum() <= T // 2 else ~on
    idx = np.flatnonzero(side)
    h = np.zeros((K, BINS), np.int64)
    rows = max(1, CELLS // max(len(idx), 1))
    for a in range(0, K, rows):
        _count(h[a : a + rows], _keys(np.take(codes[a : a + rows], idx, axis=1).T, BINS).ravel(order="K"))
    return h if side is on else every - h


FINE = 4096  # bins of `fine_bounds`


def fine_bounds(data: np.ndarray, rows: np.ndarray, on: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[lo, hi] (len(rows), f) of the AUC of rows `rows` of exact values `data` (K, T) with each column of
    `on` (T, f), from FINE bins over each row's own range: a few times cheaper than sorting a row, and
    tight enough to rule out most of the units a coarse bound kept."""
    lo, hi = np.empty((len(rows), on.shape[1])), np.empty((len(rows), on.shape[1]))
    onoff = np.ones(on.shape[1], bool)
    step = max(1, 2**16 // FINE)  # units at a time: their histograms stay small
    for a in range(0, len(rows), step):
        tally = Tally(on, onoff, len(rows[a : a + step]), FINE)
        tally.add(data[rows[a : a + step]].T)
        for j, (l, h) in tally.auc_bounds().items():
            lo[a : a + step, j], hi[a : a + step, j] = l, h
    return lo, hi
