"""Two to four models read the same characters; compare what each expected, character by character.

All models are fed every character (a prime, a text to analyse, a forced
character, or one the leader samples), so their rows line up position by
position: the probability each gave to the character that came, its surprisal
in bits, and the running loss. Models with different vocabularies are compared
on the characters they all know: text outside that set is refused, and the
leader samples only from it (its distribution renormalised over the shared
characters), which the `note` says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core.cells import Model
from ..core.safe import glyph, safe_text
from ..core.sampling import Sampler, softmax
from ..core.vocab import Vocab

MAX_MODELS = 4  # four columns of top-5 fit 80 columns (the RNN, GRU, LSTM and transformer); more would not
LN2 = float(np.log(2))


@dataclass(frozen=True)
class Entry:
    name: str
    model: Model
    vocab: Vocab


@dataclass(frozen=True)
class Column:
    """One model's view after the last character fed."""

    name: str
    label: str  # "LSTM 2×256"
    top: list[tuple[str, float]]  # the next character's top 5: (glyph, probability)
    p_actual: float  # probability it gave to the last character fed (NaN before the second)
    bits: float  # its surprisal, −log2 p_actual
    loss: float  # mean surprisal over every character predicted so far, bits/char (NaN before any)


def shared_characters(vocabs: Sequence[Vocab]) -> tuple[list[str], str]:
    """The characters every vocabulary has (in the first one's order), and a note when they differ."""
    common = [ch for ch in vocabs[0].chars if all(ch in v for v in vocabs[1:])]
    if all(set(v.chars) == set(vocabs[0].chars) for v in vocabs[1:]):
        return common, ""
    if not common:
        raise ValueError("these models share no character, so they cannot read the same text")
    return common, (f"vocabularies differ: aligned on the {len(common)} characters all of them know; "
                    "each model's probabilities still spread over its own characters")


class SideBySide:
    """The models' states and what each predicted at every position of the text fed so far."""

    def __init__(self, entries: Sequence[Entry], sampler: Sampler | None = None, top: int = 5):
        if len(entries) < 2:
            raise ValueError("side by side needs at least two models")
        if len(entries) > MAX_MODELS:
            raise ValueError(f"{len(entries)} models do not fit side by side; choose at most {MAX_MODELS}")
        self.entries = list(entries)
        self.chars, self.note = shared_characters([e.vocab for e in entries])
        self._shared = set(self.chars)
        # the leader samples; each model's ids of the shared characters, to restrict its distribution
        self._leader_ids = np.array([entries[0].vocab.index[ch] for ch in self.chars])
        self.sampler = sampler or Sampler()
        self.top = top
        self.reset()

    def reset(self) -> None:
        self.text = ""
        self._states = [e.model.initial_state() for e in self.entries]
        self._logits = [np.zeros(e.model.config.vocab_size, np.float32) for e in self.entries]
        self._bits: list[list[float]] = [[] for _ in self.entries]  # surprisal of characters 1…n−1

    def unknown(self, text: str) -> list[str]:
        return list(dict.fromkeys(ch for ch in text if ch not in self._shared))

    def feed(self, text: str) -> None:
        """Teacher-force `text` into every model (a prime, or a text to analyse) in one batched pass each."""
        missing = self.unknown(text)
        if missing:
            raise ValueError(f"not every model knows {safe_text(''.join(missing))!r}")
        if not text:
            return
        for k, e in enumerate(self.entries):
            ids = e.vocab.encode(text)
            state, logits, _ = e.model.forward(ids, self._states[k])
            # the first character is scored by the logits from before it, the rest by the run's own
            before = np.concatenate([self._logits[k][None], logits[:-1]]) if self.text else logits[:-1]
            scored = ids if self.text else ids[1:]
            self._bits[k].extend(_surprisal_bits(before, scored).tolist())
            self._states[k], self._logits[k] = state, logits[-1]
        self.text += text

    def force(self, ch: str) -> None:
        """One character, into every model (step by step, as play does)."""
        if ch not in self._shared:
            raise ValueError(f"not every model knows {safe_text(ch)!r}")
        for k, e in enumerate(self.entries):
            i = e.vocab.index[ch]
            if self.text:
                self._bits[k].append(float(_surprisal_bits(self._logits[k][None], np.array([i]))[0]))
            self._states[k], self._logits[k], _ = e.model.step(self._states[k], i)
        self.text += ch

    def step(self) -> str:
        """The leader (first model) samples a shared character; every model reads it."""
        logits = self._logits[0][self._leader_ids]
        ch = self.chars[self.sampler.choose(logits, len(self.text))]
        self.force(ch)
        return ch

    def back(self, n: int = 1) -> None:
        """Forget the last n characters: the models reread what is left."""
        text = self.text[: max(0, len(self.text) - n)]
        self.reset()
        self.feed(text)

    def surprisal(self, model: int) -> np.ndarray:
        """Bits for each character after the first: how surprised `model` was by it."""
        return np.asarray(self._bits[model])

    def columns(self) -> list[Column]:
        out = []
        for k, e in enumerate(self.entries):
            p = softmax(self._logits[k].astype(np.float64))
            order = np.argsort(-p, kind="stable")[: self.top]
            bits = self._bits[k]
            last = bits[-1] if bits else float("nan")
            out.append(Column(e.name, e.model.config.label, [(glyph(e.vocab.chars[i]), float(p[i])) for i in order],
                              float(2.0 ** -last), last, float(np.mean(bits)) if bits else float("nan")))
        return out


def _surprisal_bits(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    x = logits.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(x - m).sum(axis=1))
    return (lse - x[np.arange(len(targets)), targets]) / LN2
