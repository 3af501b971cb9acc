"""Messages panels send to the app (dataclasses, so each reads as what it carries)."""

from __future__ import annotations

from dataclasses import dataclass

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
