"""Every key binding as a command in the ctrl+p palette, found by its description (or its tooltip)."""

from __future__ import annotations

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
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self.app.run_action, action), help=f"key: {keys}")
