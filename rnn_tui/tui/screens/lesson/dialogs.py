"""The lesson list (the key that lists the class's activities) and the word-score dialog."""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ....analysis.score import Score
from ....core.safe import safe_text
from ....lessons import Lesson
from ..dialogs import Dialog


class LessonList(Dialog):
    """Every bundled lesson, one a line; Enter answers the chosen one."""

    BINDINGS = [Binding("escape,i", "cancel", "Close", id="lessons.close", tooltip="back to the viewer")]

    def __init__(self, lessons: list[Lesson], current: str | None = None) -> None:
        super().__init__()
        self.lessons, self.current = lessons, current

    def compose(self) -> ComposeResult:
        options = [Option(Text.assemble((f"{k + 1}. {safe_text(x.title, 30)}", "bold"), "  ",
                                        (safe_text(x.summary, 100), "dim")), id=x.name)
                   for k, x in enumerate(self.lessons)]
        with Vertical(id="lesson-list"):
            yield Static(Text("In class: the activities", style="bold"))
            yield Static(Text("Enter opens one (a lesson on another model reopens the viewer on it); "
                              "Escape closes.", style="dim"))
            yield OptionList(*options)

    def on_mount(self) -> None:
        names = [x.name for x in self.lessons]
        if self.current in names:
            self.query_one(OptionList).highlighted = names.index(self.current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.answer(next(x for x in self.lessons if x.name == event.option.id))


class ScoreScreen(Dialog):
    """How likely each candidate is after the text so far: bits, nats, and each character's bits."""

    BINDINGS = [Binding("escape,enter,w", "cancel", "Close", id="score.close")]

    def __init__(self, context: str, scores: list[Score]) -> None:
        super().__init__()
        self.context, self.scores = context, scores

    def compose(self) -> ComposeResult:
        t = Table.grid(padding=(0, 1))
        for name, justify in (("candidate", "left"), ("bits", "right"), ("nats", "right"), ("p", "right")):
            t.add_column(name, justify=justify, no_wrap=True)
        t.add_column("per character (bits)", no_wrap=True, overflow="ellipsis", max_width=34)
        t.add_row(*[Text(h, style="bold") for h in ("candidate", "bits", "nats", "p", "per character (bits)")])
        for s in self.scores:
            per = " ".join(f"{safe_text(ch)}{b:.1f}" for ch, b in zip(s.candidate, s.char_bits, strict=True))
            t.add_row(safe_text(s.candidate, 20), f"{s.bits:.2f}", f"{s.nats:.2f}", f"{s.probability:.2g}", per)
        best, last = self.scores[0], self.scores[-1]
        note = "Each bit halves the probability."
        if len(self.scores) > 1 and math.isfinite(last.bits):
            note += (f" {safe_text(best.candidate, 20)!r} is 2^{last.bits - best.bits:.1f} ≈ "
                     f"{2 ** (last.bits - best.bits):,.3g} times likelier than {safe_text(last.candidate, 20)!r}.")
        with Vertical(id="score-box"):
            yield Static(Text("After …" + safe_text(self.context[-40:], 48), style="bold"))
            yield Static(t)
            yield Static(Text(note, style="dim"))
