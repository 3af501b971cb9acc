"""`rnn-tui help [COMMAND]`: the same text as `rnn-tui COMMAND --help` (or `rnn-tui --help`)."""

from __future__ import annotations

import difflib
from importlib import import_module

from ..core.errors import UserError
from ..core.safe import safe_text


def main(argv: list[str]) -> int:
    from . import COMMANDS

    if len(argv) > 1:
        raise UserError("rnn-tui help: one command at a time (rnn-tui help COMMAND)")
    if not argv or argv[0] in ("-h", "--help"):
        from .view import main as view

        return view(["--help"], prog="rnn-tui")
    name = argv[0]
    if name not in COMMANDS:
        guess = difflib.get_close_matches(name, list(COMMANDS), n=1, cutoff=0.6)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        raise UserError(f"rnn-tui help: no command {safe_text(name, 40)!r}; {hint}the commands: {', '.join(COMMANDS)}")
    return import_module(f".{COMMANDS[name][0]}", __package__).main(["--help"])
