"""What each unit does over a built-in passage: its range (for colour scales), mean, variance, saturation.

Computed once when a model opens, in one batched teacher-forced pass (a few tens
of milliseconds for the bundled 2×256 models), and used for three things:
- the colour scale of each unit (a robust range of its own, or one per grid);
- the orders the grids can be laid out in (by variance, mean, saturation);
- the unit the viewer opens on (`opening_unit`: the model's best known cell, found
  by the neuron finder when it was built, or else the one that varies most).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.cells import Model
from ..core.checkpoint import Checkpoint
from ..core.sampling import Sampler
from ..core.vocab import Vocab

# Public domain (Shakespeare, Globe edition): lines, speakers, punctuation, a question and a stage
# direction, so line-position, speaker and punctuation units all get something to do.
PASSAGE = """\
HAMLET:
To be, or not to be, that is the question:
Whether 'tis nobler in the mind to suffer
The slings and arrows of outrageous fortune?

  [Exeunt]

ROMEO:
But, soft! what light through yonder window breaks?
It is the east, and Juliet is the sun.
"""
# ~250 characters: the arithmetic is the cost (~130 M multiply-adds for a 2×256 LSTM, ~30 ms on one core)
OWN_TEXT = 256  # characters a model writes for itself when it knows too few of the passage's
STREAMS = 8  # the passage runs as this many pieces side by side: one scan, eight times shorter
WARMUP = 4  # steps at the start of each piece left out: the state is still settling from zero
ROBUST = 98  # the percentile of |value| that is a unit's range: one spike does not flatten the rest
MIN_PASSAGE = 120
# Steps (one character of each stream) times parameters that the pass may take: the whole passage and
# 256 characters of its own for any model up to 1 M parameters (all the bundled ones), and MIN_STEPS for
# a huge one (an LSTM 2×6400 took 27 s over the whole passage, before its first frame).
WORK = 1 << 28
MIN_STEPS = 4 * WARMUP

@dataclass(frozen=True)
class UnitStats:
    """Per (layer, quantity, unit) figures over the passage, each of shape (layers, quantities, hidden)."""

    scale: np.ndarray  # robust |value| range of each signed unit (1 for gates)
    shared: np.ndarray  # (layers, quantities): one range per grid (90 % of its units' ranges fit), >= 1 if signed
    mean: np.ndarray
    variance: np.ndarray
    saturation: np.ndarray  # fraction of steps within 10 % of an end of the unit's range

    def order(self, layer: int, quantity: int, by: str) -> tuple[int, ...]:
        """The units of one grid, laid out by `by` ("index", "variance", "mean", "saturation"), largest first."""
        if by == "index":
            return tuple(range(self.mean.shape[2]))
        values = getattr(self, by)[layer, quantity]
        return tuple(int(u) for u in np.argsort(-values, kind="stable"))


def affordable_steps(model: Model) -> int:
    """How many steps in a row the pass may run on this model (see WORK)."""
    return max(MIN_STEPS, WORK // max(model.config.parameters(), 1))


def passage_ids(model: Model, vocab: Vocab) -> np.ndarray:
    """The passage in the model's characters; a model that knows too few of them writes its own (seed 0).
    A huge model gets the part of it that it can run in WORK (see `pieces`)."""
    steps = affordable_steps(model)
    ids = [vocab.index[ch] for ch in PASSAGE if ch in vocab]
    if len(ids) >= MIN_PASSAGE:
        return np.array(ids[: STREAMS * steps], dtype=np.int64)
    sampler, state = Sampler(seed=0), model.initial_state()
    out = [ids[0] if ids else 0]
    for t in range(min(OWN_TEXT, steps)):
        state, logits, _ = model.step(state, out[-1])
        out.append(sampler.choose(logits, t))
    return np.array(out, dtype=np.int64)


def pieces(ids: np.ndarray) -> np.ndarray:
    """The passage as (streams, steps) run side by side: STREAMS of them, fewer where that would leave a
    piece with less than WARMUP steps to measure after its own."""
    streams = max(1, min(STREAMS, len(ids) // (2 * WARMUP)))
    n = len(ids) // streams
    return ids[: n * streams].reshape(streams, n)


def measure(model: Model, vocab: Vocab) -> UnitStats:
    _, _, acts = model.forward(pieces(passage_ids(model, vocab)), capture=True)
    acts = acts[:, min(WARMUP, acts.shape[1] - 1):].reshape(-1, *acts.shape[2:])  # (steps, layers, quantities, hidden)
    signed = np.array([q in model.cell.signed for q in model.config.quantities])
    k = int(ROBUST / 100 * (len(acts) - 1))
    robust = np.partition(np.abs(acts), k, axis=0)[k]  # a partition, not a percentile: 2.5x faster
    scale = np.where(signed[None, :, None], np.maximum(robust, 1e-3), 1.0)
    shared = np.where(signed[None, :], np.maximum(np.percentile(scale, 90, axis=2), 1.0), 1.0)
    unit_x = np.where(signed[None, None, :, None], acts / scale[None], 2 * acts - 1)  # −1…1 on its own range
    return UnitStats(
        scale=scale.astype(np.float32),
        shared=shared.astype(np.float32),
        mean=acts.mean(axis=0),
        variance=acts.var(axis=0),
        saturation=(np.abs(unit_x) > 0.9).mean(axis=0),
    )


def opening_unit(stats: UnitStats, checkpoint: Checkpoint) -> tuple[int, int, int]:
    """(layer, quantity index, unit) the viewer opens on: the checkpoint's best known cell (its line-position
    cell, for the bundled models), or else the top layer's h unit that varies most over the passage."""
    from .known_cells import first_known

    cell = first_known(checkpoint)
    quantities = checkpoint.config.quantities
    if cell is not None:
        return cell.layer, quantities.index(cell.quantity), cell.unit
    layer, quantity = checkpoint.config.layers - 1, len(quantities) - 1  # where readable units tend to be
    return layer, quantity, int(np.argmax(stats.variance[layer, quantity]))
