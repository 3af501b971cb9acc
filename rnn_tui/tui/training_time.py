"""The viewer's training-time keys: the same prime and seed, run through the model as it was
at an earlier (or later) snapshot of its training.

`rnn-tui train` keeps the model at step 0 and at a few chosen steps in
`NAME.snapshots.safetensors` (core/snapshots.py). Stepping through them regenerates
the text shown, to the same length, with each snapshot's weights, so a student sees it
go from noise to words to verse, and the heatmaps show the cells appear.
"""

from __future__ import annotations

from ..analysis.unit_stats import UnitStats, measure
from ..core.cells import Model
from ..core.checkpoint import Checkpoint
from ..core.errors import CheckpointError
from ..core.safe import safe_text
from ..core.session import Session
from ..core.snapshots import Snapshot, Snapshots, load, snapshots_path
from ..core.vocab import Vocab

MAX_REPLAY = 20_000  # characters regenerated at most (numpy steps: about a second)


class TrainingTime:
    """A checkpoint and the snapshots of its training, in step order: what the viewer steps through.

    Positions are the snapshots and the checkpoint itself (None, where the viewer starts), in
    step order: the kept checkpoint may be an earlier step than the run's last snapshot, when
    the held-out loss rose at the end. A snapshot of the checkpoint's own step is left out,
    since it is the same model.
    """

    def __init__(self, checkpoint: Checkpoint, snaps: Snapshots):
        self.checkpoint = checkpoint
        final = checkpoint.provenance.get("steps")
        kept = [s for s in snaps.items if s.step != final]
        at = sum(1 for s in kept if s.step < final) if isinstance(final, int) else len(kept)
        self.items: list[Snapshot | None] = kept[:at] + [None] + kept[at:]
        self.config = snaps.config
        self.position = at
        self._models: dict[int, Model] = {}

    @classmethod
    def beside(cls, checkpoint: Checkpoint) -> TrainingTime | str:
        """The training time of a checkpoint, or why there is none (one line for the status bar)."""
        path = snapshots_path(checkpoint.path)
        if not path.is_file():
            return f"no training snapshots beside this model ({path.name}; `rnn-tui train` writes them)"
        try:
            snaps = load(path)
        except CheckpointError as e:
            return str(e)
        if snaps.config != checkpoint.config or snaps.vocab.chars != checkpoint.vocab.chars:
            return f"{path.name} belongs to another model (its network or vocabulary differs)"
        return cls(checkpoint, snaps)

    def __len__(self) -> int:
        return len(self.items)

    def move(self, delta: int) -> bool:
        """Go `delta` snapshots later (negative: earlier); False at either end."""
        new = min(max(self.position + delta, 0), len(self.items) - 1)
        moved, self.position = new != self.position, new
        return moved

    def model(self) -> Model:
        if self.position not in self._models:  # a few, small: keep them for stepping back and forth
            item = self.items[self.position]
            self._models[self.position] = self.checkpoint.model() if item is None else self.config.build(item.tensors)
        return self._models[self.position]

    def era(self) -> str:
        """For the status line: "snapshot 3/9 · step 1,635 of 2,062", or "" at the trained model."""
        item = self.items[self.position]
        if item is None:
            return ""
        final = self.checkpoint.provenance.get("steps")
        of = f" of {final:,}" if isinstance(final, int) else ""
        return f"snapshot {self.position + 1}/{len(self.items)} · step {item.step:,}{of}"

    def label(self) -> str:
        item = self.items[self.position]
        prov = self.checkpoint.provenance
        if item is None:
            val = prov.get("val_loss")
            shown = f", held-out {val:.3f} nats/char" if isinstance(val, (int, float)) else ""
            return f"trained model (step {prov.get('steps', '?')}{shown})"
        return (f"training step {item.step:,} of {prov.get('steps', '?')}, held-out {item.val_loss:.3f} nats/char "
                f"({self.position + 1}/{len(self.items)})")


class TrainingTimeKeys:
    """Loads the snapshots at the first key press; each later press swaps the model and replays."""

    def __init__(self, checkpoint: Checkpoint):
        self.timeline = TrainingTime.beside(checkpoint)

    def move(self, session: Session, prime: str, vocab: Vocab, delta: int) -> tuple[str, UnitStats | None]:
        """Move `delta` snapshots through training time and regenerate the text shown, to the same length,
        from `prime`: the line to show, and the units' ranges under the new weights (None if nothing moved).
        Up to MAX_REPLAY steps: the viewer runs this on a worker while it leaves the session alone."""
        tt = self.timeline
        if isinstance(tt, str):
            return safe_text(tt, 200), None
        if not tt.move(delta):
            edge = "already at the first snapshot: " if delta < 0 else "already at the trained model: "
            return edge + tt.label(), None
        length = min(session.cursor + 1, MAX_REPLAY)
        model = tt.model()
        session.use_model(model, prime)
        while session.cursor + 1 < length:
            session.step()
        return tt.label(), measure(model, vocab)  # each snapshot's units on their own ranges
