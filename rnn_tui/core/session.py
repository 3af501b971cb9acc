"""The timeline of one generation: step, rewind, replay and branch, each exact.

The text is the history. A session keeps the characters (2 bytes each), how each
one was chosen (1 byte), and a copy of the recurrent state every `interval`
steps (16 bytes a step, amortised, for the bundled 2×256 models; see
`snapshot_interval`), so memory grows by bytes per step, not kilobytes.

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

Clamps (units held at chosen values, `Model.clamp`) are part of the history: the
clamp each character was computed under is recorded with it, replays use the
recorded one, and stepping forward under a different clamp than the redo trail
was written with writes a new branch rather than replaying text the model, as it
now runs, would not have written.

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
# Half of the 64 B/step a long play may grow by; 32 left the viewer on a pty at 61 B/step
SNAPSHOT_BYTES_PER_STEP = 16
# A far rewind replays up to `interval` steps: 256 steps of an LSTM 2×256 take ~22 ms on one core (the
# viewer's worst rewind 33 ms, of 50). A larger state snapshots more bytes a step rather than rewind slower.
MAX_INTERVAL = 256
MAX_CLAMPS = 255  # different clamps in one session's history (one byte per position records which)


def snapshot_interval(state_bytes: int) -> int:
    """Steps between state snapshots: a power of two, at most SNAPSHOT_BYTES_PER_STEP a step up to
    MAX_INTERVAL steps (an LSTM 2×256: 256; a GRU or RNN 2×256: 128; an LSTM 2×1024: 256, 64 B a step)."""
    steps = 1 << max(0, int(np.ceil(np.log2(state_bytes / SNAPSHOT_BYTES_PER_STEP))))
    return min(MAX_INTERVAL, max(16, steps))


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
        self.interval = interval or snapshot_interval(model.initial_state().nbytes)
        c = model.config
        ring = 2 * self.interval
        self._ring_acts = np.empty((ring, c.layers, len(c.quantities), c.hidden), dtype=np.float32)
        self._ring_logits = np.empty((ring, c.vocab_size), dtype=np.float32)
        self._ring_at = np.full(ring, -1, dtype=np.int64)  # the position each ring slot holds
        # a model whose state one step's activations do not give (a transformer's window) keeps it here
        self._ring_states = None if model.rebuilds_state_from_acts else [None] * ring
        # changes whenever a position already seen may now hold another character
        # (a branch, a prime typed mid-way, a reset), so views know to drop caches
        self.revision = 0
        # held while the history changes; a display cache reads ids and snapshots under it from a worker
        self.lock = threading.RLock()
        self.listeners: list[Listener] = []
        # (label, the model under that clamp, the caller's own record of it); entry 0 is the model as
        # trained. Shallow copies share the weights, and none is changed after it is made, so a worker
        # can run any of them.
        self._clamps: list[tuple[str, Model, object]] = [("", model.with_clamp(None), None)]
        self.clamp_id = 0  # the clamp new characters are computed under
        self.reset(prime)

    # -- the timeline ---------------------------------------------------------------

    def reset(self, prime: str = "\n") -> None:
        ids = self.vocab.encode(prime or self._fallback_prime())
        with self.lock:
            self._ids = array("H" if len(self.vocab) < 65536 else "I")
            self._kinds = bytearray()
            self._clamp_ids = bytearray()
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

    def clamp_ids(self, start: int = 0, end: int | None = None) -> bytes:
        """Which clamp each character of positions [start, end) was computed under (0: none)."""
        end = self.cursor + 1 if end is None else end
        return bytes(self._clamp_ids[max(0, start):end])

    def model_for(self, clamp_id: int) -> Model:
        """The model as it ran under clamp `clamp_id` (see `clamp_ids`)."""
        return self._clamps[clamp_id][1]

    @property
    def clamp_label(self) -> str:
        """What the clamp new characters are computed under holds ("" when none)."""
        return self._clamps[self.clamp_id][0]

    @property
    def clamp_tag(self) -> object:
        """The caller's record of that clamp, as given to `set_clamp` (None when none)."""
        return self._clamps[self.clamp_id][2]

    def set_clamp(self, clamp: dict | None, label: str, tag: object = None) -> None:
        """Compute from now on under `clamp` ({layer: {quantity: (units, values)}}, None: none),
        named `label` for the status line (the same label means the same clamp). The characters
        already written keep theirs; a rewind makes the clamp of the text ahead the current one."""
        if clamp is None:
            self.clamp_id = 0
            return
        labels = [name for name, _, _ in self._clamps]
        if label in labels[1:]:
            self.clamp_id = labels.index(label, 1)
            return
        if len(self._clamps) > MAX_CLAMPS:
            raise ValueError(f"this session has used {MAX_CLAMPS} different clamps; restart (r) to clamp again")
        self._clamps.append((label, self.model.with_clamp(clamp), tag))
        self.clamp_id = len(self._clamps) - 1

    def use_model(self, model: Model, prime: str) -> None:
        """Run other weights of the same architecture (a training snapshot) from `prime`, under the same
        clamps; the history starts again, as after `reset`."""
        if model.config != self.model.config:
            raise ValueError("use_model needs a model of the same architecture")
        self.model = model
        self._clamps = [(label, model.with_clamp(old.clamp), tag) for label, old, tag in self._clamps]
        self.reset(prime)

    def snapshot(self, block: int) -> np.ndarray:
        """The exact state before position `block × interval` (call under `lock` from another thread)."""
        return self._snapshots[block]

    # -- moving ------------------------------------------------------------------------

    @property
    def replays(self) -> bool:
        """Would a step replay the redo trail? Not when it was written under another clamp."""
        return self.can_redo and self._clamp_ids[self.cursor + 1] == self.clamp_id

    def step(self) -> int:
        """One character forward: replay the timeline if it goes on (under the same clamp), else
        sample, branching. Returns the id."""
        if self.replays:
            self._advance()
            self._follow_trail()
        else:
            self._truncate(self.cursor + 1)
            self._append(self.sampler.choose(self.logits, len(self._ids)), SAMPLED)
        return int(self._ids[self.cursor])

    def choose(self, char_id: int, kind: int = FORCED) -> None:
        """Take `char_id` as the next character; if the timeline went on differently, branch."""
        if not 0 <= char_id < len(self.vocab):
            raise ValueError(f"character id {char_id} out of range")
        if self.replays and self._ids[self.cursor + 1] == char_id:
            self._advance()
            self._follow_trail()
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
        self.clamp_id = self._clamp_ids[position]
        self._follow_trail()

    def _follow_trail(self) -> None:
        """While a redo trail lies ahead, the current clamp is the one it was written under: stepping
        replays it, and the status line says what the model ran under there."""
        if self.can_redo:
            self.clamp_id = self._clamp_ids[self.cursor + 1]

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
        return (self._ids.itemsize * len(self._ids) + len(self._kinds) + len(self._clamp_ids)
                + sum(s.nbytes for s in self._snapshots))

    # -- internals -------------------------------------------------------------------------

    def _append(self, char_id: int, kind: int) -> None:
        with self.lock:
            self._ids.append(char_id)
            self._kinds.append(kind)
            self._clamp_ids.append(self.clamp_id)
        self._advance()

    def _advance(self) -> None:
        p = self.cursor + 1
        model = self._clamps[self._clamp_ids[p]][1]
        self.state, self.logits, self.acts = model.step(self.state, int(self._ids[p]))
        self.cursor = p
        if (p + 1) % self.interval == 0 and len(self._snapshots) == (p + 1) // self.interval:
            with self.lock:
                self._snapshots.append(self.state)
        self._remember(p, self.acts, self.logits, self.state)

    def _remember(self, position: int, acts: np.ndarray, logits: np.ndarray, state: np.ndarray) -> None:
        """Keep an exact step in the ring, and tell the listeners."""
        slot = position % len(self._ring_at)
        self._ring_acts[slot], self._ring_logits[slot] = acts, logits
        if self._ring_states is not None:
            self._ring_states[slot] = state
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
            del self._clamp_ids[length:]
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
            if self._ring_states is not None:
                return self._ring_states[slot].copy(), logits, acts
            return self.model.state_from_acts(acts), logits, acts
        j = max(position - 1, 0) // self.interval
        state = self._snapshots[j]
        acts = logits = None
        for p in range(j * self.interval, position + 1):
            state, logits, acts = self._clamps[self._clamp_ids[p]][1].step(state, int(self._ids[p]))
            self._remember(p, acts, logits, state)
        return state, logits, acts
