"""Every key binding as a command in the ctrl+p palette, found by its description."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class BindingCommands(Provider):
    """Commands built from the app's own bindings, so palette and keys never disagree."""

    def _commands(self) -> list[tuple[str, str, str]]:
        app = self.app
        out = []
        for b in app.BINDINGS:
            if b.description and b.action not in ("command_palette",):
                out.append((b.description, b.action, b.key_display or b.key))
        return out

    async def discover(self) -> Hits:
        for description, action, keys in self._commands():
            yield DiscoveryHit(description, partial(self.app.run_action, action), help=f"key: {keys}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, action, keys in self._commands():
            score = matcher.match(description)
            if score > 0:
                yield Hit(score, matcher.highlight(description), partial(self.app.run_action, action),
                          help=f"key: {keys}")
