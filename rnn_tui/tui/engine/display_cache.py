"""Activations for what is on screen, computed in batched blocks; safe to fill from a worker thread.

The text coloured by a unit and the timeline strip need values at hundreds of
past positions. They only need them for display, so the blocks of `interval`
positions behind them are computed side by side, each from its own snapshot, in
one batched teacher-forced pass (`Model.forward`), and cached. They agree with
the exact run to rounding (1e-5). Batching saves memory traffic, not arithmetic:
a screen of text (~1,900 positions of a 2×256 LSTM) still costs ~0.1 s on one
core, so a viewer can `prepare` it on a worker thread and colour the text when it
is ready.

The cache listens to its session: every exact step played goes into its block
(the frontier is never recomputed), and a branch drops the blocks it invalidated.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...core.session import Session


@dataclass
class Block:
    """Activations and logits of positions [start, start + filled)."""

    start: int
    acts: np.ndarray  # (interval, layers, quantities, hidden)
    logits: np.ndarray  # (interval, vocab)
    filled: int = 0


class DisplayCache:
    """Display values of any positions of one session, a bounded number of blocks at a time."""

    def __init__(self, session: Session, cache_bytes: int = 32 * 2**20) -> None:
        self.session = session
        self.interval = session.interval
        c = session.model.config
        self._shape = (self.interval, c.layers, len(c.quantities), c.hidden)
        block_bytes = self.interval * 4 * (c.layers * len(c.quantities) * c.hidden + c.vocab_size)
        # enough blocks for a large screen of text; never fewer than a few
        self.max_blocks = max(4, cache_bytes // block_bytes)
        self._lock = session.lock  # one lock: the history and its blocks change together
        self._blocks: OrderedDict[int, Block] = OrderedDict()
        self._spare: list[tuple[np.ndarray, np.ndarray]] = []
        self._wanted: tuple[int, int] | None = None  # positions a frame asked for and found missing

    @classmethod
    def following(cls, session: Session, cache_bytes: int = 32 * 2**20) -> DisplayCache:
        """A cache that the session tells of each step and branch (what was played before is computed when
        first asked for)."""
        cache = cls(session, cache_bytes)
        session.listeners.append(cache)
        return cache

    # -- the session's news -----------------------------------------------------------

    def stepped(self, position: int, acts: np.ndarray, logits: np.ndarray) -> None:
        """An exact step: it extends its block if it is the next position there."""
        with self._lock:
            self._put(position, acts, logits)

    def truncated(self, length: int) -> None:
        """Positions from `length` on hold other characters now."""
        with self._lock:
            for j in list(self._blocks):
                b = self._blocks[j]
                if b.start >= length:
                    del self._blocks[j]
                else:
                    b.filled = min(b.filled, length - b.start)

    def _put(self, p: int, acts: np.ndarray, logits: np.ndarray) -> None:
        j = p // self.interval
        b = self._blocks.get(j)
        if b is None and p % self.interval == 0:
            b = self._new_block(j)
            self._evict()
        if b is not None and b.start + b.filled == p:
            b.acts[b.filled], b.logits[b.filled] = acts, logits
            b.filled += 1

    def clear(self) -> None:
        """Forget every block (as if the history had long left the cache)."""
        with self._lock:
            self._blocks.clear()

    # -- looking ------------------------------------------------------------------------

    def missing(self, start: int, end: int) -> int:
        """How many blocks of positions [start, end) would have to be computed to show them."""
        with self._lock:
            return len(self._todo(start, end))

    def want(self, start: int, end: int) -> None:
        """Remember that a frame needed [start, end) and found it missing (joined with earlier wishes)."""
        a, b = self._wanted or (start, end)
        self._wanted = (min(a, start), max(b, end))

    def take_wanted(self) -> tuple[int, int] | None:
        """The positions wanted since the last call, to prepare on a worker; None if nothing was missing."""
        wanted, self._wanted = self._wanted, None
        return wanted

    def prepare(self, start: int, end: int) -> None:
        """Compute the display values of [start, end) into the cache. Safe on a worker thread:
        the arithmetic runs outside the lock, and results for a timeline that has since branched
        are dropped."""
        s = self.session
        with self._lock:
            todo = self._todo(start, end)
            if not todo:
                return
            revision = s.revision
            ids = np.zeros((len(todo), max(n for _, n in todo)), dtype=np.int64)
            for row, (j, n) in enumerate(todo):
                ids[row, :n] = s.ids(j * self.interval, j * self.interval + n)
            clamps = [s.clamp_ids(j * self.interval, j * self.interval + n) for j, n in todo]
            states = np.stack([s.snapshot(j) for j, _ in todo])
        logits, acts = self._forward(ids, states, clamps)
        with self._lock:
            for row, (j, n) in enumerate(todo):
                self._install(j, acts[row, :n], logits[row, :n], revision)
            self._keep(start, end)

    def _forward(self, ids: np.ndarray, states: np.ndarray, clamps: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """The blocks' teacher-forced run, each position under the clamp it was written with: blocks
        under one clamp throughout run side by side (the usual case: none), a block where the clamp
        changed runs piece by piece."""
        s = self.session
        rows: dict[int, list[int]] = {}
        for row, c in enumerate(clamps):
            rows.setdefault(c[0] if len(set(c)) == 1 else -1, []).append(row)
        if len(rows) == 1 and -1 not in rows:
            _, logits, acts = s.model_for(next(iter(rows))).forward(ids, states, capture=True)
            return logits, acts
        c = s.model.config
        logits = np.zeros((*ids.shape, c.vocab_size), dtype=np.float32)
        acts = np.zeros((*ids.shape, c.layers, len(c.quantities), c.hidden), dtype=np.float32)
        for clamp_id, members in rows.items():
            if clamp_id >= 0:
                _, logits[members], acts[members] = s.model_for(clamp_id).forward(ids[members], states[members],
                                                                                   capture=True)
        for row in rows.get(-1, []):
            state, c_row, a = states[row], clamps[row], 0
            while a < len(c_row):
                b = a + 1
                while b < len(c_row) and c_row[b] == c_row[a]:
                    b += 1
                state, logits[row, a:b], acts[row, a:b] = s.model_for(c_row[a]).forward(ids[row, a:b], state,
                                                                                       capture=True)
                a = b
        return logits, acts

    def acts_at(self, position: int) -> np.ndarray:
        """Activations after `position`: exact at the cursor, display values elsewhere."""
        if position == self.session.cursor:
            return self.session.acts
        return self._gather(position, position + 1, lambda b, i, k: b.acts[i:k])[0]

    def logits_at(self, position: int) -> np.ndarray:
        s = self.session
        if position == s.cursor:
            return s.logits
        exact = s.exact_logits(position)
        return exact if exact is not None else self._gather(position, position + 1, lambda b, i, k: b.logits[i:k])[0]

    def window(self, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """(activations, logits) of positions [start, end), end <= cursor + 1."""
        start, end = max(start, 0), min(end, self.session.cursor + 1)
        c = self.session.model.config
        if start >= end:
            return (np.zeros((0, c.layers, len(c.quantities), c.hidden), np.float32),
                    np.zeros((0, c.vocab_size), np.float32))
        return (self._gather(start, end, lambda b, i, k: b.acts[i:k]),
                self._gather(start, end, lambda b, i, k: b.logits[i:k]))

    def series(self, start: int, end: int, layer: int, quantity: int, units=slice(None)) -> np.ndarray:
        """Values of some units of one quantity over positions [start, end): shape (n, units)."""
        start, end = max(start, 0), min(end, self.session.length)
        if start >= end:
            return np.zeros((0, len(np.arange(self.session.model.config.hidden)[units])), np.float32)
        return self._gather(start, end, lambda b, i, k: b.acts[i:k, layer, quantity, units])

    # -- internals ------------------------------------------------------------------------

    def _new_block(self, j: int) -> Block:
        if self._spare:
            acts, logits = self._spare.pop()
        else:
            acts = np.empty(self._shape, dtype=np.float32)
            logits = np.empty((self.interval, self.session.model.config.vocab_size), dtype=np.float32)
        b = self._blocks[j] = Block(j * self.interval, acts, logits)
        return b

    def _evict(self, keep: int = 0) -> None:
        """Drop the least recently used blocks beyond the cache's size (or `keep`, if larger).

        Their arrays are kept for the next blocks: allocating and freeing 1.5 MB arrays at every
        block of play fragmented the heap, and RSS crept up by ~1 KB a step."""
        while len(self._blocks) > max(self.max_blocks, keep):
            _, old = self._blocks.popitem(last=False)
            if len(self._spare) < 2:
                self._spare.append((old.acts, old.logits))

    def _install(self, j: int, acts: np.ndarray, logits: np.ndarray, revision: int) -> None:
        """Put computed positions into block j, unless the timeline changed since they were asked for."""
        length = self.session.length
        if revision != self.session.revision or j * self.interval >= length:
            return
        b = self._blocks.get(j) or self._new_block(j)
        n = min(len(acts), length - j * self.interval)
        if n > b.filled:
            b.acts[b.filled : n], b.logits[b.filled : n] = acts[b.filled : n], logits[b.filled : n]
            b.filled = n

    def _todo(self, start: int, end: int) -> list[tuple[int, int]]:
        """(block, positions needed) for the blocks of [start, end) that are missing or short."""
        todo: list[tuple[int, int]] = []
        length = self.session.length
        for j in self._block_range(start, end):
            b = self._blocks.get(j)
            need = min(self.interval, length - j * self.interval)
            if b is None or b.filled < need:
                todo.append((j, need))
        return todo

    def _block_range(self, start: int, end: int) -> range:
        start, end = max(start, 0), min(end, self.session.length)
        return range(start // self.interval, (end - 1) // self.interval + 1) if start < end else range(0)

    def _keep(self, start: int, end: int) -> list[Block]:
        """Mark the cached blocks of [start, end) as just used, evict others; returns them."""
        blocks = []
        for j in self._block_range(start, end):
            if j in self._blocks:
                self._blocks.move_to_end(j)
                blocks.append(self._blocks[j])
        self._evict(keep=len(blocks))
        return blocks

    def _gather(self, start: int, end: int, part: Callable[[Block, int, int], np.ndarray]) -> np.ndarray:
        """The parts of the blocks covering [start, end), computing the missing ones in one pass.

        Copies, made under the lock: evicted blocks' arrays are reused."""
        while True:
            self.prepare(start, end)
            with self._lock:
                if self._todo(start, end):  # a worker's results evicted some: again
                    continue
                pieces = []
                for b in self._keep(start, end):
                    i, k = max(start, b.start) - b.start, min(end, b.start + b.filled) - b.start
                    pieces.append(part(b, i, k))
                return np.concatenate(pieces)
