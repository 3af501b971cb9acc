"""`?` on any screen: that screen's keys, made from its bindings so the help cannot drift from them.

Bindings that belong together (a key and its shift, forward and back) share a
`Binding.Group`, Textual's own way of saying so (its footer joins them too):
the help shows one row per group, "t / T  Temperature down / up". Words are
never cut: the rows wrap inside their column, and the box scrolls where a
screen has more keys than rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from .dialogs import Dialog

# Keys as a student reads them on the keyboard, for bindings that give no key_display
KEY_NAMES = {
    "escape": "esc", "enter": "⏎", "space": "space", "tab": "tab", "question_mark": "?", "slash": "/",
    "left": "←", "right": "→", "up": "↑", "down": "↓", "left_square_bracket": "[", "right_square_bracket": "]",
    "left_curly_bracket": "{", "right_curly_bracket": "}", "left_parenthesis": "(", "right_parenthesis": ")",
    "plus": "+", "minus": "-", "equals_sign": "=",
    "less_than_sign": "<", "greater_than_sign": ">", "full_stop": ".", "comma": ",", "semicolon": ";",
}


def key_text(b: Binding) -> str:
    """How a binding's keys are written in the help: its key_display, else every key it answers to."""
    if b.key_display:
        return b.key_display
    return " ".join(KEY_NAMES.get(k, k) for k in b.key.split(","))


def help_rows(bindings: Iterable[Binding], extra: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """(keys, what) for every binding with a description: runs of one `Binding.Group` as one row."""
    rows: list[tuple[str, str]] = []
    group: Binding.Group | None = None
    for b in bindings:
        if not b.description:
            continue
        if b.group is not None and b.group is group:
            keys, what = rows[-1]
            first = keys.split("…")[0]
            # a compact group is a run of keys (1…5); the others read "t / T"
            rows[-1] = (f"{first}…{key_text(b)}" if group.compact else f"{keys} / {key_text(b)}", what)
            continue
        group = b.group
        rows.append((key_text(b), b.group.description if b.group else b.description))
    return rows + list(extra)


class HelpScreen(Dialog):
    """Every key of one screen, in two columns (one below 100 columns), with a legend under them."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [Binding("escape,question_mark,q", "cancel", "Close", id="help.close")]

    def __init__(self, title: str, rows: list[tuple[str, str]], legend: str = "") -> None:
        super().__init__()
        self.title_text, self.rows, self.legend = title, rows, legend

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = self.title_text
            yield Static(self._tables(), id="help-keys")
            if self.legend:
                yield Static(Text(self.legend, style="dim"), id="help-legend")

    def on_resize(self) -> None:
        self.query_one("#help-keys", Static).update(self._tables())

    def _tables(self) -> Table:
        columns = 2 if self.app.size.width >= 100 or len(self.rows) > 18 else 1
        per = (len(self.rows) + columns - 1) // columns
        grid = Table.grid(padding=(0, 2), expand=True)
        for _ in range(columns):
            grid.add_column(ratio=1)
        grid.add_row(*[self._table(self.rows[k * per:(k + 1) * per]) for k in range(columns)])
        return grid

    @staticmethod
    def _table(rows: list[tuple[str, str]]) -> Table:
        t = Table.grid(padding=(0, 1))
        t.add_column(style="bold", no_wrap=True)
        t.add_column(overflow="fold")
        for keys, what in rows:
            t.add_row(keys, what)
        return t


def show_help(node, title: str, legend: str = "", extra: Iterable[tuple[str, str]] = (),
              bindings: Iterable[Binding] | None = None) -> None:
    """Push the help for `node`'s own bindings (a screen's; the app passes its own)."""
    node.app.push_screen(HelpScreen(title, help_rows(node.BINDINGS if bindings is None else bindings, extra), legend))
