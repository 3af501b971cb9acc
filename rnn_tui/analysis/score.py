"""How likely a model finds a word after a context: the surprisal of each candidate, in bits and nats.

A character model gives every next character a probability, so a whole word
gets one too: the product of its characters' probabilities, each given the
context and the characters of the word before it. Its surprisal is the sum of
their −log p; a bit halves the probability. The context is read from the
model's initial state with the same teacher-forced pass `rnn-tui export` makes,
and the probabilities are `next_char_probabilities` of its logits, so `score`
and `export` give the same numbers to the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core.safe import safe_text

LN2 = math.log(2)


def next_char_probabilities(logits: np.ndarray) -> np.ndarray:
    """Softmax of logits (..., V) in float64: the probability of every next character."""
    z = logits.astype(np.float64)
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    return p


@dataclass(frozen=True)
class Score:
    candidate: str
    probs: tuple[float, ...]  # p of each character of the candidate, given everything before it

    @property
    def nats(self) -> float:
        return float(sum(-math.log(p) if p > 0 else math.inf for p in self.probs))

    @property
    def bits(self) -> float:
        return self.nats / LN2

    @property
    def char_bits(self) -> tuple[float, ...]:
        """Each character's surprisal in bits: where the word becomes likely or unlikely."""
        return tuple(-math.log2(p) if p > 0 else math.inf for p in self.probs)

    @property
    def probability(self) -> float:
        return math.exp(-self.nats)

    def to_json(self) -> dict:
        return {"candidate": self.candidate, "bits": self.bits, "nats": self.nats,
                "chars": list(self.char_bits), "probability": self.probability}


def score(model, vocab, context: str, candidates: Sequence[str]) -> list[Score]:
    """Every candidate's score after `context`, likeliest first (ties keep the order given).

    Each candidate is read as `context + candidate` from the initial state in one
    `forward` pass, exactly as `export` reads a text. The caller checks that the
    context is not empty and that every character is in `vocab`.
    """
    n = len(context)
    scores = []
    for cand in candidates:
        ids = vocab.encode(context + cand)
        _, logits, _ = model.forward(ids, capture=True)
        p = next_char_probabilities(logits[n - 1 : n - 1 + len(cand)])
        scores.append(Score(cand, tuple(float(x) for x in p[np.arange(len(cand)), ids[n:]])))
    order = sorted(range(len(scores)), key=lambda i: (scores[i].nats, i))
    return [scores[i] for i in order]


def describe(s: Score, best: Score | None = None) -> str:
    """One line: the candidate's bits, nats, probability, and how many times less likely than the best."""
    line = f"{s.bits:7.2f} bits  {s.nats:7.2f} nats  p = {s.probability:.3g}"
    if best is not None and best is not s and math.isfinite(s.bits):
        line += f"  ({2 ** (s.bits - best.bits):,.0f}× less likely than {safe_text(best.candidate, 30)!r})"
    return line
