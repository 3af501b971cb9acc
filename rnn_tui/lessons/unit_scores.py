"""How well every unit tracks a feature of a text: what a lesson's `unit_tracks` check asks of the selection.

The model reads the text once from a zero state (teacher-forced, every layer and
quantity kept); for each feature asked, every unit gets one number, |Pearson r|
for a count (position in line) and max(AUC, 1 − AUC) for an on/off feature
(speaker-name line), the finder's measures, computed exactly. Cached per
feature, so a check a few times a second costs a lookup.
"""

from __future__ import annotations

import numpy as np

from ..analysis.features import BY_KEY, RAMP

MAX_CHARS = 3000  # enough lines for a stable r; one forward pass of an LSTM 2×256 over it takes ~0.2 s


class UnitScores:
    def __init__(self, model, vocab, text: str):
        text = "".join(ch for ch in text[:MAX_CHARS] if ch in vocab)
        self.text = text
        self._model, self._vocab = model, vocab
        self._acts: np.ndarray | None = None  # (T, layers * quantities * hidden), float64
        self._scores: dict[str, np.ndarray] = {}
        c = model.config
        self.shape = (c.layers, len(c.quantities), c.hidden)
        self.quantities = c.quantities

    def _activations(self) -> np.ndarray:
        if self._acts is None:
            _, _, acts = self._model.forward(self._vocab.encode(self.text), capture=True)
            self._acts = acts.reshape(len(self.text), -1).astype(np.float64)
        return self._acts

    def all_units(self, key: str) -> np.ndarray | None:
        """(layers, quantities, hidden) scores for feature `key`; None if the text has too little of it."""
        if key not in self._scores:
            if len(self.text) < 10:
                return None
            f = BY_KEY[key](self.text).astype(np.float64)
            if f.std() == 0:
                return None
            x = self._activations()
            s = np.abs(_pearson(x, f)) if BY_KEY[key].kind == RAMP else _auc_distance(x, f > 0.5)
            self._scores[key] = np.nan_to_num(s).reshape(self.shape)
        return self._scores[key]

    def score(self, key: str, layer: int, quantity: str, unit: int) -> float | None:
        s = self.all_units(key)
        if s is None or quantity not in self.quantities:
            return None
        return float(s[layer, self.quantities.index(quantity), unit])


def _pearson(x: np.ndarray, f: np.ndarray) -> np.ndarray:
    xc = x - x.mean(axis=0)
    fc = f - f.mean()
    denom = np.sqrt((xc**2).sum(axis=0) * (fc**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return (fc @ xc) / denom


def _auc_distance(x: np.ndarray, on: np.ndarray) -> np.ndarray:
    """max(AUC, 1 − AUC) of each column separating `on` from the rest (ties get mid-ranks)."""
    n_on, n_off = int(on.sum()), int((~on).sum())
    if n_on == 0 or n_off == 0:
        return np.zeros(x.shape[1])
    order = np.argsort(x, axis=0, kind="stable")
    ranks = np.empty_like(x)
    np.put_along_axis(ranks, order, np.arange(1, len(x) + 1, dtype=np.float64)[:, None], axis=0)
    # mid-ranks for ties, so a saturated unit is not given an order it does not have
    sorted_x = np.take_along_axis(x, order, axis=0)
    for col in np.nonzero((np.diff(sorted_x, axis=0) == 0).any(axis=0))[0]:
        _, inv, counts = np.unique(x[:, col], return_inverse=True, return_counts=True)
        first = np.concatenate(([0], np.cumsum(counts)[:-1]))
        ranks[:, col] = (first + (counts + 1) / 2)[inv]
    auc = (ranks[on].sum(axis=0) - n_on * (n_on + 1) / 2) / (n_on * n_off)
    return np.maximum(auc, 1 - auc)
