"""The viewer's training-time keys: the same prime and seed, run through the model as it was
at an earlier (or later) snapshot of its training.

`rnn-tui train` keeps the model at step 0 and at a few chosen steps in
`NAME.snapshots.safetensors` (core/snapshots.py). Stepping through them regenerates
the text shown, to the same length, with each snapshot's weights, so a student sees it
go from noise to words to verse, and the heatmaps show the cells appear.
"""

from __future__ import annotations

from typing import Any

from ..analysis.unit_stats import measure
from ..core.checkpoint import Checkpoint
from ..core.safe import safe_text
from ..core.snapshots import TrainingTime

MAX_REPLAY = 20_000  # characters regenerated at most (numpy steps: about a second)


class TrainingTimeKeys:
    """Loads the snapshots at the first key press; each later press swaps the model and replays."""

    def __init__(self, checkpoint: Checkpoint):
        self.timeline = TrainingTime.beside(checkpoint)

    def move(self, app: Any, delta: int) -> str:
        """Move `app` `delta` snapshots through training time; returns the line to show."""
        tt = self.timeline
        if isinstance(tt, str):
            return safe_text(tt, 200)
        if not tt.move(delta):
            return ("already at the first snapshot: " if delta < 0 else "already at the trained model: ") + tt.label()
        session = app.session
        length = min(session.cursor + 1, MAX_REPLAY)
        model = tt.model()
        session.use_model(model, app.prime)
        while session.cursor + 1 < length:
            session.step()
        app.stats = measure(model, app.vocab)  # each snapshot's units on their own ranges
        return tt.label()
