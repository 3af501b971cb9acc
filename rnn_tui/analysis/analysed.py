"""One analysed text, as the viewer's screens share it: the capture, its rankings, its guesses and surprisal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..core.checkpoint import Checkpoint
from .capture import Capture, capture, check_text
from .features import BUILT_IN
from .finder import Ranking, rank


@dataclass
class Analysis:
    ckpt: Checkpoint
    cap: Capture
    source: str  # what the text is, for titles: "held-out passage", "file notes.txt", "generated text"
    rankings: list[Ranking] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.cap.text

    def guesses(self, start: int, end: int) -> list[list[tuple[str, float]]]:
        """The model's top-5 next characters after each character in [start, end), as it read the text from
        its start (empty lists if the capture kept none)."""
        g = self.cap.guesses
        return g.rows(start, end, self.ckpt.vocab.chars) if g is not None else [[] for _ in range(start, end)]

    def surprisal(self) -> np.ndarray:
        g = self.cap.guesses
        return g.surprisal if g is not None else np.zeros(len(self.cap), np.float32)

    def signed(self, index: int) -> bool:
        return self.cap.unit_name(index)[1] not in self.cap.gates


def analyse(ckpt: Checkpoint, text: str, source: str,
            progress: Callable[[int, int], None] | None = None) -> Analysis:
    """Capture (one stream from the text's start, so values and guesses are what the model does reading it) and
    rank every built-in feature; a UserError if the text is empty, binary or too large."""
    model = ckpt.model()
    check_text(model, text, source)
    cap = capture(model, ckpt.vocab, text, streams=1, guesses=5, progress=progress)
    return Analysis(ckpt, cap, source, rank(cap, BUILT_IN, top=5))


def passage_job(ckpt: Checkpoint, fallback: str, fallback_source: str):
    """What the finder analyses when opened: the model's own held-out passage if it ships one, else `fallback`
    (the generated text). Returns the job for FinderScreen."""
    from .known_cells import passage

    shipped = passage(ckpt)
    text, source = (shipped[0], "its held-out passage") if shipped else (fallback, fallback_source)
    return lambda progress: analyse(ckpt, text, source, progress)
