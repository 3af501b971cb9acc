"""Modal screens: typing a prime, forcing a character, going to a unit.

A modal screen stops the app's bindings, so while one is open every key
(including q, space and digits) goes to it. A dialog answers once: keys that
arrive in the same burst after its answer (a paste, a fast typist, a slow SSH
link) are dropped rather than dismissing it a second time, which used to pop
the main screen and crash with ScreenStackError.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, RadioButton, RadioSet, Static


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


class Choice(RadioButton):
    """A radio button whose state shows in its shape too (● on, ○ off), so it reads without colour."""

    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802  (Textual's name for the glyph)
        return "●" if self.value else "○"


class PrimePrompt(Dialog):
    """A prime, and where it goes: here, after the cursor (the default), or from the start, as a new text.
    Answers (text, from_start); Enter on an empty line takes the example, which comes from the model's
    own text so that it fits the model."""

    def __init__(self, before: str, example: str) -> None:
        super().__init__()
        self.before, self.example = before, example

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Prime the model", style="bold"))
            yield Static(Text(r"Teacher-forced; r restarts from it. \n newline, \t tab, \\ backslash. "
                              "Tab: where it goes.", style="dim"))
            yield Input(placeholder=self.example, select_on_focus=False)
            with RadioSet():
                yield Choice(Text(f"here, after “…{self.before}”"), value=True)
                yield Choice("from the start: a new text")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.answer((event.value or self.example, self.query_one(RadioSet).pressed_index == 1))


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
