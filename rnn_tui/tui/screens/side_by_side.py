"""Side by side: two or three models read the same characters, aligned character by character.

Under the text, one row per model shows how surprised it was by each character
(a bar from ▁ at 0 bits to █ at 8 bits or more), so the places where the RNN
loses track and the LSTM does not line up under the character that caused it.
Below, per model: the probability and surprisal of the last character, the
running loss, and its top 5 for the next one. Space plays (the first model
samples, every model reads it), → steps, ← rewinds, f forces a character into
all of them, p primes all of them with a text.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Region
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Footer

from ...analysis.side_by_side import SideBySide
from ...core.safe import glyph, safe_text
from ...core.text import unescape
from .dialogs import TextPrompt
from .help import show_help

BARS = "▁▂▃▄▅▆▇█"
MAX_BITS = 8.0
LABEL = 12  # the left column: model letters, row names
MIN_COLUMN = 20  # "p 0.123  12.3 bits" and a top-5 row must fit
# four models (the RNN, GRU, LSTM and transformer) fit 80 columns with a narrower left column and rows
COMPACT_LABEL, COMPACT_COLUMN = 10, 17
PLAY_HZ = 30.0
SURPRISE = (Style(color="#56b4e9"), Style(color="#e6e6e6"), Style(color="#e69f00"), Style(color="#d55e00"))
PLAIN, DIM, BOLD, ITALIC = Style(), Style(dim=True), Style(bold=True), Style(italic=True)
# a bar glyph in a surprise colour, made once: a row is one Segment per character while playing
BAR_SEGMENTS = [[Segment(bar, style) for style in SURPRISE] for bar in BARS]

Line = list[Segment]


def columns_fit(width: int, models: int) -> bool:
    return label_width(width, models) is not None


def label_width(width: int, models: int) -> int | None:
    """The left column's width for `models` columns in `width`, None if they do not fit."""
    for label, column in ((LABEL, MIN_COLUMN), (COMPACT_LABEL, COMPACT_COLUMN)):
        if (width - label) // models >= column:
            return label
    return None


class SideBySideScreen(ModalScreen):
    CSS_PATH = Path(__file__).with_suffix(".tcss")  # beside this file, also for subclasses elsewhere
    BINDINGS = [
        Binding("escape,q", "dismiss", "Back", id="sbs.close"),
        Binding("space", "play", "Play/pause", id="sbs.play"),
        Binding("right", "step", "Step", id="sbs.step"),
        Binding("left", "back", "Back one", id="sbs.back"),
        Binding("f", "force", "Force", id="sbs.force", tooltip="the next key typed goes into every model"),
        Binding("p", "prime", "Prime", id="sbs.prime", tooltip="teacher-force a text into every model"),
        Binding("question_mark", "help", "Help", id="sbs.help"),
    ]

    def action_help(self) -> None:
        show_help(self, "Side by side keys")

    def __init__(self, sbs: SideBySide) -> None:
        super().__init__()
        self.sbs = sbs
        self.forcing = False
        self.timer = None
        self.message = ""
        self.hz = PLAY_HZ  # steps a second while playing

    def compose(self) -> ComposeResult:
        yield LinesView()
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()

    def on_resize(self) -> None:
        self.redraw()

    # -- keys ---------------------------------------------------------------------------------

    def action_play(self) -> None:
        if self.timer is None:
            self.timer = self.set_interval(1 / self.hz, self.action_step)
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

    def action_prime(self) -> None:
        def done(raw: str | None) -> None:
            if raw:
                try:
                    self.sbs.feed(unescape(raw))
                    self.message = ""
                except ValueError as e:
                    self.message = safe_text(str(e))
                self.redraw()

        self.app.push_screen(TextPrompt("Prime every model", r"The same text into each. \n newline, \t tab.",
                                        "ROMEO:\\n"), done)

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
        lines: list[Line] = [[Segment(f"Side by side — {n} models read the same characters; "
                                      f"the first samples ({playing})", BOLD)]]
        lines += [[Segment(line, ITALIC)] for line in (self.sbs.note, self.message) if line]
        label = label_width(width, n)
        if label is not None:
            lines += self._aligned_text(width, label) + [[]] + self._columns(width, label)
        else:
            need = COMPACT_LABEL + n * COMPACT_COLUMN
            lines.append([Segment(f"{n} models need {need} columns side by side; this terminal "
                                  f"has {width}. Widen it, or compare fewer models.", BOLD)])
        self.query_one(LinesView).show(lines)

    def _aligned_text(self, width: int, label: int) -> list[Line]:
        """The last characters fed, and under each one a bar per model for its surprisal."""
        text = self.sbs.text[-(width - label) :]
        lines = [[Segment(f"{'text':<{label}}", DIM), Segment("".join(glyph(ch) for ch in text))]]
        first = len(self.sbs.text) - len(text)  # position of the first character shown
        for k, e in enumerate(self.sbs.entries):
            shown = self.sbs.surprisal(k)[max(first - 1, 0) :]  # bits[j − 1] is character j's
            levels = np.minimum((shown * (len(BARS) / MAX_BITS)).astype(int), len(BARS) - 1)
            colours = np.minimum((shown / 2).astype(int), len(SURPRISE) - 1)
            row = [Segment(f"{e.model.config.label:<{label}}"[:label], DIM), Segment(" " * (len(text) - len(shown)))]
            row += [BAR_SEGMENTS[b][c] for b, c in zip(levels.tolist(), colours.tolist(), strict=True)]
            lines.append(row)
        return lines

    def _columns(self, width: int, label_w: int) -> list[Line]:
        cols = self.sbs.columns()
        w = (width - label_w) // len(cols)
        bits = " {:4.1f}" if w >= MIN_COLUMN else "{:.1f}"  # a narrow column drops the padding
        last = glyph(self.sbs.text[-1]) if self.sbs.text else ""

        def row(label: str, cells: list[str], style: Style = PLAIN) -> Line:
            cells_text = "".join(f"{c:<{w}}"[:w] for c in cells)
            return [Segment(f"{label:<{label_w}}"[:label_w], DIM), Segment(cells_text, style)]

        lines = [
            row("", [safe_text(c.name) for c in cols], BOLD),
            row("", [c.label for c in cols]),
            row(f"'{last}' came" if last else "", [f"p {c.p_actual:.3f} {bits.format(c.bits)} bits" if c.bits == c.bits
                                                   else "–" for c in cols]),
            row("loss", [f"{c.loss:.3f} bits/char" if c.loss == c.loss else "–" for c in cols]),
            row("next top-5", ["" for _ in cols]),
        ]
        for i in range(self.sbs.top):
            lines.append(row("", [f" {visible(c.top[i][0]):<2} {c.top[i][1]:.3f}" if i < len(c.top) else ""
                                  for c in cols]))
        return lines


def visible(g: str) -> str:
    return "␣" if g == " " else g


class LinesView(Widget):
    """Lines of segments drawn with the Line API: no markup to parse, no layout to redo per frame."""

    def __init__(self) -> None:
        super().__init__()
        self.strips: list[Strip] = []

    def show(self, lines: list[Line]) -> None:
        width = self.size.width or self.app.size.width
        new = [Strip(segs).crop_extend(0, width, None) for segs in lines]
        old, self.strips = self.strips, new
        changed = [Region(0, y, width, 1) for y in range(max(len(new), len(old)))
                   if y >= len(new) or y >= len(old) or list(new[y]) != list(old[y])]
        if changed:
            self.refresh(*changed)

    def render_line(self, y: int) -> Strip:
        return self.strips[y] if y < len(self.strips) else Strip.blank(self.size.width)
