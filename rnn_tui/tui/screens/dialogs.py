"""Modal screens: help, typing a prime, forcing a character, going to a unit.

A modal screen stops the app's bindings, so while one is open every key
(including q, space and digits) goes to it. A dialog answers once: keys that
arrive in the same burst after its answer (a paste, a fast typist, a slow SSH
link) are dropped rather than dismissing it a second time, which used to pop
the main screen and crash with ScreenStackError.
"""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class Dialog(ModalScreen):
    """A small centred box; Escape closes it without an answer."""
    CSS_PATH = Path(__file__).with_suffix(".tcss")  # beside this file, also for subclasses elsewhere

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self) -> None:
        super().__init__()
        self.answered = False

    def answer(self, value) -> None:
        """Dismiss with `value`, the first time only."""
        if not self.answered and self.is_current:
            self.answered = True
            self.dismiss(value)

    def action_cancel(self) -> None:
        self.answer(None)


class TextPrompt(Dialog):
    """One line of input; answers the text (Enter on an empty line takes the placeholder), or None."""

    def __init__(self, title: str, hint: str, placeholder: str = "", integer: bool = False) -> None:
        super().__init__()
        self.title_text, self.hint, self.placeholder, self.integer = title, hint, placeholder, integer

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text, style="bold"))
            yield Static(Text(self.hint, style="dim"))
            yield Input(placeholder=self.placeholder, type="integer" if self.integer else "text",
                        select_on_focus=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.answer(event.value or self.placeholder)


class ForceChar(Dialog):
    """Takes the next key as the character to force: Enter is a newline, Tab a tab."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Force the next character", style="bold"))
            yield Static(Text("Type it. Enter = newline, Tab = tab, Escape = cancel.", style="dim"))

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        if event.key == "escape":
            self.answer(None)
        elif event.key == "enter":
            self.answer("\n")
        elif event.key == "tab":
            self.answer("\t")
        elif event.character is not None and event.is_printable:
            self.answer(event.character)


class HelpScreen(Dialog):
    """Every key, generated from the app's bindings so it cannot drift from them."""

    BINDINGS = [
        Binding("escape,question_mark,q", "cancel", "Close", id="help.close"),
    ]

    def __init__(self, rows: list[tuple[str, str]], legend: str) -> None:
        super().__init__()
        self.rows, self.legend = rows, legend

    def compose(self) -> ComposeResult:
        half = (len(self.rows) + 1) // 2
        left, right = self.rows[:half], self.rows[half:]
        grid = Table.grid(padding=(0, 2))
        grid.add_column()
        grid.add_column()
        grid.add_row(*[self._table(p) for p in (left, right)])
        with Vertical():
            yield Static(Text("rnn-tui keys", style="bold"))
            yield Static(grid)
            yield Static(Text(self.legend, style="dim"))

    @staticmethod
    def _table(rows: list[tuple[str, str]]) -> Table:
        t = Table.grid(padding=(0, 1))
        t.add_column(style="bold", no_wrap=True)
        t.add_column(no_wrap=True)
        for keys, what in rows:
            t.add_row(keys, what)
        return t
