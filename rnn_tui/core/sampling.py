"""Choosing the next character from the model's logits.

The random number for step `t` is a hash of (seed, t), so the text depends
only on the seed and on what was chosen at each position, not on how often
the user rewound or replayed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

MODES = ("sample", "argmax", "top-k", "top-p")


@dataclass(frozen=True)
class Sampler:
    temperature: float = 1.0
    mode: str = "sample"
    top_k: int = 5
    top_p: float = 0.9
    seed: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown sampling mode {self.mode!r}; choose one of {', '.join(MODES)}")
        if not (self.temperature >= 0):
            raise ValueError("temperature must be >= 0")
        if self.top_k < 1:
            raise ValueError("top-k must be >= 1")
        if not (0 < self.top_p <= 1):
            raise ValueError("top-p must be in (0, 1]")

    def with_(self, **changes) -> Sampler:
        return replace(self, **changes)

    @property
    def greedy(self) -> bool:
        return self.mode == "argmax" or self.temperature == 0

    def describe(self) -> str:
        if self.greedy:
            return "argmax"
        if self.mode == "top-k":
            return f"top-{self.top_k}"
        if self.mode == "top-p":
            return f"top-p {self.top_p:g}"
        return "sample"

    def distribution(self, logits: np.ndarray) -> np.ndarray:
        """The probabilities this sampler draws from (one-hot when greedy)."""
        if self.greedy:
            p = np.zeros(len(logits), dtype=np.float64)
            p[int(np.argmax(logits))] = 1.0
            return p
        x = np.asarray(logits, dtype=np.float64)
        with np.errstate(over="ignore"):  # the top one's gap first: 1e-320 made every logit ±inf, and p NaN
            p = softmax((x - x.max()) / self.temperature)
        if self.mode == "top-k" and self.top_k < len(p):
            cut = np.partition(p, -self.top_k)[-self.top_k]
            p = np.where(p >= cut, p, 0.0)
        elif self.mode == "top-p":
            order = np.argsort(-p, kind="stable")
            keep = np.cumsum(p[order]) - p[order] < self.top_p  # always keeps the top one
            mask = np.zeros(len(p), dtype=bool)
            mask[order[keep]] = True
            p = np.where(mask, p, 0.0)
        return p / p.sum()

    def choose(self, logits: np.ndarray, position: int) -> int:
        p = self.distribution(logits)
        if self.greedy:
            return int(np.argmax(p))
        u = uniform(self.seed, position)
        return int(min(np.searchsorted(np.cumsum(p), u, side="right"), len(p) - 1))


_MASK = (1 << 64) - 1


def _mix64(z: int) -> int:
    # splitmix64's finaliser: every input bit affects every output bit
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def uniform(seed: int, position: int) -> float:
    """A uniform number in [0, 1) that depends only on (seed, position)."""
    z = _mix64((_mix64(seed & _MASK) + (position + 1) * 0x9E3779B97F4A7C15) & _MASK)
    return (z >> 11) * (1.0 / 9007199254740992.0)


def softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - np.max(x))
    return z / z.sum()


def entropy(p: np.ndarray) -> float:
    """Entropy in nats."""
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum())
