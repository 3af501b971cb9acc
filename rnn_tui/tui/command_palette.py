"""Textual's command palette, without its crash on a page key pressed before the list is laid out.

Textual (8.2.8) raises KeyError: 0 in OptionList._move_page when PageUp or PageDown reaches the palette's
list while it has options and a highlight but no size yet: its line index is built only once the list
has a region, and the page move looks the highlight up in it unchecked. ctrl+p then PageUp, arriving in
one read (a quick typist, `tmux send-keys C-p PPage`), ended the viewer on every try; a bare App does
the same. Until Textual checks this itself, a page key is ignored while the list has no size.
"""

from __future__ import annotations

from textual.command import CommandList
from textual.command import CommandPalette as TextualPalette


class CommandPalette(TextualPalette):
    def _action_command_list(self, action: str) -> None:
        if action in ("page_up", "page_down"):
            commands = self.query(CommandList)
            if not commands or not commands.first().scrollable_content_region:
                return  # not laid out yet: nothing to page through anyway
        super()._action_command_list(action)
