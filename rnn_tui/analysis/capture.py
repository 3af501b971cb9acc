"""Teacher-forced capture of every quantity of every layer over a text, stored compactly.

The finder needs every unit's value at every character: for the default LSTM
2×256 that is 3,072 numbers per character, 245 MB in float32 for 20,000
characters. They are kept as one byte each (`codes`, time-major: row t is
character t), a linear map of each unit's range: gates (0…1) and tanh quantities
(−1…1) on their fixed range, the LSTM cell state c on a range measured over the
first chunk of every stream, with a margin (values beyond it are clipped). A
linear map changes neither Pearson's r nor ranks, so the finder works on the
codes directly, and 256 levels are finer than any colour scale on screen.

Speed: the text is cut into up to `streams` contiguous pieces run side by side
(each step is then a matrix-matrix product), and each piece first reads the
`warmup` characters before it, discarded, so that every analysed character has
its context (a line-position cell needs to have seen the last newline). Time is
processed in chunks, so memory beyond the codes stays at a few tens of MB.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..core.cells import Model
from ..core.errors import UserError
from ..core.vocab import Vocab

Progress = Callable[[int, int], None]  # (characters done, characters in all)

# A limit a user can understand: analysing costs about one byte per unit per character.
MAX_ANALYSIS_BYTES = 512 * 2**20
SATURATION_LO, SATURATION_HI = 0.1, 0.9  # the paper's thresholds (Fig. 3)
C_MARGIN = 1.5


@dataclass
class Capture:
    """A text and every unit's value at every character, as bytes (see the module docstring)."""

    text: str
    ids: np.ndarray  # (T,) int64; a character outside the vocabulary is fed as `fallback`
    oov: np.ndarray  # (T,) bool: characters that were not in the vocabulary
    codes: np.ndarray  # (T, U) uint8, U = layers·quantities·hidden, in the order of `unit_index`
    lo: np.ndarray  # (U,) float32: value = lo + code·scale
    scale: np.ndarray  # (U,) float32
    layers: int
    quantities: tuple[str, ...]
    hidden: int
    gates: frozenset[str]  # the quantities in (0, 1)
    cell: str
    logits: np.ndarray | None = None  # (T, V) float32 if kept: the prediction made after each character
    # per (layer, gate): counts of characters below SATURATION_LO and above SATURATION_HI, each (hidden,)
    saturation: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.text)

    @property
    def units(self) -> int:
        return self.codes.shape[1]

    def unit_index(self, layer: int, quantity: str, unit: int) -> int:
        return (layer * len(self.quantities) + self.quantities.index(quantity)) * self.hidden + unit

    def unit_name(self, index: int) -> tuple[int, str, int]:
        """(layer, quantity, unit) of a flat index."""
        lq, unit = divmod(index, self.hidden)
        layer, q = divmod(lq, len(self.quantities))
        return layer, self.quantities[q], unit

    def values(self, index: int) -> np.ndarray:
        """One unit's values over the text, float32 (T,)."""
        return self.lo[index] + self.codes[:, index].astype(np.float32) * self.scale[index]


def bytes_needed(model: Model, n_chars: int) -> int:
    c = model.config
    return n_chars * c.layers * len(c.quantities) * c.hidden


def check_text(model: Model, text: str, what: str) -> None:
    """A UserError naming `what` if the text is empty, looks binary, or is too large to analyse here."""
    if not text:
        raise UserError(f"{what}: empty, nothing to analyse")
    if "\x00" in text[:65536]:
        raise UserError(f"{what}: looks like a binary file (it contains NUL bytes)")
    if bytes_needed(model, len(text)) > MAX_ANALYSIS_BYTES:
        fits = MAX_ANALYSIS_BYTES // bytes_needed(model, 1)
        raise UserError(f"{what}: {len(text):,} characters; analysing keeps {bytes_needed(model, 1):,} bytes per "
                        f"character for this model, so at most {fits:,} fit in {MAX_ANALYSIS_BYTES // 2**20} MiB "
                        f"(rnn-tui analyze --limit N analyses the first N)")


def encode(vocab: Vocab, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(ids, oov mask): a character outside the vocabulary becomes a space (or the first character) and is marked."""
    fallback = vocab.index.get(" ", 0)
    ids = np.fromiter((vocab.index.get(ch, -1) for ch in text), dtype=np.int64, count=len(text))
    oov = ids < 0
    ids[oov] = fallback
    return ids, oov


def capture(model: Model, vocab: Vocab, text: str, *, streams: int = 64, warmup: int = 64, chunk: int = 64,
            keep_logits: bool = False, progress: Progress | None = None) -> Capture:
    """Run the model teacher-forced over `text` and keep every unit's value (see the module docstring)."""
    c = model.config
    ids, oov = encode(vocab, text)
    T = len(ids)
    Q = len(c.quantities)
    U = c.layers * Q * c.hidden
    gates = frozenset(q for q in c.quantities if q not in c.kind.signed)
    # each stream at least 8 warm-ups long, so that warming up costs at most an eighth more (measured on
    # 20,000 characters, 2 cores: 32-48 streams ran 9 % faster than 64, whose pieces are mostly warm-up)
    B = max(1, min(streams, T // (8 * max(warmup, 32))))
    piece = -(-T // B) if T else 0
    starts = np.arange(B) * piece
    # each stream reads [start - warm, start + piece); the warm part is discarded
    warm = np.minimum(starts, warmup)
    lengths = np.minimum(starts + piece, T) - starts
    span = int((warm + lengths).max()) if T else 0
    pos = (starts - warm)[:, None] + np.arange(span)[None, :]  # (B, span) positions in the text
    valid = pos < (starts + lengths)[:, None]  # past its piece, a stream only pads to the common length
    grid = ids[np.minimum(pos, max(T - 1, 0))] if T else np.zeros((B, 0), np.int64)

    codes = np.empty((T, U), dtype=np.uint8)
    lo, scale = _fixed_ranges(c, gates)
    sat = {(k, q): (np.zeros(c.hidden, np.int64), np.zeros(c.hidden, np.int64))
           for k in range(c.layers) for q in c.quantities if q in gates}
    logits_out = np.empty((T, c.vocab_size), np.float32) if keep_logits else None
    state = None
    unbounded = [c.quantities.index(q) for q in c.kind.unbounded]  # ranged on the first chunk
    inv = off = None
    buf = np.empty((chunk, U), np.float32)
    done = 0
    for t0 in range(0, span, chunk):
        t1 = min(span, t0 + chunk)
        state, logits, acts = model.forward(grid[:, t0:t1], state, capture=True)  # acts (B, t, L, Q, H)
        for qc in unbounded:  # the first chunk of every stream, warm-up included: samples from all over the text
            _range_cell_state(acts[valid[:, t0:t1]], qc, lo, scale, c.hidden, Q)
        unbounded = []
        if inv is None:
            inv = (1.0 / scale).astype(np.float32)
            off = (0.5 - lo * inv).astype(np.float32)  # code = value·inv + off, truncated: rounds to nearest
        keep = valid[:, t0:t1] & (np.arange(t0, t1)[None, :] >= warm[:, None])
        # each stream's kept steps are one run of rows in the text: quantize straight into them
        for b in np.flatnonzero(keep.any(axis=1)):
            s_, e_ = t0 + int(keep[b].argmax()), t0 + int(keep[b].sum()) + int(keep[b].argmax())
            p0 = int(pos[b, s_])
            n = e_ - s_
            x = np.multiply(acts[b, s_ - t0 : e_ - t0].reshape(n, U), inv, out=buf[:n])
            x += off
            np.clip(x, 0.0, 255.0, out=codes[p0 : p0 + n], casting="unsafe")
            if logits_out is not None:
                logits_out[p0 : p0 + n] = logits[b, s_ - t0 : e_ - t0]
            done += n
        for (k, q), (below, above) in sat.items():
            g = acts[:, :, k, c.quantities.index(q)]  # (B, t, H)
            below += ((g < SATURATION_LO) & keep[..., None]).sum(axis=(0, 1))
            above += ((g > SATURATION_HI) & keep[..., None]).sum(axis=(0, 1))
        if progress is not None and keep.any():
            progress(done, T)
    return Capture(text, ids, oov, codes, lo, scale, c.layers, c.quantities, c.hidden, gates, c.cell,
                   logits_out, sat)


def _fixed_ranges(c, gates: frozenset[str]) -> tuple[np.ndarray, np.ndarray]:
    Q, H = len(c.quantities), c.hidden
    lo = np.empty((c.layers, Q, H), np.float32)
    hi = np.empty((c.layers, Q, H), np.float32)
    for q, name in enumerate(c.quantities):
        lo[:, q], hi[:, q] = (0.0, 1.0) if name in gates else (-1.0, 1.0)
    return lo.reshape(-1), ((hi - lo) / 255.0).reshape(-1)


def _range_cell_state(a: np.ndarray, qc: int, lo: np.ndarray, scale: np.ndarray, H: int, Q: int) -> None:
    """Set an unbounded quantity's ranges (an LSTM's c) from the first values seen, symmetric, with a margin."""
    L = a.shape[1]
    for k in range(L):
        bound = np.maximum(np.abs(a[:, k, qc]).max(axis=0) * C_MARGIN, 1e-3)  # (H,)
        sl = slice((k * Q + qc) * H, (k * Q + qc + 1) * H)
        lo[sl] = -bound
        scale[sl] = 2 * bound / 255.0
