"""Messages widgets send up to their screen or the app (dataclasses, so each reads as what it carries)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class UnitClicked(Message):
    """A unit was clicked in a heatmap: select it."""

    unit: int


@dataclass
class FrameWanted(Message):
    """A panel changed size (or otherwise needs the current frame again): sync once more."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FrameWanted)


@dataclass
class CursorMoved(Message):
    """The reader moved the cursor in a text view (a click): the screen's status line follows."""


@dataclass
class SpanChosen(Message):
    """The reader dragged across a span of a text view: the screen selects and matches it."""


@dataclass
class PointChosen(Message):
    """A point of a plot was clicked: the screen selects its unit."""


@dataclass
class Analysed(Message):
    """The finder has analysed a text: the app keeps it, so the finder reopens at once and a clamp's cost is
    measured on it."""

    analysis: Any  # analysis.analysed.Analysis
