"""`rnn-tui completion bash|zsh|fish`: print a script that makes the shell complete rnn-tui.

argcomplete (the optional extra `completion`) does the work: the script asks `rnn-tui` itself for
candidates at each Tab, with `_ARGCOMPLETE` set, and `__main__` then hands over to `complete()`
before anything else runs. One parser tree, built from each command's own `parser()`, so a new
option completes without touching this file. Model arguments complete to the bundled models' names
and to files.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

from ..core.errors import UserError
from ._args import OneLineParser

SHELLS = ("bash", "zsh", "fish")
INSTALL = "pip install 'rnn-tui[completion]'"


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="rnn-tui completion",
                      description="Print a shell script that completes rnn-tui's commands, options and models. "
                                  "bash: eval \"$(rnn-tui completion bash)\" in ~/.bashrc; zsh: the same in "
                                  "~/.zshrc; fish: rnn-tui completion fish > ~/.config/fish/completions/rnn-tui.fish")
    p.add_argument("shell", choices=SHELLS)
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        import argcomplete
    except ImportError:
        raise UserError(f"shell completion needs argcomplete: {INSTALL}") from None
    print(argcomplete.shellcode(["rnn-tui"], shell=args.shell))
    return 0


def complete() -> None:
    """Answer the shell's Tab (argcomplete writes the candidates and exits); never run a command."""
    try:
        import argcomplete
        from argcomplete.completers import FilesCompleter
    except ImportError:
        sys.exit(1)
    files = FilesCompleter()

    def models(prefix: str, **_) -> list[str]:
        from ..core.checkpoint import bundled_models

        return [name for name in bundled_models() if name.startswith(prefix)] + list(files(prefix))

    argcomplete.autocomplete(full_parser(models))
    sys.exit(1)  # autocomplete returns only when it was not asked to complete


def full_parser(model_completer=None) -> argparse.ArgumentParser:
    """Every command as a sub-command with its own options (those whose module has `parser()`)."""
    from . import COMMANDS

    root = argparse.ArgumentParser(prog="rnn-tui")
    subs = root.add_subparsers(dest="command")
    for name, (module, line) in COMMANDS.items():
        make = getattr(import_module(f".{module}", __package__), "parser", None)
        sub = subs.add_parser(name, help=line, parents=[make()] if make else [], add_help=make is None)
        for action in sub._actions:
            if action.dest in ("model", "checkpoint") and model_completer is not None:
                action.completer = model_completer  # type: ignore[attr-defined]
    return root
