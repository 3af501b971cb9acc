"""`rnn-tui help [COMMAND]`: the same text as `rnn-tui COMMAND --help` (or `rnn-tui --help`)."""

from __future__ import annotations

import argparse
import difflib
from importlib import import_module

from ..core.errors import UserError
from ..core.safe import safe_text
from ._args import OneLineParser


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="rnn-tui help", description="Show a command's help: rnn-tui help eval is "
                                                       "rnn-tui eval --help. Without a command, rnn-tui --help.")
    p.add_argument("command", nargs="?", help="one of rnn-tui's commands")
    return p


def main(argv: list[str]) -> int:
    from . import COMMANDS

    name = parser().parse_args(argv).command
    if name is None:
        from .view import main as view

        return view(["--help"], prog="rnn-tui")
    if name not in COMMANDS:
        guess = difflib.get_close_matches(name, list(COMMANDS), n=1, cutoff=0.6)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        raise UserError(f"rnn-tui help: no command {safe_text(name, 40)!r}; {hint}the commands: {', '.join(COMMANDS)}")
    return import_module(f".{COMMANDS[name][0]}", __package__).main(["--help"])
