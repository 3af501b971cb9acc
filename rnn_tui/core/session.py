"""The timeline of one generation: step, rewind, replay, branch.

The text is the history. A session keeps the characters (2 bytes each), how each
one was chosen (1 byte), and a copy of the recurrent state every `interval`
steps (about 32 bytes a step, amortised), so memory grows by bytes per step, not
kilobytes.

Two kinds of recomputation, for two needs:
- the state at the cursor must be exact (rewind, then forward, must replay the
  same characters), so `seek` replays `Model.step` from the nearest snapshot,
  never more than `interval` steps;
- what is on screen (text coloured by a unit, the timeline) only needs values
  for display, so the blocks of `interval` positions behind them are computed
  side by side, each from its own snapshot, in one batched teacher-forced pass
  (`Model.forward`), and cached. They agree with the exact run to rounding
  (1e-5). Batching saves memory traffic, not arithmetic: a screen of text
  (~1,900 positions of a 2×256 LSTM) still costs ~0.1 s on one core, so a viewer
  can `prepare` it on a worker thread and colour the text when it is ready.

Positions count characters from 0. `state after t` is the state once the
character at t has been fed; the logits there predict the character at t + 1.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .cells import Model
from .sampling import Sampler, softmax
from .vocab import Vocab

PRIMED, SAMPLED, PICKED, FORCED = range(4)
KIND_NAMES = ("primed", "sampled", "picked", "forced")


@dataclass
class Block:
    """Activations and logits of positions [start, start + filled), from one snapshot.

    The first `exact` of them came from `Model.step` (played live, or replayed by a seek), so
    the state after any of them can be rebuilt bit for bit; the rest are display values.
    """

    start: int
    acts: np.ndarray  # (interval, layers, quantities, hidden)
    logits: np.ndarray  # (interval, vocab)
    filled: int = 0
    exact: int = 0


class Session:
    def __init__(self, model: Model, vocab: Vocab, prime: str = "\n", sampler: Sampler | None = None,
                 interval: int | None = None, cache_bytes: int = 32 * 2**20):
        if len(vocab) != model.config.vocab_size:
            raise ValueError("vocabulary and model disagree on the number of characters")
        self.model = model
        self.vocab = vocab
        self.sampler = sampler or Sampler()
        state_bytes = model.initial_state().nbytes
        # a snapshot every `interval` steps costs at most 32 bytes a step
        self.interval = interval or max(16, 1 << max(0, int(np.ceil(np.log2(state_bytes / 32)))))
        c = model.config
        block_bytes = self.interval * 4 * (c.layers * len(c.quantities) * c.hidden + c.vocab_size)
        # enough blocks for a large screen of text; never fewer than a few
        self._cached_blocks = max(4, cache_bytes // block_bytes)
        # changes whenever a position already seen may now hold another character
        # (a branch, a prime typed mid-way, a reset), so views know to drop caches
        self.revision = 0
        self._lock = threading.RLock()  # the block cache is shared with `prepare` on a worker thread
        self.reset(prime)

    # -- the timeline ---------------------------------------------------------------

    def reset(self, prime: str = "\n") -> None:
        ids = self.vocab.encode(prime or self._fallback_prime())
        self._ids = array("H" if len(self.vocab) < 65536 else "I")
        self._kinds = bytearray()
        self._snapshots: list[np.ndarray] = [self.model.initial_state()]
        with self._lock:
            self._blocks: OrderedDict[int, Block] = OrderedDict()
            self._spare: list[tuple[np.ndarray, np.ndarray]] = []
            self.revision += 1
        self.cursor = -1
        self.state = self.model.initial_state()
        self.logits = np.zeros(len(self.vocab), dtype=np.float32)
        self.acts = np.zeros((self.model.config.layers, len(self.model.config.quantities),
                              self.model.config.hidden), dtype=np.float32)
        for i in ids:
            self._append(int(i), PRIMED)

    def _fallback_prime(self) -> str:
        return "\n" if "\n" in self.vocab else self.vocab.chars[0]

    @property
    def length(self) -> int:
        """Characters in the timeline, including those ahead of the cursor after a rewind."""
        return len(self._ids)

    @property
    def can_redo(self) -> bool:
        return self.cursor + 1 < len(self._ids)

    def ids(self, start: int = 0, end: int | None = None) -> np.ndarray:
        """A copy of the character ids of positions [start, end), end defaulting to the cursor + 1."""
        end = self.cursor + 1 if end is None else end
        return np.array(self._ids[start:end], dtype=np.int64)

    def text(self, start: int = 0, end: int | None = None) -> str:
        return self.vocab.decode(int(i) for i in self.ids(start, end))

    def kind(self, position: int) -> int:
        return self._kinds[position]

    def kinds(self, start: int = 0, end: int | None = None) -> bytes:
        """How each character of positions [start, end) was chosen (PRIMED, SAMPLED, ...)."""
        end = self.cursor + 1 if end is None else end
        return bytes(self._kinds[start:end])

    # -- moving ------------------------------------------------------------------------

    def step(self) -> int:
        """One character forward: replay the timeline if it goes on, else sample. Returns the id."""
        if self.can_redo:
            self._advance()
        else:
            self._append(self.sampler.choose(self.logits, len(self._ids)), SAMPLED)
        return int(self._ids[self.cursor])

    def choose(self, char_id: int, kind: int = FORCED) -> None:
        """Take `char_id` as the next character; if the timeline went on differently, branch."""
        if not 0 <= char_id < len(self.vocab):
            raise ValueError(f"character id {char_id} out of range")
        if self.can_redo and self._ids[self.cursor + 1] == char_id:
            self._advance()
            return
        self._truncate(self.cursor + 1)
        self._append(char_id, kind)

    def feed(self, text: str) -> None:
        """Teacher-force `text` from the cursor on (a prime typed mid-way), branching."""
        ids = self.vocab.encode(text)
        self._truncate(self.cursor + 1)
        for i in ids:
            self._append(int(i), PRIMED)

    def back(self, n: int = 1) -> None:
        """Rewind n characters (never past the first), restoring the exact state."""
        self.seek(max(0, self.cursor - n))

    def forward(self, n: int = 1) -> None:
        for _ in range(n):
            self.step()

    def seek(self, position: int) -> None:
        """Move the cursor to a position already in the timeline."""
        if not 0 <= position < len(self._ids):
            raise IndexError(position)
        self.state, self.logits, self.acts = self._state_after(position)
        self.cursor = position

    # -- looking -------------------------------------------------------------------------

    def probabilities(self, position: int | None = None) -> np.ndarray:
        """The model's next-character distribution after `position` (default: the cursor)."""
        logits = self.logits if position in (None, self.cursor) else self.logits_at(position)
        return softmax(logits.astype(np.float64))

    def acts_at(self, position: int) -> np.ndarray:
        """Activations after `position`: exact at the cursor, display values elsewhere."""
        if position == self.cursor:
            return self.acts
        b = self._ensure_blocks(position, position + 1)[0]
        return b.acts[position - b.start].copy()  # a copy: evicted blocks' arrays are reused

    def logits_at(self, position: int) -> np.ndarray:
        if position == self.cursor:
            return self.logits
        b = self._ensure_blocks(position, position + 1)[0]
        return b.logits[position - b.start].copy()

    def window(self, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """(activations, logits) of positions [start, end), end <= cursor + 1; display values."""
        start, end = max(start, 0), min(end, self.cursor + 1)
        acts = self._gather(start, end, lambda b, i, k: b.acts[i:k])
        logits = self._gather(start, end, lambda b, i, k: b.logits[i:k])
        if acts is None:
            c = self.model.config
            return (np.zeros((0, c.layers, len(c.quantities), c.hidden), np.float32),
                    np.zeros((0, c.vocab_size), np.float32))
        return acts, logits

    def series(self, start: int, end: int, layer: int, quantity: int, units=slice(None)) -> np.ndarray:
        """Values of some units of one quantity over positions [start, end): shape (n, units)."""
        start, end = max(start, 0), min(end, self.length)
        out = self._gather(start, end, lambda b, i, k: b.acts[i:k, layer, quantity, units])
        if out is None:
            return np.zeros((0, len(np.arange(self.model.config.hidden)[units])), np.float32)
        return out

    def memory_bytes(self) -> int:
        """Bytes held for the history (not counting cached blocks, which are bounded)."""
        return (self._ids.itemsize * len(self._ids) + len(self._kinds)
                + sum(s.nbytes for s in self._snapshots))

    # -- internals -------------------------------------------------------------------------

    def _append(self, char_id: int, kind: int) -> None:
        self._ids.append(char_id)
        self._kinds.append(kind)
        self._advance()

    def _advance(self) -> None:
        self.cursor += 1
        p = self.cursor
        self.state, self.logits, self.acts = self.model.step(self.state, int(self._ids[p]))
        if (p + 1) % self.interval == 0 and len(self._snapshots) == (p + 1) // self.interval:
            self._snapshots.append(self.state)
        # keep the block being written up to date, so the frontier is never recomputed
        with self._lock:
            j = p // self.interval
            b = self._blocks.get(j)
            if b is None and p % self.interval == 0:
                b = self._new_block(j)
                self._evict()
            if b is not None and b.start + b.filled == p:
                b.acts[b.filled] = self.acts
                b.logits[b.filled] = self.logits
                b.filled += 1
                if b.exact == b.filled - 1:
                    b.exact = b.filled

    def _truncate(self, length: int) -> None:
        if length >= len(self._ids):
            return
        with self._lock:
            self.revision += 1  # positions from `length` on now hold other characters
            del self._ids[length:]
            del self._kinds[length:]
            del self._snapshots[length // self.interval + 1 :]
            for j in list(self._blocks):
                b = self._blocks[j]
                if b.start >= length:
                    del self._blocks[j]
                else:
                    b.filled = min(b.filled, length - b.start)
                    b.exact = min(b.exact, length - b.start)

    def _state_after(self, position: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Exact state, logits and activations after `position`.

        From the cache when that position was computed by `Model.step` (anything played or
        replayed recently: a rewind there costs nothing), else a replay from a snapshot, whose
        exact activations then fill the cache on the way. The replay starts at the block of the
        position before, so the previous prediction (the probability of the character taken)
        is cached too.
        """
        K = self.interval
        with self._lock:
            b = self._blocks.get(position // K)
            i = position - position // K * K
            if b is not None and i < b.exact:
                acts, logits = b.acts[i].copy(), b.logits[i].copy()
                return self.model.state_from_acts(acts), logits, acts
        j = max(position - 1, 0) // K
        start = j * K
        n = position + 1 - start
        state = self._snapshots[j]
        c = self.model.config
        acts = np.empty((n, c.layers, len(c.quantities), c.hidden), dtype=np.float32)
        logits = np.empty((n, c.vocab_size), dtype=np.float32)
        for i in range(n):
            state, logits[i], acts[i] = self.model.step(state, int(self._ids[start + i]))
        with self._lock:
            for k in range(0, n, K):
                self._install(j + k // K, acts[k : k + K], logits[k : k + K], self.revision, exact=True)
        return state, logits[-1].copy(), acts[-1].copy()

    def _new_block(self, j: int) -> Block:
        if self._spare:
            acts, logits = self._spare.pop()
        else:
            c = self.model.config
            acts = np.empty((self.interval, c.layers, len(c.quantities), c.hidden), dtype=np.float32)
            logits = np.empty((self.interval, c.vocab_size), dtype=np.float32)
        b = self._blocks[j] = Block(j * self.interval, acts, logits)
        return b

    def _evict(self, keep: int = 0) -> None:
        """Drop the least recently used blocks beyond the cache's size (or `keep`, if larger).

        Their arrays are kept for the next blocks: allocating and freeing 1.5 MB arrays at every
        block of play fragmented the heap, and RSS crept up by ~1 KB a step."""
        while len(self._blocks) > max(self._cached_blocks, keep):
            _, old = self._blocks.popitem(last=False)
            if len(self._spare) < 2:
                self._spare.append((old.acts, old.logits))

    def _install(self, j: int, acts: np.ndarray, logits: np.ndarray, revision: int, exact: bool) -> None:
        """Put computed positions into block j, unless the timeline changed; never overwrite
        exact values with display values."""
        if revision != self.revision or j * self.interval >= len(self._ids):
            return
        b = self._blocks.get(j) or self._new_block(j)
        n = min(len(acts), len(self._ids) - j * self.interval)
        if exact and n > b.exact:
            b.acts[:n], b.logits[:n] = acts[:n], logits[:n]
            b.exact = n
            b.filled = max(b.filled, n)
        elif n > b.filled:
            b.acts[b.filled : n], b.logits[b.filled : n] = acts[b.filled : n], logits[b.filled : n]
            b.filled = n

    def _todo(self, start: int, end: int) -> list[tuple[int, int]]:
        """(block, positions needed) for the blocks of [start, end) that are missing or short."""
        todo: list[tuple[int, int]] = []
        for j in self._block_range(start, end):
            b = self._blocks.get(j)
            need = min(self.interval, len(self._ids) - j * self.interval)
            if b is None or b.filled < need:
                todo.append((j, need))
        return todo

    def _block_range(self, start: int, end: int) -> range:
        start, end = max(start, 0), min(end, len(self._ids))
        return range(start // self.interval, (end - 1) // self.interval + 1) if start < end else range(0)

    def missing(self, start: int, end: int) -> int:
        """How many blocks of positions [start, end) would have to be computed to show them."""
        with self._lock:
            return len(self._todo(start, end))

    def prepare(self, start: int, end: int) -> None:
        """Compute the display values of [start, end) into the cache. Safe on a worker thread:
        the arithmetic runs outside the lock, and results for a timeline that has since branched
        are dropped."""
        with self._lock:
            todo = self._todo(start, end)
            if not todo:
                return
            revision = self.revision
            ids = np.zeros((len(todo), max(n for _, n in todo)), dtype=np.int64)
            for row, (j, n) in enumerate(todo):
                ids[row, :n] = self._ids[j * self.interval : j * self.interval + n]
            states = np.stack([self._snapshots[j] for j, _ in todo])
        _, logits, acts = self.model.forward(ids, states, capture=True)
        with self._lock:
            for row, (j, n) in enumerate(todo):
                self._install(j, acts[row, :n], logits[row, :n], revision, exact=False)
            self._keep(start, end)

    def _keep(self, start: int, end: int) -> list[Block]:
        """Mark the cached blocks of [start, end) as just used, evict others; returns them."""
        blocks = []
        for j in self._block_range(start, end):
            if j in self._blocks:
                self._blocks.move_to_end(j)
                blocks.append(self._blocks[j])
        self._evict(keep=len(blocks))
        return blocks

    def _ensure_blocks(self, start: int, end: int) -> list[Block]:
        """The blocks covering positions [start, end), computing the missing ones in one pass."""
        while True:
            self.prepare(start, end)
            with self._lock:
                if not self._todo(start, end):  # else a worker's results evicted some: again
                    return self._keep(start, end)

    def _gather(self, start: int, end: int, part) -> np.ndarray | None:
        if start >= end:
            return None
        pieces = []
        for b in self._ensure_blocks(start, end):
            i, k = max(start, b.start) - b.start, min(end, b.start + b.filled) - b.start
            pieces.append(part(b, i, k))
        return np.concatenate(pieces)
