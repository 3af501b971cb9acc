"""Temperature, top-k and top-p explained: the next-character distribution before and after each.

Three bars per character, most likely first: what the model says (t = 1), after
dividing the logits by t, and after the top-k / top-p cut, renormalised (what
is drawn from). The keys change the sampler the viewer uses, so a student sees
what `t` does to the bars and then what it does to the text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ...analysis.sampling_view import stages
from ...core.sampling import MODES, Sampler
from ...core.vocab import Vocab
from .help import show_help

EIGHTHS = " ▏▎▍▌▋▊▉█"
STAGE_STYLES = (Style(color="#9e9e9e"), Style(color="#56b4e9"), Style(color="#e69f00"))
LABEL = 6


def bar(p: float, width: int, full_at: float = 1.0) -> str:
    """p of `full_at` fills `width` cells, in eighths of a cell."""
    eighths = int(round(max(0.0, min(1.0, p / full_at)) * width * 8))
    full, part = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[part] if part else "")).ljust(width)


class SamplingScreen(ModalScreen):
    CSS_PATH = Path(__file__).with_suffix(".tcss")  # beside this file, also for subclasses elsewhere
    BINDINGS = [
        Binding("escape,q", "dismiss", "Back", id="sampling.close"),
        Binding("t,down", "temperature(0.8)", "t ×0.8", id="sampling.colder", key_display="t ↓"),
        Binding("T,up", "temperature(1.25)", "t ×1.25", id="sampling.hotter", key_display="T ↑"),
        Binding("m", "mode", "Mode", id="sampling.mode", tooltip="sample, argmax, top-k, top-p"),
        Binding("right", "cut(1)", "k/p up", id="sampling.more", key_display="→",
                tooltip="widen the top-k / top-p cut"),
        Binding("left", "cut(-1)", "k/p down", id="sampling.fewer", key_display="←",
                tooltip="narrow the top-k / top-p cut"),
        Binding("question_mark", "help", "Help", id="sampling.help"),
    ]

    def action_help(self) -> None:
        show_help(self, "Sampling explained: keys")

    def __init__(self, logits: np.ndarray, vocab: Vocab, sampler: Sampler,
                 on_change: Callable[[Sampler], None] | None = None) -> None:
        super().__init__()
        self.logits, self.vocab, self.sampler = np.asarray(logits), vocab, sampler
        self.on_change = on_change

    def compose(self) -> ComposeResult:
        yield Static(id="sampling-bars")
        yield Static(id="sampling-words")
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()

    def on_resize(self) -> None:
        self.redraw()

    def _set(self, sampler: Sampler) -> None:
        self.sampler = sampler
        if self.on_change is not None:
            self.on_change(sampler)
        self.redraw()

    def action_temperature(self, factor: float) -> None:
        t = self.sampler.temperature
        t = 0.1 if t == 0 and factor > 1 else round(min(10.0, t * factor), 3)
        self._set(self.sampler.with_(temperature=0.0 if t < 0.05 else t))

    def action_mode(self) -> None:
        self._set(self.sampler.with_(mode=MODES[(MODES.index(self.sampler.mode) + 1) % len(MODES)]))

    def action_cut(self, step: int) -> None:
        s = self.sampler
        if s.mode == "top-k":
            self._set(s.with_(top_k=int(min(len(self.vocab), max(1, s.top_k + step)))))
        elif s.mode == "top-p":
            self._set(s.with_(top_p=round(min(1.0, max(0.05, s.top_p + 0.05 * step)), 2)))

    def redraw(self) -> None:
        if not self.is_mounted:
            return
        st = stages(self.logits, self.sampler)
        full_at = float(max(st.model[0], st.tempered.max(), st.sampled.max()))  # one scale for all three
        width = self.app.size.width
        w = max(6, (width - LABEL - 3 * 7) // 3)
        s = self.sampler
        cut = {"top-k": f"top-k {s.top_k}", "top-p": f"top-p {s.top_p:g}"}.get(s.mode, "no cut")
        heads = ("model (t = 1)", f"t = {s.temperature:g}" if not s.greedy else "argmax", cut)
        lines = [Text("Sampling explained: the next character's distribution, stage by stage "
                      f"(bars to {full_at:.0%})", style="bold"),
                 Text(" " * LABEL + "".join(f"{h:<{w + 7}}" for h in heads), style="dim")]
        rows = max(3, self.app.size.height - 8)
        for j in range(min(rows, len(st.order))):
            g = self.vocab.glyphs[int(st.order[j])]
            line = Text(f" {'␣' if g == ' ' else g:<{LABEL - 1}}")
            for p, style in zip((st.model[j], st.tempered[j], st.sampled[j]), STAGE_STYLES, strict=True):
                line.append(bar(float(p), w, full_at), style)
                line.append(f" {p:5.3f} ", "dim" if p == 0 else "")
            lines.append(line)
        self.query_one("#sampling-bars", Static).update(Text("\n").join(lines))
        self.query_one("#sampling-words", Static).update(Text("\n".join(st.lines)))
