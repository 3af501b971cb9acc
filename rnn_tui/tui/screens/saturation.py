"""Gate saturation (Karpathy, Johnson & Fei-Fei 2015, Fig. 3), one scatter per layer and gate.

Each unit is a dot at (fraction of characters its gate is < 0.1, fraction it is
> 0.9): near the right-hand axis a gate that is nearly always open, at the
origin one used in between. A cell holding more units is drawn denser. Arrow
keys move a crosshair and pick the nearest unit (Tab: the next plot); Enter,
or a click on a dot, selects the unit in the main view.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Footer, Static

from ...analysis.analysed import Analysis
from ...analysis.saturation import GateSaturation, saturation
from ...core.safe import safe_text
from ..messages import PointChosen
from .help import show_help
from .unit_view import SelectUnit

DOTS = " ·•●"
PICKED = Style(reverse=True, bold=True)


class Scatter(Widget):
    """Every plot in one grid: columns are gates, rows are layers."""

    def __init__(self, plots: list[GateSaturation], gates: tuple[str, ...]) -> None:
        super().__init__()
        self.plots, self.gates = plots, gates
        self.n_layers = max((p.layer for p in plots), default=0) + 1
        self.plot = 0  # which plot the crosshair is in
        self.x, self.y = 0.0, 0.0  # the crosshair, in fractions
        self.unit = 0

    def geometry(self) -> tuple[int, int]:
        """(plot width, plot height) in cells, axes and titles excluded."""
        return (max(8, self.size.width // len(self.gates) - 4), max(4, self.size.height // self.n_layers - 3))

    def cell_of(self, p: GateSaturation, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
        return np.rint(p.left * (w - 1)).astype(int), (h - 1) - np.rint(p.right * (h - 1)).astype(int)

    def nearest(self) -> None:
        p = self.plots[self.plot]
        d = (p.left - self.x) ** 2 + (p.right - self.y) ** 2
        self.unit = int(np.argmin(d))

    def render(self) -> Text:
        w, h = self.geometry()
        out = Text(no_wrap=True, overflow="crop")
        for layer in range(self.n_layers):
            row = [p for p in self.plots if p.layer == layer]
            grids, titles = [], []
            for p in row:
                k = self.plots.index(p)
                xs, ys = self.cell_of(p, w, h)
                count = np.zeros((h, w), int)
                np.add.at(count, (ys, xs), 1)
                picked = (ys[self.unit], xs[self.unit]) if k == self.plot else None
                grids.append((count, picked))
                titles.append(f"L{layer + 1} {p.gate}" + (f" · unit {self.unit}" if k == self.plot else ""))
            out.append("".join(f"  {t[: w + 1]:<{w + 2}}" for t in titles) + "\n", "bold")
            for y in range(h):
                for count, picked in grids:
                    out.append(f"{'1' if y == 0 else '0' if y == h - 1 else ' '} │", "dim")
                    for x in range(w):
                        n = count[y, x]
                        out.append(DOTS[min(3, n)], PICKED if picked == (y, x) else None)
                    out.append(" ")
                out.append("\n")
            out.append("".join(f"  └{'─' * (w - 1)}┘ " for _ in row) + "\n", "dim")
        return out

    def on_click(self, event: events.Click) -> None:
        w, h = self.geometry()
        col, row = event.x // (w + 3), event.y // (h + 2)
        matching = [k for k, p in enumerate(self.plots) if p.layer == row]
        if col < len(matching):
            self.plot = matching[col]
            fx = (event.x % (w + 3) - 2) / max(w - 1, 1)
            fy = 1 - (event.y % (h + 2) - 1) / max(h - 1, 1)
            self.x, self.y = min(1.0, max(0.0, fx)), min(1.0, max(0.0, fy))
            self.nearest()
            self.refresh()
            self.post_message(PointChosen())


class SaturationScreen(ModalScreen):
    CSS_PATH = Path(__file__).with_suffix(".tcss")  # beside this file, also for subclasses elsewhere
    BINDINGS = [
        Binding("escape", "close", "Back", id="saturation.close"),
        Binding("left", "move(-1, 0)", "←", show=False, id="saturation.left"),
        Binding("right", "move(1, 0)", "→", show=False, id="saturation.right"),
        Binding("up,k", "move(0, 1)", "↑", show=False, id="saturation.up"),
        Binding("down,j", "move(0, -1)", "↓", show=False, id="saturation.down"),
        Binding("tab", "next_plot", "Next plot", id="saturation.next"),
        Binding("enter", "choose", "Select unit", id="saturation.choose"),
        Binding("question_mark", "help", "Help", id="saturation.help"),
    ]

    def action_help(self) -> None:
        show_help(self, "Gate saturation keys")

    def __init__(self, analysis: Analysis, on_select: SelectUnit) -> None:
        super().__init__()
        self.analysis = analysis
        self.on_select = on_select
        self.plots = saturation(analysis.cap)

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble(("Gate saturation  ", "bold"),
                                   f"{safe_text(self.analysis.ckpt.name)} on {self.analysis.source}: x = fraction "
                                   "of time < 0.1 (left-saturated), y = fraction > 0.9 (right)"), id="title")
        if self.plots:
            gates = tuple(dict.fromkeys(p.gate for p in self.plots))
            yield Scatter(self.plots, gates)
        else:
            yield Static("A plain RNN has no gates: nothing saturates.", id="empty")
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self._update()

    def _update(self, note: str = "") -> None:
        if not self.plots:
            return
        s = self.query_one(Scatter)
        p = self.plots[s.plot]
        line = (f"L{p.layer + 1} {p.gate} unit {s.unit}: < 0.1 {p.left[s.unit]:.0%} of the time, "
                f"> 0.9 {p.right[s.unit]:.0%} · {p.meaning}")
        self.query_one("#status", Static).update(Text(note or line, no_wrap=True, overflow="ellipsis"))
        s.refresh()

    def action_move(self, dx: int, dy: int) -> None:
        if not self.plots:
            return
        s = self.query_one(Scatter)
        w, h = s.geometry()
        s.x = min(1.0, max(0.0, s.x + dx / max(w - 1, 1)))
        s.y = min(1.0, max(0.0, s.y + dy / max(h - 1, 1)))
        s.nearest()
        self._update()

    def action_next_plot(self) -> None:
        if self.plots:
            s = self.query_one(Scatter)
            s.plot = (s.plot + 1) % len(self.plots)
            s.nearest()
            self._update()

    def on_point_chosen(self, _message: PointChosen) -> None:
        self.action_choose()

    def action_choose(self) -> None:
        if not self.plots:
            return
        s = self.query_one(Scatter)
        p = self.plots[s.plot]
        self.on_select(p.layer, p.gate, s.unit)
        self._update(f"L{p.layer + 1} {p.gate} {s.unit} selected in the main view")

    def action_close(self) -> None:
        self.app.pop_screen()
