"""The timeline of one generation: step, rewind, replay, branch. Exact, and nothing else.

The text is the history. A session keeps the characters (2 bytes each), how each
one was chosen (1 byte), and a copy of the recurrent state every `interval`
steps (about 32 bytes a step, amortised), so memory grows by bytes per step, not
kilobytes.

The state at the cursor is exact: rewind, then forward, replays the same
characters bit for bit. `seek` rebuilds the state from the activations of a
recent `Model.step` when it has them (the last `2 × interval` positions computed,
in a ring), else replays `Model.step` from the nearest snapshot, never more than
`interval` steps.

Values for display (the text coloured by a unit, the timeline strip) are not the
session's business: `display_cache.DisplayCache` computes them in batched blocks
from the session's snapshots and listens to the session for every exact step and
every branch, so that the frontier is never recomputed and a branch drops what it
invalidated.

Positions count characters from 0. `state after t` is the state once the
character at t has been fed; the logits there predict the character at t + 1.
"""

from __future__ import annotations

import threading
from array import array
from typing import Protocol

import numpy as np

from .cells import Model
from .sampling import Sampler, softmax
from .vocab import Vocab

PRIMED, SAMPLED, PICKED, FORCED = range(4)


class Listener(Protocol):
    """What follows a session: told of every exact step and every change of history."""

    def stepped(self, position: int, acts: np.ndarray, logits: np.ndarray) -> None: ...

    def truncated(self, length: int) -> None: ...


class Session:
    def __init__(self, model: Model, vocab: Vocab, prime: str = "\n", sampler: Sampler | None = None,
                 interval: int | None = None):
        if len(vocab) != model.config.vocab_size:
            raise ValueError("vocabulary and model disagree on the number of characters")
        self.model = model
        self.vocab = vocab
        self.sampler = sampler or Sampler()
        state_bytes = model.initial_state().nbytes
        # a snapshot every `interval` steps costs at most 32 bytes a step
        self.interval = interval or max(16, 1 << max(0, int(np.ceil(np.log2(state_bytes / 32)))))
        c = model.config
        ring = 2 * self.interval
        self._ring_acts = np.empty((ring, c.layers, len(c.quantities), c.hidden), dtype=np.float32)
        self._ring_logits = np.empty((ring, c.vocab_size), dtype=np.float32)
        self._ring_at = np.full(ring, -1, dtype=np.int64)  # the position each ring slot holds
        # changes whenever a position already seen may now hold another character
        # (a branch, a prime typed mid-way, a reset), so views know to drop caches
        self.revision = 0
        # held while the history changes; a display cache reads ids and snapshots under it from a worker
        self.lock = threading.RLock()
        self.listeners: list[Listener] = []
        self.reset(prime)

    # -- the timeline ---------------------------------------------------------------

    def reset(self, prime: str = "\n") -> None:
        ids = self.vocab.encode(prime or self._fallback_prime())
        with self.lock:
            self._ids = array("H" if len(self.vocab) < 65536 else "I")
            self._kinds = bytearray()
            self._snapshots: list[np.ndarray] = [self.model.initial_state()]
            self._ring_at[:] = -1
            self.revision += 1
            for listener in self.listeners:
                listener.truncated(0)
        self.cursor = -1
        self.state = self.model.initial_state()
        self.logits = np.zeros(len(self.vocab), dtype=np.float32)
        c = self.model.config
        self.acts = np.zeros((c.layers, len(c.quantities), c.hidden), dtype=np.float32)
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
        return np.array(self._ids[max(0, start):end], dtype=np.int64)

    def text(self, start: int = 0, end: int | None = None) -> str:
        return self.vocab.decode(int(i) for i in self.ids(start, end))

    def kind(self, position: int) -> int:
        return self._kinds[position]

    def kinds(self, start: int = 0, end: int | None = None) -> bytes:
        """How each character of positions [start, end) was chosen (PRIMED, SAMPLED, ...)."""
        end = self.cursor + 1 if end is None else end
        return bytes(self._kinds[max(0, start):end])

    def snapshot(self, block: int) -> np.ndarray:
        """The exact state before position `block × interval` (call under `lock` from another thread)."""
        return self._snapshots[block]

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

    def probabilities(self) -> np.ndarray:
        """The model's next-character distribution after the cursor."""
        return softmax(self.logits.astype(np.float64))

    def exact_logits(self, position: int) -> np.ndarray | None:
        """The logits after `position` if a recent exact step computed them, else None."""
        slot = position % len(self._ring_at)
        return self._ring_logits[slot].copy() if self._ring_at[slot] == position else None

    def memory_bytes(self) -> int:
        """Bytes held for the history (not counting the ring of recent steps, which is bounded)."""
        return (self._ids.itemsize * len(self._ids) + len(self._kinds)
                + sum(s.nbytes for s in self._snapshots))

    # -- internals -------------------------------------------------------------------------

    def _append(self, char_id: int, kind: int) -> None:
        with self.lock:
            self._ids.append(char_id)
            self._kinds.append(kind)
        self._advance()

    def _advance(self) -> None:
        p = self.cursor + 1
        self.state, self.logits, self.acts = self.model.step(self.state, int(self._ids[p]))
        self.cursor = p
        if (p + 1) % self.interval == 0 and len(self._snapshots) == (p + 1) // self.interval:
            with self.lock:
                self._snapshots.append(self.state)
        self._remember(p, self.acts, self.logits)

    def _remember(self, position: int, acts: np.ndarray, logits: np.ndarray) -> None:
        """Keep an exact step in the ring, and tell the listeners."""
        slot = position % len(self._ring_at)
        self._ring_acts[slot], self._ring_logits[slot] = acts, logits
        self._ring_at[slot] = position
        for listener in self.listeners:
            listener.stepped(position, acts, logits)

    def _truncate(self, length: int) -> None:
        if length >= len(self._ids):
            return
        with self.lock:
            self.revision += 1  # positions from `length` on now hold other characters
            del self._ids[length:]
            del self._kinds[length:]
            del self._snapshots[length // self.interval + 1 :]
            self._ring_at[self._ring_at >= length] = -1
            for listener in self.listeners:
                listener.truncated(length)

    def _state_after(self, position: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Exact state, logits and activations after `position`.

        From the ring when a recent `Model.step` computed that position (a rewind through what was
        just played costs nothing), else a replay from a snapshot. The replay starts at the block
        of the position before, so the previous prediction (the probability of the character taken)
        is in the ring too.
        """
        slot = position % len(self._ring_at)
        if self._ring_at[slot] == position:
            acts, logits = self._ring_acts[slot].copy(), self._ring_logits[slot].copy()
            return self.model.state_from_acts(acts), logits, acts
        j = max(position - 1, 0) // self.interval
        state = self._snapshots[j]
        acts = logits = None
        for p in range(j * self.interval, position + 1):
            state, logits, acts = self.model.step(state, int(self._ids[p]))
            self._remember(p, acts, logits)
        return state, logits, acts
