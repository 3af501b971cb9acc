"""`rnn-tui completion bash|zsh|fish`: print a script that makes the shell complete rnn-tui.

argcomplete (the optional extra `completion`) does the work: the script asks `rnn-tui` itself for
candidates at each Tab, with `_ARGCOMPLETE` set, and `__main__` then hands over to `complete()`
before anything else runs. One parser tree, built from each command's own `parser()`, so a new
option completes without touching this file. Model arguments complete to the bundled models' names
and to files; so does the first word, as `rnn-tui MODEL` opens the viewer (`rnn-tui shak<Tab>`), and
once that word is not a command the line completes as `rnn-tui view …` would.
"""

from __future__ import annotations

import argparse
import os
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

    def vocabularies(prefix: str, **_) -> list[str]:
        return ["printable"] * "printable".startswith(prefix) + list(files(prefix))

    as_view(os.environ)
    argcomplete.autocomplete(full_parser(models, vocabularies))
    sys.exit(1)  # autocomplete returns only when it was not asked to complete


def as_view(env) -> None:
    """`rnn-tui MODEL --se<Tab>` completes as `rnn-tui view MODEL --se<Tab>`: the line is rewritten with the
    default command once its first word is finished and is not a command (or is an option)."""
    from . import COMMANDS

    line, point = env.get("COMP_LINE", ""), int(env.get("COMP_POINT", "0") or 0)
    program, space, rest = line[:point].partition(" ")
    first = rest.split(" ", 1)[0] if space else ""
    finished = " " in rest.lstrip(" ")
    if first and first not in COMMANDS and (finished or first.startswith("-")):
        cut = len(program) + 1
        env["COMP_LINE"] = f"{line[:cut]}view {line[cut:]}"
        env["COMP_POINT"] = str(point + len("view "))


def full_parser(model_completer=None, vocab_completer=None) -> argparse.ArgumentParser:
    """Every command as a sub-command with its own options (those whose module has `parser()`)."""
    from . import COMMANDS

    root = argparse.ArgumentParser(prog="rnn-tui")
    subs = root.add_subparsers(dest="command")
    if model_completer is not None:  # the first word: a command, or a model for the viewer
        subs.completer = model_completer  # type: ignore[attr-defined]
    for name, (module, line) in COMMANDS.items():
        make = getattr(import_module(f".{module}", __package__), "parser", None)
        sub = subs.add_parser(name, help=line, parents=[make()] if make else [], add_help=make is None)
        for action in sub._actions:
            if action.dest == "vocab" and vocab_completer is not None:
                action.completer = vocab_completer  # type: ignore[attr-defined]
            if name == "help" and action.dest == "command":
                action.completer = lambda prefix, **_: [c for c in COMMANDS if c.startswith(prefix)]  # type: ignore
            if action.dest in ("model", "model_option", "checkpoint", "init_from") and model_completer is not None:
                action.completer = model_completer  # type: ignore[attr-defined]
    return root
