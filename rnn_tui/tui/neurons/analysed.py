"""One analysed text, as the screens share it: the capture, its rankings, and how to colour a unit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from rich.style import Style

from ...analysis.capture import Capture, capture, check_text
from ...analysis.export import surprisal, top_guesses
from ...analysis.features import BUILT_IN
from ...analysis.finder import Ranking, rank
from ...core.checkpoint import Checkpoint
from .. import palette

SelectUnit = Callable[[int, str, int], None]  # (layer, quantity, unit): select it in the main view
SPARK = " ▁▂▃▄▅▆▇█"


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

    def levels(self, index: int | None) -> np.ndarray:
        """Colour buckets of a unit over the text (signed: by its largest magnitude), or of the surprisal."""
        if index is None:
            s = self.surprisal()
            return palette.quantise(s / max(float(s.max()), 1e-6), signed=False)
        v = self.cap.values(index)
        if self.signed(index):
            v = v / max(float(np.abs(v).max()), 1e-6)
        return palette.quantise(v, signed=self.signed(index))


def analyse(ckpt: Checkpoint, text: str, source: str,
            progress: Callable[[int, int], None] | None = None) -> Analysis:
    """Capture and rank every built-in feature; a UserError if the text is empty, binary or too large."""
    model = ckpt.model()
    check_text(model, text, source)
    cap = capture(model, ckpt.vocab, text, keep_logits=True, progress=progress)
    return Analysis(ckpt, cap, source, rank(cap, BUILT_IN, top=5))


_DEFAULT_MAPS = palette.Maps()


def cell_style(app, level: int, signed: bool) -> Style:
    """A character on a unit's colour, from the app's maps (theme and colour system; dark defaults elsewhere)."""
    return getattr(app, "maps", _DEFAULT_MAPS).text_on(int(level), signed)


def sparkline(values: np.ndarray, start: int, width: int) -> str:
    """One bar per character from `start` (a ramp shows its teeth, an on/off unit its step), on the unit's
    range over the whole text."""
    if not len(values) or width < 1:
        return ""
    start = max(0, min(start, len(values) - width))
    window = values[start : start + width]
    lo, hi = float(values.min()), float(values.max())
    k = np.zeros(len(window), int) if hi <= lo else np.rint((window - lo) / (hi - lo) * 8).astype(int)
    return "".join(SPARK[max(1, i)] for i in k)


def passage_job(ckpt: Checkpoint, fallback: str, fallback_source: str):
    """What the finder analyses when opened: the model's own held-out passage if it ships one, else `fallback`
    (the generated text). Returns the job for FinderScreen."""
    from ...analysis.known_cells import passage

    shipped = passage(ckpt)
    text, source = (shipped[0], "its held-out passage") if shipped else (fallback, fallback_source)
    return lambda progress: analyse(ckpt, text, source, progress)
