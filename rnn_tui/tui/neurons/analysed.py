"""One analysed text, as the screens share it: the capture, its rankings, and how to colour a unit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from rich.style import Style

from ...analysis.capture import Capture, capture, check_text
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

    def levels(self, index: int | None) -> np.ndarray:
        """Colour buckets of a unit over the text, or of the surprisal. A signed unit is scaled by its largest
        magnitude in this text: an integrating cell state that drifts to thousands shows its drift, and its
        small swings near zero all take the colour of zero."""
        if index is None:
            s = self.surprisal()
            return palette.quantise(s / max(float(s.max()), 1e-6), signed=False)
        v = self.cap.values(index)
        if self.signed(index):
            v = v / max(float(np.abs(v).max()), 1e-6)
        return palette.quantise(v, signed=self.signed(index))


def analyse(ckpt: Checkpoint, text: str, source: str,
            progress: Callable[[int, int], None] | None = None) -> Analysis:
    """Capture (one stream from the text's start, so values and guesses are what the model does reading it) and
    rank every built-in feature; a UserError if the text is empty, binary or too large."""
    model = ckpt.model()
    check_text(model, text, source)
    cap = capture(model, ckpt.vocab, text, streams=1, guesses=5, progress=progress)
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
