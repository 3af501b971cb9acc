"""The timeline of one generation: step, rewind, replay, branch.

The text is the history. A session keeps the characters (2 bytes each), how each
one was chosen (1 byte), and a copy of the recurrent state every `interval`
steps (about 32 bytes a step, amortised). Activations for any position are
recomputed from the nearest earlier snapshot, in blocks that are cached while
they are on screen, so memory grows by bytes per step, not kilobytes.

Positions count characters from 0. `state after t` is the state once the
character at t has been fed; the logits there predict the character at t + 1.
"""

from __future__ import annotations

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
    """Activations and logits of positions [start, start + filled), from one snapshot."""

    start: int
    acts: np.ndarray  # (interval, layers, quantities, hidden)
    logits: np.ndarray  # (interval, vocab)
    filled: int = 0

    def holds(self, position: int) -> bool:
        return self.start <= position < self.start + self.filled


class Session:
    def __init__(self, model: Model, vocab: Vocab, prime: str = "\n", sampler: Sampler | None = None,
                 interval: int | None = None, cached_blocks: int = 8):
        if len(vocab) != model.config.vocab_size:
            raise ValueError("vocabulary and model disagree on the number of characters")
        self.model = model
        self.vocab = vocab
        self.sampler = sampler or Sampler()
        state_bytes = model.initial_state().nbytes
        # a snapshot every `interval` steps costs at most 32 bytes a step
        self.interval = interval or max(16, 1 << max(0, int(np.ceil(np.log2(state_bytes / 32)))))
        self._cached_blocks = cached_blocks
        # changes whenever a position already seen may now hold another character
        # (a branch, a prime typed mid-way, a reset), so views know to drop caches
        self.revision = 0
        self.reset(prime)

    # -- the timeline ---------------------------------------------------------------

    def reset(self, prime: str = "\n") -> None:
        ids = self.vocab.encode(prime or self._fallback_prime())
        self._ids = array("H" if len(self.vocab) < 65536 else "I")
        self._kinds = bytearray()
        self._snapshots: list[np.ndarray] = [self.model.initial_state()]
        self._blocks: OrderedDict[int, Block] = OrderedDict()
        self.cursor = -1
        self.revision += 1
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
    def position(self) -> int:
        """Position of the newest character shown (the cursor)."""
        return self.cursor

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
        if position == self.cursor:
            return self.acts
        b = self._block(position)
        return b.acts[position - b.start]

    def logits_at(self, position: int) -> np.ndarray:
        if position == self.cursor:
            return self.logits
        b = self._block(position)
        return b.logits[position - b.start]

    def window(self, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """(activations, logits) of positions [start, end), end <= cursor + 1."""
        start = max(start, 0)
        end = min(end, self.cursor + 1)
        acts, logits = [], []
        p = start
        while p < end:
            b = self._block(p)
            stop = min(end, b.start + b.filled)
            acts.append(b.acts[p - b.start : stop - b.start])
            logits.append(b.logits[p - b.start : stop - b.start])
            p = stop
        c = self.model.config
        if not acts:
            return (np.zeros((0, c.layers, len(c.quantities), c.hidden), np.float32),
                    np.zeros((0, c.vocab_size), np.float32))
        return np.concatenate(acts), np.concatenate(logits)

    def series(self, start: int, end: int, layer: int, quantity: int, units=slice(None)) -> np.ndarray:
        """Values of some units of one quantity over positions [start, end): shape (n, units)."""
        start = max(start, 0)
        end = min(end, self.length)
        parts = []
        p = start
        while p < end:
            b = self._block(p)
            stop = min(end, b.start + b.filled)
            parts.append(b.acts[p - b.start : stop - b.start, layer, quantity, units])
            p = stop
        if not parts:
            return np.zeros((0, len(np.arange(self.model.config.hidden)[units])), np.float32)
        return np.concatenate(parts)

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
        j = p // self.interval
        b = self._blocks.get(j)
        if b is None and p % self.interval == 0:
            b = self._new_block(j)
        if b is not None and b.start + b.filled == p:
            b.acts[b.filled] = self.acts
            b.logits[b.filled] = self.logits
            b.filled += 1

    def _truncate(self, length: int) -> None:
        if length >= len(self._ids):
            return
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

    def _state_after(self, position: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        b = self._block(position)
        acts = b.acts[position - b.start]
        return self.model.state_from_acts(acts), b.logits[position - b.start], acts

    def _new_block(self, j: int) -> Block:
        c = self.model.config
        b = Block(j * self.interval,
                  np.empty((self.interval, c.layers, len(c.quantities), c.hidden), dtype=np.float32),
                  np.empty((self.interval, c.vocab_size), dtype=np.float32))
        self._blocks[j] = b
        while len(self._blocks) > self._cached_blocks:
            self._blocks.popitem(last=False)
        return b

    def _block(self, position: int) -> Block:
        """The block holding `position`, computed from its snapshot if need be."""
        j = position // self.interval
        b = self._blocks.get(j)
        if b is not None and b.holds(position):
            self._blocks.move_to_end(j)
            return b
        if b is None:
            b = self._new_block(j)
        end = min(b.start + self.interval, len(self._ids))
        state = self._snapshots[j] if b.filled == 0 else self.model.state_from_acts(b.acts[b.filled - 1])
        for p in range(b.start + b.filled, end):
            state, b.logits[p - b.start], b.acts[p - b.start] = self.model.step(state, int(self._ids[p]))
        b.filled = end - b.start
        self._blocks.move_to_end(j)
        return b
