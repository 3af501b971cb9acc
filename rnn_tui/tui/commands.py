"""Every key binding as a command in the ctrl+p palette, found by its description (or its tooltip).

A command is found when every word typed begins a word of its description or tooltip ("exper" finds
the experiments, "remember" the memory span): Textual's fuzzy matcher, which lets letters match
anywhere in order, found "temper" in "experiment" and "Quit" for "qu…" in half the list.
"""

from __future__ import annotations

import re
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class BindingCommands(Provider):
    """Commands built from the app's own bindings, so palette and keys never disagree."""

    def commands(self) -> list[tuple[str, str, str]]:
        """(text searched, action, key) for every binding with a description."""
        out = []
        for b in self.app.BINDINGS:
            if b.description:
                extra = f" ({b.tooltip})" if b.tooltip and b.tooltip != b.description else ""
                text = b.description + extra
                out.append((text, b.action, b.key_display or b.key))
        return out

    async def discover(self) -> Hits:
        for text, action, keys in self.commands():
            yield DiscoveryHit(text, partial(self.app.run_action, action), help=f"key: {keys}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, action, keys in self.commands():
            score = word_score(query, text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self.app.run_action, action), help=f"key: {keys}")


def word_score(query: str, text: str) -> float:
    """1 when every word of `query` begins a word of the description, 0.5 when of the tooltip too, else 0."""
    typed = re.findall(r"\w+", query.lower())
    if not typed:
        return 0.0
    description, _, tooltip = text.partition(" (")

    def found(where: str) -> bool:
        words = re.findall(r"\w+", where.lower())
        return all(any(w.startswith(t) for w in words) for t in typed)

    return 1.0 if found(description) else 0.5 if found(text) else 0.0
