"""Karpathy's view: the analysed text coloured by one unit, the model's top-5 guesses under each character.

As in the figure of "The Unreasonable Effectiveness of Recurrent Neural
Networks": each line of text is followed by five rows, the likeliest next
characters after each character, shaded by probability. Keys move a cursor,
jump to the next or previous place the unit is strongly on (top 5 % of its
values) or off (bottom 5 %), colour by surprisal instead, select a span (V … V,
or drag with the mouse) to find the units that mark it (select & match), and
export the picture. A character outside the vocabulary is struck through.
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
from ...analysis.export import normalise, picture_rows, to_html, to_svg
from ...analysis.select_match import Match, select_match
from ...core.atomic import atomic_write_all
from ...core.files import safe_file_name
from ...core.safe import glyph, safe_text
from ..engine import palette
from ..messages import CursorMoved, SpanChosen
from .help import show_help
from .unit_view import SelectUnit, cell_style, guess_style, unit_levels

GUESSES = 5
EXPORT_CHARS = 1200
CURSOR = Style(reverse=True, bold=True)
MARKED = Style(underline=True, bold=True)
OOV = Style(strike=True, italic=True)


class KarpathyText(Widget):
    """The coloured text with its guesses; only the lines on screen are built."""

    def __init__(self, analysis: Analysis, index: int | None) -> None:
        super().__init__()
        self.analysis = analysis
        self.index = index  # None: coloured by surprisal
        self.cursor = 0
        self.top = 0  # first text row on screen
        self.guesses = True
        self.mark: int | None = None  # where a selection starts
        self.match: Match | None = None
        self._rows: tuple[int, list[tuple[int, int]]] | None = None
        self._levels = unit_levels(analysis, index)

    def set_index(self, index: int | None) -> None:
        self.index = index
        self._levels = unit_levels(self.analysis, index)
        self.refresh()

    @property
    def signed(self) -> bool:
        return self.index is not None and self.analysis.signed(self.index)

    def rows(self) -> list[tuple[int, int]]:
        width = max(1, self.size.width)
        if self._rows is None or self._rows[0] != width:
            self._rows = (width, [(r.start, r.stop) for r in picture_rows(self.analysis.text, width)])
        return self._rows[1]

    @property
    def block(self) -> int:
        return 1 + (GUESSES + 1 if self.guesses else 0)

    def row_of(self, t: int) -> int:
        starts = [a for a, _ in self.rows()]
        return max(0, int(np.searchsorted(starts, t, side="right")) - 1)

    def move_to(self, t: int) -> None:
        self.cursor = max(0, min(len(self.analysis.text) - 1, t))
        row, visible = self.row_of(self.cursor), max(1, self.size.height // self.block)
        if row < self.top:
            self.top = row
        elif row >= self.top + visible:
            self.top = row - visible + 1
        self.refresh()

    def render(self) -> Text:
        a = self.analysis
        text, levels, rows = a.text, self._levels, self.rows()
        sel = self._selected()
        matched = self._matched()
        out = Text(no_wrap=True, overflow="crop")
        visible = rows[self.top : self.top + max(1, self.size.height // self.block)]
        for r, (start, end) in enumerate(visible):
            if r:
                out.append("\n")
            for t in range(start, end):
                style = cell_style(self.app, levels[t], self.signed)
                if a.cap.oov[t]:
                    style += OOV  # fed as a space: the model never saw this character
                if t == self.cursor:
                    style += CURSOR
                elif sel[0] <= t < sel[1] or matched[t]:
                    style += MARKED
                out.append(glyph(text[t]), style)
            if self.guesses:
                g = a.guesses(start, end)
                for j in range(GUESSES):
                    out.append("\n")
                    for col in g:
                        ch, p = col[j] if j < len(col) else (" ", 0.0)
                        out.append(glyph(ch), guess_style(self.app, round(p * (palette.LEVELS - 1))))
                out.append("\n")
        return out

    def _selected(self) -> tuple[int, int]:
        if self.mark is None:
            return (0, 0) if self.match is None else self.match.span
        return min(self.mark, self.cursor), max(self.mark, self.cursor) + 1

    def _matched(self) -> np.ndarray:
        out = np.zeros(len(self.analysis.text), bool)
        if self.match is not None:
            for s, e in self.match.matches:
                out[s:e] = True
        return out

    def at(self, x: int, y: int) -> int | None:
        """The character at a cell of the widget, if the cell shows one (not a guess row)."""
        row = self.top + y // self.block
        rows = self.rows()
        if y % self.block == 0 and row < len(rows):
            return min(rows[row][0] + x, rows[row][1] - 1)
        return None

    def on_mouse_down(self, event: events.MouseDown) -> None:
        """Press on a character to move there; drag to another and release to select the span between."""
        t = self.at(event.x, event.y)
        if t is not None:
            self.move_to(t)
            self.mark, self.match = t, None
            self.post_message(CursorMoved())

    def on_mouse_up(self, event: events.MouseUp) -> None:
        t = self.at(event.x, event.y)
        if self.mark is None:
            return
        if t is None or t == self.mark:
            self.mark = None  # a click: the cursor moved, nothing selected
            self.refresh()
            return
        self.move_to(t)
        self.post_message(SpanChosen())


MOVE_KEYS = Binding.Group("Character forward / back")
LINE_KEYS = Binding.Group("Line up / down")
ON_KEYS = Binding.Group("Next/prev on")  # strongly on: its top 5 %
OFF_KEYS = Binding.Group("Next/prev off")  # strongly off: its bottom 5 %


class KarpathyScreen(ModalScreen):
    CSS_PATH = Path(__file__).with_suffix(".tcss")  # beside this file, also for subclasses elsewhere
    BINDINGS = [
        Binding("escape", "close", "Back", id="karpathy.close"),
        Binding("right", "move(1)", "Character forward / back", show=False, id="karpathy.right", group=MOVE_KEYS),
        Binding("left", "move(-1)", "Character back", show=False, id="karpathy.left", group=MOVE_KEYS),
        Binding("up,k", "line(-1)", "Line up", show=False, id="karpathy.up", key_display="↑ k", group=LINE_KEYS),
        Binding("down,j", "line(1)", "Line down", show=False, id="karpathy.down", key_display="↓ j", group=LINE_KEYS),
        Binding("right_square_bracket", "jump(1, True)", "Next on", id="karpathy.next_on", group=ON_KEYS),
        Binding("left_square_bracket", "jump(-1, True)", "Previous on", id="karpathy.prev_on", group=ON_KEYS),
        Binding("right_parenthesis", "jump(1, False)", "Next off", id="karpathy.next_off", group=OFF_KEYS),
        Binding("left_parenthesis", "jump(-1, False)", "Previous off", id="karpathy.prev_off", group=OFF_KEYS),
        Binding("c", "surprisal", "Colour: unit / surprisal", id="karpathy.surprisal", show=False),
        Binding("d", "guesses", "Top-5 guesses", id="karpathy.guesses", show=False, tooltip="the model's distribution"),
        Binding("V", "select", "Select a span", id="karpathy.select", show=False, tooltip="units on across it"),
        Binding("E", "export", "Export HTML", id="karpathy.export", show=False),
        Binding("enter", "choose", "Select unit", id="karpathy.choose", key_display="⏎"),
        Binding("question_mark", "help", "Help", id="karpathy.help"),
    ]

    def action_help(self) -> None:
        show_help(self, "Karpathy's view keys")

    def __init__(self, analysis: Analysis, index: int | None, on_select: SelectUnit,
                 export_dir: Path | None = None) -> None:
        super().__init__()
        self.analysis = analysis
        self.start_index = index
        self.unit_index = index
        self.on_select = on_select
        self.export_dir = export_dir or Path.cwd()
        self.note = ""

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Static("", id="legend")
        yield KarpathyText(self.analysis, self.start_index)
        yield Static("", id="status")
        yield Footer()

    @property
    def view(self) -> KarpathyText:
        return self.query_one(KarpathyText)

    def on_mount(self) -> None:
        self._update()

    def on_cursor_moved(self, _message: CursorMoved) -> None:
        self.refresh_status()

    def on_span_chosen(self, _message: SpanChosen) -> None:
        self.action_select()

    def refresh_status(self) -> None:
        self._update()

    def _label(self) -> str:
        if self.unit_index is None:
            return "surprisal (−log p of each character, nats)"
        layer, q, unit = self.analysis.cap.unit_name(self.unit_index)
        return f"L{layer + 1} {q} {unit}"

    def _update(self) -> None:
        a, v = self.analysis, self.view
        t = v.cursor
        self.query_one("#title", Static).update(Text.assemble(
            ("Karpathy's view  ", "bold"), f"{safe_text(a.ckpt.name)} · {self._label()} · {a.source}"))
        value = a.surprisal()[t] if self.unit_index is None else a.cap.values(self.unit_index)[t]
        ch = a.text[t]
        # the first character had no prediction before it: no surprisal to show
        surprise = f"surprisal {a.surprisal()[t]:.2f} nats" if t else "first character: nothing predicted it"
        bits = [f"{t + 1:,}/{len(a.text):,}", f"{glyph(ch)!r} value {value:+.2f}", surprise]
        if a.cap.oov[t]:
            bits.append("not in the vocabulary")
        if self.note:
            bits.append(self.note)
        self.query_one("#status", Static).update(Text(" · ".join(bits), no_wrap=True, overflow="ellipsis"))
        self.query_one("#legend", Static).update(self._legend())
        v.refresh()

    def _legend(self) -> Text:
        """What the colours and the rows under each line mean, with the unit's own ramp."""
        if self.unit_index is None:
            text = Text("colour: surprisal, stronger where the character was less expected", style="dim")
        else:
            _, q, _ = self.analysis.cap.unit_name(self.unit_index)
            signed = q in self.analysis.ckpt.config.kind.signed
            text = Text("colour: the unit, low ", style="dim")
            for k in range(7):
                level = round(k * (palette.LEVELS - 1) / 6)
                text.append(" ", cell_style(self.app, level, signed))
            text.append(" high" + (" (0 = background)" if signed else ""), style="dim")
        if self.view.guesses:
            text.append(" · under each line: the 5 likeliest next characters, ", style="dim")
            dark = getattr(getattr(self.app, "maps", None), "dark", True)
            text.append("brighter" if dark else "darker", guess_style(self.app, palette.LEVELS - 1))
            text.append(" = likelier (d hides)", style="dim")
        return text

    def action_move(self, d: int) -> None:
        self.view.move_to(self.view.cursor + d)
        self._update()

    def action_line(self, d: int) -> None:
        v = self.view
        rows = v.rows()
        row = v.row_of(v.cursor)
        target = max(0, min(len(rows) - 1, row + d))
        col = v.cursor - rows[row][0]
        v.move_to(min(rows[target][0] + col, rows[target][1] - 1))
        self._update()

    def action_jump(self, direction: int, on: bool) -> None:
        """To the start of the next (or previous) run where the unit is in its top (bottom) 5 %."""
        a, v = self.analysis, self.view
        values = a.surprisal() if self.unit_index is None else a.cap.values(self.unit_index)
        strong = values >= np.quantile(values, 0.95) if on else values <= np.quantile(values, 0.05)
        starts = np.flatnonzero(strong & ~np.concatenate(([False], strong[:-1])))
        later = starts[starts > v.cursor] if direction > 0 else starts[starts < v.cursor][::-1]
        if len(later):
            v.move_to(int(later[0]))
            self.note = ""
        else:
            self.note = f"no strong {'on' if on else 'off'} further {'on' if direction > 0 else 'back'}"
        self._update()

    def action_surprisal(self) -> None:
        self.unit_index = self.start_index if self.unit_index is None else None
        self.view.set_index(self.unit_index)
        self._update()

    def action_guesses(self) -> None:
        self.view.guesses = not self.view.guesses
        self.view.move_to(self.view.cursor)
        self._update()  # the legend names the rows only while they show

    def action_select(self) -> None:
        """v marks where a span starts; v again ends it and finds the units that mark it."""
        v = self.view
        if v.mark is None:
            v.mark, v.match = v.cursor, None
            self.note = "selecting: move, then v again"
        else:
            start, end = min(v.mark, v.cursor), max(v.mark, v.cursor) + 1
            v.mark = None
            v.match = m = select_match(self.analysis.cap, start, end)
            if m.note:
                self.note = m.note
            else:
                units = ", ".join(f"{n}:{s.label} p{s.precision:.2f}" for n, s in enumerate(m.units, 1))
                self.note = f"{len(m.matches)} matches; units {units} (1-5 colours by one)"
        self._update()

    def on_key(self, event: events.Key) -> None:
        m = self.view.match
        if event.character and event.character in "12345" and m is not None and m.units:
            k = int(event.character) - 1
            if k < len(m.units):
                self.unit_index = self.start_index = m.units[k].index
                self.view.set_index(self.unit_index)
                self._update()
            event.stop()

    def action_export(self) -> None:
        a, v = self.analysis, self.view
        start = v.rows()[v.top][0]
        end = min(len(a.text), start + EXPORT_CHARS)
        idx = self.unit_index
        values = (normalise(a.surprisal()[start:end], signed=False) if idx is None
                  else normalise(a.cap.values(idx)[start:end], signed=a.signed(idx)))
        guesses = a.guesses(start, end)
        title = f"{a.ckpt.name} {self._label()} on {a.source}"
        stem = f"karpathy-{a.ckpt.name}-{self._label().split(' (')[0].replace(' ', '-')}"
        files = [(self.export_dir / safe_file_name(stem, suffix), render(a.text[start:end], values, guesses, title)
                  .encode("utf-8")) for suffix, render in ((".html", to_html), (".svg", to_svg))]
        try:
            atomic_write_all(files)  # both or neither
        except OSError as e:
            self.note = safe_text(f"cannot write {files[0][0]}: {e.strerror or e}", 200)
            self._update()
            return
        self.note = f"wrote {' and '.join(safe_text(p.name) for p, _ in files)} in {safe_text(str(self.export_dir))}"
        self._update()

    def action_choose(self) -> None:
        if self.unit_index is not None:
            self.on_select(*self.analysis.cap.unit_name(self.unit_index))
            self.note = f"{self._label()} selected in the main view"
            self._update()

    def action_close(self) -> None:
        v = self.view
        if v.mark is not None or v.match is not None:  # Escape first clears a selection
            v.mark = v.match = None
            self.note = ""
            self._update()
            return
        self.app.pop_screen()
