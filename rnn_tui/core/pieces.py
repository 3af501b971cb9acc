"""Reading one text as many streams side by side: where each stream reads.

A teacher-forced run is several times faster on a CPU with many streams, since
every step is then one matrix-matrix product instead of a matrix-vector one.
The text is cut into contiguous pieces run side by side, and each piece first
reads the `warmup` characters before it, starting from a zero state, before its
own characters count. That is not the continuous run: a unit whose memory is
longer than the warm-up differs from it near the start of each piece.

Scoring a text (`rnn-tui eval`, training's val loss) reads up to 64 pieces, each
after 256 characters of warm-up. On the held-out 5 %, against the exact single
stream, on one core here: shakespeare-lstm (252,860 characters) 1.34774 both
ways, in 5.3-5.5 s against 12.9 s; the GRU 1.3342 against 1.3341, the RNN 1.4077
both ways; python-lstm (219,916 characters; its state lasts longer: indentation,
strings) 1.07344 against 1.07319, 3.4-5.0 s against 10.1 s. More pieces run
faster on a CPU's matrix products but each adds a little error: 256 pieces after
64 characters made python-lstm 1.07847 (+0.0053), and round 5's 16 pieces from a
cold zero state 1.0750. The finder's capture reads up to 64 pieces after 64
characters (capture.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WARMUP = 64  # characters each piece reads before its own, in the finder's capture
SCORE_PIECES, SCORE_WARMUP = 64, 256  # how a loss is scored (see above)


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
