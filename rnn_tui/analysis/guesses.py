"""What the model predicts as it reads a text from its start: the top-k next characters and the surprisal.

Karpathy's picture puts these guesses under each character. They come from one
continuous stream from a zero state, the run `rnn-tui export` makes, and never
from the pieces the finder may read side by side: a piece restarted a few dozen
characters back predicts differently for hundreds of characters (it has lost
what the model was holding). Only k ids and probabilities per character are
kept, so memory grows by a few dozen bytes a character, whatever the vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.cells import Model

Progress = Callable[[int, int], None]  # (characters done, characters in all)
CHUNK = 2048  # characters per forward call: the logits of a chunk are the largest array held


@dataclass(frozen=True)
class Guesses:
    """Per character t: the k likeliest characters to follow it (best first; equal probabilities in vocabulary
    order) and the surprisal of character t itself."""

    ids: np.ndarray  # (T, k) int32
    probs: np.ndarray  # (T, k) float32
    surprisal: np.ndarray  # (T,) float32: −log p(character t | the characters before), nats; 0 for the first
    values: np.ndarray | None = None  # (T,) float32: one unit's values on the same run, if asked for

    def __len__(self) -> int:
        return len(self.surprisal)

    def rows(self, start: int, end: int, chars: Sequence[str]) -> list[list[tuple[str, float]]]:
        """[(character, probability)] best first, for each character in [start, end)."""
        return [[(chars[int(i)], float(p)) for i, p in zip(ids, ps, strict=True)]
                for ids, ps in zip(self.ids[start:end], self.probs[start:end], strict=True)]


class GuessWriter:
    """Fills a Guesses chunk by chunk from the logits of a run over `ids` from its start."""

    def __init__(self, ids: np.ndarray, k: int = 5, unit: int | None = None):
        T = len(ids)
        self.ids = ids
        self.top = np.zeros((T, k), np.int32)
        self.probs = np.zeros((T, k), np.float32)
        self.surprisal = np.zeros(T, np.float32)
        self.values = np.empty(T, np.float32) if unit is not None else None
        self.k, self.unit = k, unit

    def add(self, a: int, logits: np.ndarray, acts: np.ndarray | None = None) -> None:
        """The predictions made after characters a … a + len(logits) − 1."""
        b = a + len(logits)
        z = logits.astype(np.float64)
        z -= z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z).sum(axis=1))
        best = np.argsort(-z, axis=1, kind="stable")[:, : self.k]
        self.top[a:b] = best
        self.probs[a:b] = np.exp(np.take_along_axis(z, best, axis=1) - lse[:, None])
        nxt = self.ids[a + 1 : b + 1]  # the character each prediction is scored on (none after the last)
        self.surprisal[a + 1 : a + 1 + len(nxt)] = lse[: len(nxt)] - z[np.arange(len(nxt)), nxt]
        if self.values is not None and acts is not None:
            self.values[a:b] = acts.reshape(b - a, -1)[:, self.unit]

    def done(self) -> Guesses:
        return Guesses(self.top, self.probs, self.surprisal, self.values)


def read(model: Model, ids: np.ndarray, k: int = 5, unit: int | None = None,
         progress: Progress | None = None) -> Guesses:
    """Run the model over `ids` from a zero state as one stream and keep its guesses (and, with `unit`, that
    flat unit's values)."""
    ids = np.asarray(ids, dtype=np.int64)
    out = GuessWriter(ids, k, unit)
    state = None
    for a in range(0, len(ids), CHUNK):
        state, logits, acts = model.forward(ids[a : a + CHUNK], state, capture=unit is not None)
        out.add(a, logits, acts)
        if progress is not None:
            progress(min(len(ids), a + CHUNK), len(ids))
    return out.done()
