"""Side by side: two or three models read the same characters, aligned character by character.

Under the text, one row per model shows how surprised it was by each character
(a bar from ▁ at 0 bits to █ at 8 bits or more), so the places where the RNN
loses track and the LSTM does not line up under the character that caused it.
Below, per model: the probability and surprisal of the last character, the
running loss, and its top 5 for the next one. Space plays (the first model
samples, every model reads it), → steps, ← rewinds, f forces a character into
all of them.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from ...analysis.side_by_side import SideBySide
from ...core.safe import glyph, safe_text

BARS = "▁▂▃▄▅▆▇█"
MAX_BITS = 8.0
LABEL = 12  # the left column: model letters, row names
MIN_COLUMN = 20  # "p 0.123  12.3 bits" and a top-5 row must fit
PLAY_HZ = 30.0
SURPRISE = (Style(color="#56b4e9"), Style(color="#e6e6e6"), Style(color="#e69f00"), Style(color="#d55e00"))


def columns_fit(width: int, models: int) -> bool:
    return (width - LABEL) // models >= MIN_COLUMN


class SideBySideScreen(Screen):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back", id="sbs.close"),
        Binding("space", "play", "Play/pause", id="sbs.play"),
        Binding("right,l", "step", "Step", id="sbs.step"),
        Binding("left,h", "back", "Back one", id="sbs.back"),
        Binding("f", "force", "Force", id="sbs.force", tooltip="the next key typed goes into every model"),
    ]
    DEFAULT_CSS = """
    SideBySideScreen { layout: vertical; overflow: hidden; }
    SideBySideScreen #sbs-title { height: auto; }
    SideBySideScreen #sbs-text { height: auto; }
    SideBySideScreen #sbs-columns { height: 1fr; }
    """

    def __init__(self, sbs: SideBySide) -> None:
        super().__init__()
        self.sbs = sbs
        self.forcing = False
        self.timer = None
        self.message = ""

    def compose(self) -> ComposeResult:
        yield Static(id="sbs-title")
        yield Static(id="sbs-text")
        yield Static(id="sbs-columns")
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()

    def on_resize(self) -> None:
        self.redraw()

    # -- keys ---------------------------------------------------------------------------------

    def action_play(self) -> None:
        if self.timer is None:
            self.timer = self.set_interval(1 / PLAY_HZ, self.action_step)
        else:
            self.timer.stop()
            self.timer = None
        self.redraw()

    def action_step(self) -> None:
        self.sbs.step()
        self.redraw()

    def action_back(self) -> None:
        self.sbs.back(1)
        self.redraw()

    def action_force(self) -> None:
        self.forcing = True
        self.message = "type the character to force (Enter = newline, Escape = cancel)"
        self.redraw()

    def on_key(self, event: events.Key) -> None:
        if not self.forcing:
            return
        event.stop()
        event.prevent_default()
        self.forcing = False
        self.message = ""
        ch = {"enter": "\n", "tab": "\t"}.get(event.key, event.character)
        if event.key != "escape" and ch:
            try:
                self.sbs.force(ch)
            except ValueError as e:
                self.message = safe_text(str(e))
        self.redraw()

    # -- drawing ------------------------------------------------------------------------------

    def redraw(self) -> None:
        if not self.is_mounted:
            return
        width = self.app.size.width
        n = len(self.sbs.entries)
        playing = "playing" if self.timer is not None else "paused"
        title = Text(f"Side by side — {n} models read the same characters; the first samples ({playing})",
                     style="bold")
        for line in (self.sbs.note, self.message):
            if line:
                title.append("\n" + line, style="italic")
        self.query_one("#sbs-title", Static).update(title)
        if not columns_fit(width, n):
            need = LABEL + n * MIN_COLUMN
            self.query_one("#sbs-text", Static).update(Text(
                f"{n} models need {need} columns side by side; this terminal has {width}. "
                "Widen it, or compare fewer models.", style="bold"))
            self.query_one("#sbs-columns", Static).update("")
            return
        self.query_one("#sbs-text", Static).update(self._aligned_text(width))
        self.query_one("#sbs-columns", Static).update(self._columns(width))

    def _aligned_text(self, width: int) -> Text:
        """The last characters fed, and under each one a bar per model for its surprisal."""
        span = width - LABEL
        text = self.sbs.text[-span:]
        out = Text(f"{'text':<{LABEL}}", style="dim")
        out.append("".join(glyph(ch) for ch in text))
        first = len(self.sbs.text) - len(text)  # position of the first character shown
        for k, e in enumerate(self.sbs.entries):
            shown = self.sbs.surprisal(k)[max(first - 1, 0) :]  # bits[j − 1] is character j's
            row = Text("\n" + f"{e.model.config.label:<{LABEL}}"[:LABEL], style="dim")
            row.append(" " * (len(text) - len(shown)))
            for b in shown:
                level = min(len(BARS) - 1, int(b / MAX_BITS * len(BARS)))
                row.append(BARS[level], SURPRISE[min(3, int(b / 2))])
            out.append_text(row)
        return out

    def _columns(self, width: int) -> Text:
        cols = self.sbs.columns()
        w = (width - LABEL) // len(cols)
        last = glyph(self.sbs.text[-1]) if self.sbs.text else ""

        def row(label: str, cells: list[str], style: str = "") -> Text:
            t = Text(f"{label:<{LABEL}}"[:LABEL], style="dim")
            for c in cells:
                t.append(f"{c:<{w}}"[:w], style)
            return t

        lines = [
            row("", [safe_text(c.name) for c in cols], "bold"),
            row("", [c.label for c in cols]),
            row(f"'{last}' came" if last else "", [f"p {c.p_actual:.3f}  {c.bits:4.1f} bits" if c.bits == c.bits
                                                   else "–" for c in cols]),
            row("loss", [f"{c.loss:.3f} bits/char" if c.loss == c.loss else "–" for c in cols]),
            row("next top-5", ["" for _ in cols]),
        ]
        for i in range(self.sbs.top):
            lines.append(row("", [f" {c.top[i][0]:<2} {c.top[i][1]:.3f}" if i < len(c.top) else "" for c in cols]))
        return Text("\n").join(lines)
