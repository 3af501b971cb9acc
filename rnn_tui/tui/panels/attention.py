"""What each attention head reads at the cursor: the text before it, coloured by the head's weights.

A transformer's answer to "what does it remember": one line per head of the
selected layer (`l` changes the layer), the characters of its window drawn on a
background as strong as the weight the head puts on them, as the memory-span
screen draws influence. It takes the place of the unit's equations (`e`), which
a transformer block does not have in that form, and follows the cursor.
"""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text

from ..engine.scene import Scene
from .unit_equation import UnitEquationPanel

# weight ≥ 1e-3 is drawn, on this ramp from dim to bright, one step per half decade
RAMP = ("#1f2a44", "#2c4a6e", "#2f6f8f", "#2f9a9a", "#4cc38a", "#a6d96a", "#fee08b")
FLOOR = 1e-3
DENSITY = "░▒▓█"  # the same levels as glyphs, for screens without colour


def weight_levels(weights: np.ndarray, levels: int = len(RAMP)) -> np.ndarray:
    """-1 below FLOOR, else 0 … levels − 1, evenly in log10 from FLOOR to 1."""
    w = np.maximum(np.asarray(weights, dtype=np.float64), 1e-30)
    scaled = (np.log10(w) - np.log10(FLOOR)) / -np.log10(FLOOR) * levels
    return np.where(w < FLOOR, -1, np.clip(scaled, 0, levels - 1)).astype(int)


class AttentionPanel(UnitEquationPanel):
    def __init__(self, heads: int, glyphs: tuple[str, ...], no_colour: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.heads = heads
        self.glyphs = glyphs
        self.no_colour = no_colour
        self.weights: np.ndarray | None = None  # (heads, n) at the cursor, oldest character first
        self.window: np.ndarray | None = None
        self.at_layer = 0
        self.position = -1

    @property
    def rows(self) -> int:
        return 2 + self.heads if self.has_class("-on") else 0

    def show(self, scene: Scene) -> int:
        if not self.display:
            return 0
        s, v = scene.session, scene.view
        self.shown_at = (s.revision, s.cursor)
        self.position, self.at_layer = s.cursor, v.layer
        if s.cursor < 0:
            self.weights = None
        else:
            model = s.model_for(s.clamp_ids(s.cursor, s.cursor + 1)[0])
            self.window = model.window(s.state)
            self.weights = model.attention(s.state)[v.layer]
        self.refresh()
        return self.size.area

    def render(self) -> Text:
        if self.weights is None or self.window is None:
            return Text("no step yet", style="dim")
        n = len(self.window)
        width = max(8, self.size.width - 6)
        shown = min(n, width)
        text = Text(no_wrap=True, overflow="ellipsis")
        head = (f"Attention, layer {self.at_layer + 1}, step {self.position}: what each head reads "
                f"(window {n} characters; brighter = more weight)")
        text.append(head[: max(1, self.size.width - 2)] + (" ≈" if self.stale else "") + "\n", "bold")
        glyphs = [self.glyphs[int(i)] for i in self.window[n - shown :]]
        for h in range(self.weights.shape[0]):
            w = self.weights[h]
            beyond = float(w[: n - shown].sum())
            text.append(f"h{h + 1:<2}", "dim")
            text.append("…" if beyond >= FLOOR else " ", "dim")
            for g, level in zip(glyphs, weight_levels(w[n - shown :]).tolist(), strict=True):
                if level < 0:
                    text.append(g, "dim")
                elif self.no_colour:
                    text.append(DENSITY[level * len(DENSITY) // len(RAMP)])
                else:
                    text.append(g, Style(bgcolor=RAMP[level], color="#ffffff" if level < 4 else "#000000"))
            text.append("\n")
        top = self.weights.argmax(axis=1)
        reads = "  ".join(f"h{h + 1}: lag {n - int(t)} {self.glyphs[int(self.window[t])]!r}" for h, t in enumerate(top))
        text.append("strongest " + reads, "italic")
        return text
