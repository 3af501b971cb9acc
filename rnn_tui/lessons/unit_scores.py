"""How well every unit tracks a feature of a text: what a lesson's `unit_tracks` check asks of the selection.

The model reads the text once from a zero state (teacher-forced, every layer and
quantity kept); for each feature the lesson names, every unit gets one number,
|Pearson r| for a count (position in line) and max(AUC, 1 − AUC) for an on/off
feature (speaker-name line), the finder's measures, computed exactly (ties get
mid-ranks). The activations are dropped once the scores are made: a table of one
number a unit a feature is all that is kept.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..analysis.features import BY_KEY, RAMP

MAX_CHARS = 2000  # enough lines for a stable score; one forward pass of an LSTM 2×256 over it is ~0.3 s
COLUMNS = 512  # units scored at a time, so the float64 copy stays a few MB


class UnitScores:
    def __init__(self, model, vocab, text: str, features: Iterable[str]):
        text = "".join(ch for ch in text[:MAX_CHARS] if ch in vocab)
        c = model.config
        self.shape = (c.layers, len(c.quantities), c.hidden)
        self.quantities = c.quantities
        self.tables: dict[str, np.ndarray] = {}
        keys = [k for k in dict.fromkeys(features) if k in BY_KEY]
        if len(text) < 10 or not keys:
            return
        _, _, acts = model.forward(vocab.encode(text), capture=True)
        x = acts.reshape(len(text), -1)
        for key in keys:
            f = BY_KEY[key](text).astype(np.float64)
            if f.std() == 0:
                continue  # the text has none of it: no unit can be said to track it
            ramp = BY_KEY[key].kind == RAMP
            parts = [(np.abs(_pearson(x[:, a : a + COLUMNS], f)) if ramp
                      else _auc_distance(x[:, a : a + COLUMNS], f > 0.5)) for a in range(0, x.shape[1], COLUMNS)]
            self.tables[key] = np.nan_to_num(np.concatenate(parts)).reshape(self.shape)

    def score(self, key: str, layer: int, quantity: str, unit: int) -> float | None:
        table = self.tables.get(key)
        if table is None or quantity not in self.quantities:
            return None
        return float(table[layer, self.quantities.index(quantity), unit])


def _pearson(x: np.ndarray, f: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    xc = x - x.mean(axis=0)
    fc = f - f.mean()
    denom = np.sqrt((xc**2).sum(axis=0) * (fc**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return (fc @ xc) / denom


def _auc_distance(x: np.ndarray, on: np.ndarray) -> np.ndarray:
    """max(AUC, 1 − AUC) of each column separating `on` from the rest, ties at mid-ranks (all columns at once)."""
    T = len(x)
    n_on = int(on.sum())
    n_off = T - n_on
    if n_on == 0 or n_off == 0:
        return np.zeros(x.shape[1])
    order = np.argsort(x, axis=0, kind="stable")
    s = np.take_along_axis(x, order, axis=0)
    idx = np.arange(T)[:, None]
    step = s[1:] != s[:-1]
    starts = np.vstack([np.ones((1, s.shape[1]), bool), step])  # a tie group begins here
    ends = np.vstack([step, np.ones((1, s.shape[1]), bool)])  # ...and ends here
    first = np.maximum.accumulate(np.where(starts, idx, 0), axis=0)
    last = np.minimum.accumulate(np.where(ends, idx, T - 1)[::-1], axis=0)[::-1]
    ranks = np.empty((T, x.shape[1]))
    np.put_along_axis(ranks, order, (first + last) / 2 + 1, axis=0)
    auc = (ranks[on].sum(axis=0) - n_on * (n_on + 1) / 2) / (n_on * n_off)
    return np.maximum(auc, 1 - auc)
