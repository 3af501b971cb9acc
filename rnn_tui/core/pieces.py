"""Reading one text as many streams side by side: where each stream reads.

A teacher-forced run is several times faster on a CPU with many streams, since
every step is then one matrix-matrix product instead of a matrix-vector one.
The text is cut into contiguous pieces run side by side, and each piece first
reads the `warmup` characters before it, starting from a zero state, before its
own characters count. That is not the continuous run: a unit whose memory is
longer than the warm-up differs from it near the start of each piece. How much
that moves a loss, on the bundled LSTM's 252,860 held-out characters (`rnn-tui
eval`): exact, one stream 1.34774 nats/char; 256 pieces with 64 characters of
warm-up 1.34812; 16 pieces from a cold zero state 1.34818; 256 cold 1.35581.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WARMUP = 64  # characters each piece reads before its own
MAX_STREAMS = 256  # numpy's float32 products run at 92-95 % of their peak from 128 rows on (bench_forward.py)


@dataclass(frozen=True)
class Layout:
    """Where each of B streams reads: positions (B, span) in the text, which of them are kept, and where its
    kept part begins in the text."""

    pos: np.ndarray  # (B, span) int64, clipped to the text
    keep: np.ndarray  # (B, span) bool: this step is the stream's own piece (not warm-up, not padding)

    @property
    def span(self) -> int:
        return self.pos.shape[1]

    @property
    def streams(self) -> int:
        return self.pos.shape[0]


def stream_count(T: int, streams: int, warmup: int = WARMUP) -> int:
    """How many pieces `layout` cuts T characters into: at most `streams`, and each at least 8 warm-ups long,
    so that warming up costs at most an eighth more (measured on 20,000 characters, 2 cores: 32-48 streams
    ran 9 % faster than 64, whose pieces were mostly warm-up)."""
    if streams <= 1 or T == 0:
        return 1
    return max(1, min(streams, T // (8 * max(warmup, 32))))


def layout(T: int, streams: int, warmup: int = WARMUP) -> Layout:
    """Cut T characters into contiguous pieces, each preceded by up to `warmup` characters of warm-up."""
    B = stream_count(T, streams, warmup)
    if B == 1:
        return Layout(np.arange(T)[None, :], np.ones((1, T), bool))
    piece = -(-T // B)
    starts = np.arange(B) * piece
    warm = np.minimum(starts, warmup)
    ends = np.minimum(starts + piece, T)
    span = int((warm + ends - starts).max())
    pos = (starts - warm)[:, None] + np.arange(span)[None, :]
    keep = (pos >= starts[:, None]) & (pos < ends[:, None])
    return Layout(np.minimum(pos, T - 1), keep)
