"""The model's guesses for the next character, and how surprised it was by the last.

Probabilities are the model's own (softmax of the logits at temperature 1), so
they do not change when the temperature does; the sampler's line says how the
next character will actually be drawn. Information is in bits, which students
meet first. While playing over the byte budget the panel can be a few steps
behind the text; its heading then shows ≈.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual.geometry import Region

from ...core.sampling import entropy, softmax
from ..engine.scene import Scene
from .base import Panel

EIGHTHS = " ▏▎▍▌▋▊▉█"
LN2 = math.log(2)
TOP_K = 5


@dataclass(frozen=True)
class Prediction:
    candidates: tuple[tuple[str, float], ...]  # (glyph, probability), most likely first
    taken: str | None  # glyph of the character at the cursor
    taken_p: float | None  # the probability the model gave it
    entropy_bits: float


def visible(glyph: str) -> str:
    """A space is invisible on its own in a list: show it as ␣."""
    return "␣" if glyph == " " else glyph


def predict(probs: np.ndarray, glyphs: tuple[str, ...], k: int, taken: int | None,
            taken_probs: np.ndarray | None) -> Prediction:
    order = top_ids(probs, k)
    return Prediction(
        tuple((visible(glyphs[i]), float(probs[i])) for i in order),
        None if taken is None else visible(glyphs[taken]),
        None if taken is None or taken_probs is None else float(taken_probs[taken]),
        entropy(probs) / LN2,
    )


def top_ids(probs: np.ndarray, k: int = TOP_K) -> list[int]:
    return [int(i) for i in np.argsort(-probs, kind="stable")[:k]]


def bar(fraction: float, width: int) -> str:
    eighths = int(round(max(0.0, min(1.0, fraction)) * width * 8))
    full, part = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[part] if part else "")).ljust(width)


class PredictionsPanel(Panel):
    COMPONENT_CLASSES = {"predictions--bar"}

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.prediction: Prediction | None = None

    def show(self, scene: Scene) -> int:
        """Show the prediction at the cursor; returns how many cells that repaints (0 when nothing changed)."""
        s = scene.session
        cur = s.cursor
        self.shown_at = (s.revision, cur)
        taken = int(s.ids(cur, cur + 1)[0]) if cur >= 0 else None
        prev = softmax(scene.cache.logits_at(cur - 1).astype(np.float64)) if cur >= 1 else None
        prediction = predict(s.probabilities(), scene.vocab.glyphs, TOP_K, taken, prev)
        if prediction == self.prediction:
            return 0
        self.prediction = prediction
        self.refresh()
        return self.size.area

    def stale_regions(self) -> list[Region]:
        return [Region(0, 0, self.size.width, self.size.height)]

    def render(self) -> Text:
        p = self.prediction
        text = Text(no_wrap=True, overflow="crop")
        if p is None:
            return text
        bar_style = self.get_component_rich_style("predictions--bar")
        bar_w = max(4, self.size.width - 12)
        if self.size.height >= 8:
            heading = "next char" + (" ≈" if self.stale else "")
            # the hint gives way before the heading wraps (the stale mark makes it two cells longer)
            hint = next((h for h in ("  (key takes it)", " (key takes it)", "")
                         if len(heading) + len(h) <= self.size.width), "")
            text.append(heading, "bold")
            text.append(hint + "\n", "dim")
        for n, (g, prob) in enumerate(p.candidates, 1):
            text.append(f"{n} ", "bold")
            text.append(f"{g} ", "bold")
            text.append(bar(prob, bar_w), bar_style)
            text.append(f"{prob:5.1%}\n" if prob < 0.9995 else " 100%\n")
        behind = " ≈" if self.stale and self.size.height < 8 else ""  # no heading to carry the mark
        text.append(f"entropy {p.entropy_bits:.2f} bits{behind}\n", "dim")
        text.append("took ", "dim")
        if p.taken_p is None:
            text.append(p.taken or "-", "bold")
            text.append(" (primed first)", "dim")
        else:
            surprisal = -math.log2(max(p.taken_p, 1e-300))
            text.append(p.taken or "", "bold")
            text.append(f" {p.taken_p:.1%} · {surprisal:.2f} bits")
        return text
