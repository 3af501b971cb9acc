"""The viewer's training-time keys: the same prime and seed, run through the model as it was
at an earlier (or later) snapshot of its training.

`rnn-tui train` keeps the model at step 0 and at a few chosen steps in
`NAME.snapshots.safetensors` (core/snapshots.py). Stepping through them regenerates
the text shown, to the same length, with each snapshot's weights, so a student sees it
go from noise to words to verse, and the heatmaps show the cells appear.
"""

from __future__ import annotations

from ..analysis.unit_stats import UnitStats, measure
from ..core.checkpoint import Checkpoint
from ..core.safe import safe_text
from ..core.session import Session
from ..core.snapshots import TrainingTime
from ..core.vocab import Vocab

MAX_REPLAY = 20_000  # characters regenerated at most (numpy steps: about a second)


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
