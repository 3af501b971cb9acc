"""Teacher-forced capture: every quantity of every layer over a text, kept as the exact float32 values.

What the finder, Karpathy's view and select & match read. Nothing is rounded
or clipped: an LSTM's cell state is not bounded (some units integrate over
the whole text and reach thousands), and the finder ranks on the values
themselves. Memory is 4 bytes per unit per character (`bytes_needed`); a text
too long for MAX_ANALYSIS_BYTES is ranked by `finder.rank_text`, which keeps
per-unit sums and the values of only a few units, so any length fits.

How the text is read. With `streams=1` the model reads it from its start as
one continuous stream: exactly what `rnn-tui export` computes. With several
streams (the default, several times faster on a CPU) the text is cut into
pieces read side by side, each after a warm-up (core/pieces.py). That is not
the same run: a unit whose memory is longer than the warm-up (an integrating
cell state) differs from the continuous run near the start of each piece.
Measured on 20,000 held-out characters of shakespeare-lstm, 32 pieces,
64-character warm-up: the #1 unit of 13 of its 14 features was the same as on
one continuous stream and its score within 0.003, but one unit's score moved
by 0.11 and indentation's #1 changed. Rankings that must be exact (the known
cells) read the text as one stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.cells import Model
from ..core.errors import UserError
from ..core.pieces import WARMUP, Layout, layout
from ..core.vocab import Vocab
from .guesses import Guesses, GuessWriter, Progress

# A limit a user can understand: analysing in memory keeps 4 bytes per unit per character.
MAX_ANALYSIS_BYTES = 512 * 2**20
SATURATION_LO, SATURATION_HI = 0.1, 0.9  # the paper's thresholds (Fig. 3)
BYTES_PER_VALUE = 4


@dataclass
class Capture:
    """A text and the exact values of some (by default all) units at every character."""

    text: str
    ids: np.ndarray  # (T,) int64; a character outside the vocabulary is fed as a space
    oov: np.ndarray  # (T,) bool: characters that were not in the vocabulary
    data: np.ndarray  # (K, T) float32: row k is unit index[k] over the text
    index: np.ndarray  # (K,) int64: the flat unit indices held, ascending
    layers: int
    quantities: tuple[str, ...]
    hidden: int
    gates: frozenset[str]  # the quantities in (0, 1)
    cell: str
    streams: int = 1  # how the text was read (see the module docstring)
    warmup: int = 0
    # per (layer, gate): counts of characters below SATURATION_LO and above SATURATION_HI, each (hidden,)
    saturation: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    guesses: Guesses | None = None  # the model's top guesses and surprisal, when read as one stream
    # kept by the finder after its first ranking: each value's bin (K, T) uint8 and each unit's count of
    # characters per bin (K, BINS), which bound the AUC of any later feature (see tally.py)
    bins: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.text)

    @property
    def units(self) -> int:
        """Units in the model (all layers and quantities)."""
        return self.layers * len(self.quantities) * self.hidden

    @property
    def continuous(self) -> bool:
        return self.streams == 1

    def unit_index(self, layer: int, quantity: str, unit: int) -> int:
        return (layer * len(self.quantities) + self.quantities.index(quantity)) * self.hidden + unit

    def unit_name(self, index: int) -> tuple[int, str, int]:
        """(layer, quantity, unit) of a flat index."""
        return unit_name(index, self.quantities, self.hidden)

    def values(self, index: int) -> np.ndarray:
        """One unit's exact values over the text, float32 (T,)."""
        k = int(np.searchsorted(self.index, index))
        if k >= len(self.index) or self.index[k] != index:
            raise KeyError(f"unit {index} was not captured")
        return self.data[k]


def unit_name(index: int, quantities: tuple[str, ...], hidden: int) -> tuple[int, str, int]:
    """(layer, quantity, unit) of a flat unit index."""
    lq, unit = divmod(int(index), hidden)
    layer, q = divmod(lq, len(quantities))
    return layer, quantities[q], unit


def unit_count(model: Model) -> int:
    """Units in all layers and quantities: the rows the finder ranks."""
    c = model.config
    return c.layers * len(c.quantities) * c.hidden


def bytes_needed(model: Model, n_chars: int, units: int | None = None) -> int:
    return n_chars * (unit_count(model) if units is None else units) * BYTES_PER_VALUE


def check_content(text: str, what: str) -> None:
    """A UserError naming `what` if the text is empty or looks binary."""
    if not text:
        raise UserError(f"{what}: empty, nothing to analyse")
    if "\x00" in text[:65536]:
        raise UserError(f"{what}: looks like a binary file (it contains NUL bytes)")


def check_text(model: Model, text: str, what: str) -> None:
    """A UserError naming `what` if the text is empty, looks binary, or is too large to analyse in memory."""
    check_content(text, what)
    if bytes_needed(model, len(text)) > MAX_ANALYSIS_BYTES:
        fits = MAX_ANALYSIS_BYTES // bytes_needed(model, 1)
        raise UserError(f"{what}: {len(text):,} characters; analysing here keeps {bytes_needed(model, 1):,} bytes "
                        f"per character for this model, so at most {fits:,} fit in {MAX_ANALYSIS_BYTES // 2**20} MiB "
                        f"(rnn-tui analyze ranks a text of any length)")


def encode(vocab: Vocab, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(ids, oov mask): a character outside the vocabulary becomes a space (or the first character) and is marked."""
    fallback = vocab.index.get(" ", 0)
    ids = np.fromiter((vocab.index.get(ch, -1) for ch in text), dtype=np.int64, count=len(text))
    oov = ids < 0
    ids[oov] = fallback
    return ids, oov


def capture(model: Model, vocab: Vocab, text: str, *, streams: int = 64, warmup: int = WARMUP, chunk: int | None = None,
            units: np.ndarray | None = None, guesses: int = 0, progress: Progress | None = None) -> Capture:
    """Run the model teacher-forced over `text`, keeping the exact values of `units` (flat indices; default all).
    See the module docstring for `streams` and `warmup`. With `streams=1`, `guesses=k` also keeps the model's
    top k guesses after each character (the same run, so they are exact). `chunk`: steps per forward call
    (default `chunk_steps`)."""
    c = model.config
    ids, oov = encode(vocab, text)
    U = unit_count(model)
    index = np.arange(U) if units is None else np.unique(np.asarray(units, dtype=np.int64))
    gates = frozenset(q for q in c.quantities if q not in c.kind.signed)
    lay = layout(len(ids), streams, warmup)
    sat = _Saturation(c, gates)
    writer = GuessWriter(ids, guesses) if guesses and lay.streams == 1 else None
    if chunk is None:
        chunk = chunk_steps(lay)
    data = unit_values(model, ids, lay, chunk, index, writer=writer, saturation=sat, progress=progress)
    return Capture(text, ids, oov, data, index, c.layers, c.quantities, c.hidden, gates, c.cell,
                   1 if lay.streams == 1 else streams, 0 if lay.streams == 1 else warmup, sat.counts,
                   writer.done() if writer is not None else None)


def chunk_steps(lay: Layout) -> int:
    """Steps per forward call: 256 on one stream (a call's overhead is paid per step of every layer), 64 on
    several (16 stored a 20,000-character capture 3-8 % faster, but made the finder's two passes over
    100,000 characters slower: 8.2-8.5 s against 7.7-8.1 s)."""
    return 256 if lay.streams == 1 else 64


def unit_values(model: Model, ids: np.ndarray, lay: Layout, chunk: int, index: np.ndarray, *,
                writer: GuessWriter | None = None, saturation: _Saturation | None = None,
                progress: Progress | None = None) -> np.ndarray:
    """The exact values (len(index), T) of the units `index` (ascending flat indices) over the text `ids`
    read as `lay` says, `chunk` steps per forward call."""
    U, T = unit_count(model), len(ids)
    every = len(index) == U
    data = np.empty((len(index), T), np.float32)
    done, told = 0, 0
    for acts, keep, pieces in run(model, ids, lay, chunk, writer):
        flat = acts.reshape(acts.shape[0], acts.shape[1], U)
        for b, s0, s1, p0 in pieces:
            kept = flat[b, s0:s1]
            data[:, p0 : p0 + s1 - s0] = (kept if every else kept[:, index]).T
            done += s1 - s0
        if saturation is not None:
            saturation.add(acts, keep)
        if progress is not None and (done - told >= T // 100 or done == T) and done > told:
            told = done  # at most about a hundred reports: a viewer's progress bar waits on each
            progress(done, T)
    return data


Piece = tuple[int, int, int, int]  # (stream, first kept step, end step, where that step is in the text)


def run(model: Model, ids: np.ndarray, lay: Layout, chunk: int, writer: GuessWriter | None = None):
    """The model over the streams of `lay`, `chunk` steps at a time: yields each chunk's activations
    (B, t, layers, quantities, hidden), which steps are kept (B, t), and the kept runs as Pieces (a piece's
    kept steps are contiguous in the text). The activations are one array, overwritten by the next chunk."""
    grid = ids[lay.pos]
    state, buffer = None, None
    for t0 in range(0, lay.span, chunk):
        t1 = min(lay.span, t0 + chunk)
        state, logits, acts = model.forward(grid[:, t0:t1], state, capture=True,
                                            out=None if buffer is None else buffer[:, : t1 - t0])
        buffer = acts if buffer is None else buffer  # (B, t, layers, quantities, hidden), reused
        if writer is not None:
            writer.add(t0, logits[0])
        keep = lay.keep[:, t0:t1]
        pieces: list[Piece] = []
        for b in np.flatnonzero(keep.any(axis=1)):
            steps = np.flatnonzero(keep[b])
            pieces.append((int(b), int(steps[0]), int(steps[-1]) + 1, int(lay.pos[b, t0 + steps[0]])))
        yield acts, keep, pieces


class _Saturation:
    """Counts, per gate of each layer, of the characters it spends below SATURATION_LO and above SATURATION_HI."""

    def __init__(self, config, gates: frozenset[str]):
        self.q = {name: config.quantities.index(name) for name in config.quantities if name in gates}
        self.counts = {(k, name): (np.zeros(config.hidden, np.int64), np.zeros(config.hidden, np.int64))
                       for k in range(config.layers) for name in self.q}

    def add(self, acts: np.ndarray, keep: np.ndarray) -> None:
        for (k, name), (below, above) in self.counts.items():
            g = acts[:, :, k, self.q[name]][keep]  # (kept steps, H)
            below += (g < SATURATION_LO).sum(axis=0)
            above += (g > SATURATION_HI).sum(axis=0)


def sortable(values: np.ndarray) -> np.ndarray:
    """uint32 keys that sort as the float32 values do (−0.0 and +0.0 equal; no NaN expected): a negative
    number's bits are all flipped, a positive number's sign bit set."""
    bits = (np.asarray(values, np.float32) + np.float32(0.0)).view(np.int32)  # + 0.0 turns −0.0 into +0.0
    mask = (bits >> 31) | np.int32(-(2**31))  # arithmetic shift: all ones if negative, else the sign bit
    return (bits ^ mask).view(np.uint32)


def doubled_midranks(data: np.ndarray, cells: int = 2**22) -> np.ndarray:
    """Per row of `data` (K, T): 2 × the 1-based mid-rank of each value among the row's values (ties get the
    mean of their ranks), as integers (uint16 when they fit, else uint32).

    A row is sorted as 64-bit keys (the value's sortable bits, then its position), which numpy sorts several
    times faster than an argsort of floats; the position comes back from the low bits. A value at sorted
    place i (from 0) has doubled rank 2i + 2 unless it ties; only the runs of equal values (saturated gates
    have long ones) are then found and given 2s + L + 1 (the run from place s, L long)."""
    K, T = data.shape
    dtype = np.uint16 if 2 * T + 1 < 2**16 else np.uint32
    out = np.empty((K, T), dtype)
    if T == 0:
        return out
    pos = np.arange(T, dtype=np.uint64)
    plain = np.arange(2, 2 * T + 2, 2, dtype=dtype)
    block = max(1, cells // T)  # rows sorted at a time
    for a in range(0, K, block):
        keys = sortable(data[a : a + block]).astype(np.uint64) << np.uint64(32)
        keys |= pos
        keys.sort(axis=1)
        n = keys.shape[0]
        halves = keys.view(np.uint32).reshape(n, T, 2)  # little-endian: [..., 0] position, [..., 1] value
        doubled = np.empty((n, T), dtype)
        doubled[:] = plain
        v = halves[..., 1]
        row, col = np.nonzero(v[:, 1:] == v[:, :-1])  # places equal to the next one
        if len(row):
            flat = row * T + col
            first = np.flatnonzero(np.diff(flat, prepend=-2) != 1)  # where each run of ties begins
            length = np.diff(first, append=len(flat)) + 1  # its values: its pairs, plus one
            value = 2 * col[first] + length + 1
            each = np.repeat(value, length - 1)
            doubled[row, col] = each  # every place but a run's last ...
            doubled[row[first], col[first] + length - 1] = value  # ... and its last
        np.put_along_axis(out[a : a + n], halves[..., 0].astype(np.intp), doubled, axis=1)
    return out
