"""One analysed text, as the viewer's screens share it: the capture, its rankings, its guesses and surprisal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..core.checkpoint import Checkpoint
from .capture import Capture, capture, check_text
from .export import surprisal, top_guesses
from .features import BUILT_IN
from .finder import Ranking, rank


@dataclass
class Analysis:
    ckpt: Checkpoint
    cap: Capture
    source: str  # what the text is, for titles: "held-out passage", "file notes.txt", "generated text"
    rankings: list[Ranking] = field(default_factory=list)
    _guesses: dict[int, list[tuple[str, float]]] = field(default_factory=dict)
    _surprisal: np.ndarray | None = None

    @property
    def text(self) -> str:
        return self.cap.text

    def guesses(self, t: int) -> list[tuple[str, float]]:
        """The model's top-5 next characters after character t (computed on demand, kept)."""
        g = self._guesses.get(t)
        if g is None and self.cap.logits is not None:
            g = self._guesses[t] = top_guesses(self.cap.logits[t : t + 1], self.ckpt.vocab.chars)[0]
        return g or []

    def surprisal(self) -> np.ndarray:
        if self._surprisal is None:
            self._surprisal = surprisal(self.cap.logits, self.cap.ids)
        return self._surprisal

    def signed(self, index: int) -> bool:
        return self.cap.unit_name(index)[1] not in self.cap.gates


def analyse(ckpt: Checkpoint, text: str, source: str,
            progress: Callable[[int, int], None] | None = None) -> Analysis:
    """Capture and rank every built-in feature; a UserError if the text is empty, binary or too large."""
    model = ckpt.model()
    check_text(model, text, source)
    cap = capture(model, ckpt.vocab, text, keep_logits=True, progress=progress)
    return Analysis(ckpt, cap, source, rank(cap, BUILT_IN, top=5))


def passage_job(ckpt: Checkpoint, fallback: str, fallback_source: str):
    """What the finder analyses when opened: the model's own held-out passage if it ships one, else `fallback`
    (the generated text). Returns the job for FinderScreen."""
    from .known_cells import passage

    shipped = passage(ckpt)
    text, source = (shipped[0], "its held-out passage") if shipped else (fallback, fallback_source)
    return lambda progress: analyse(ckpt, text, source, progress)
