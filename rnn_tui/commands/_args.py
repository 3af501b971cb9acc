"""Argument parsing, and the checks around an output file, shared by the commands."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager

from ..core.errors import UserError
from ..core.safe import safe_text


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are UserErrors: one line on stderr, exit status 2, no usage dump."""

    def error(self, message: str):  # type: ignore[override]
        raise UserError(f"{self.prog}: {message} (see --help)")


def check_out(path: str | os.PathLike, force: bool) -> None:
    """An output file is never replaced unless asked: it may be someone's earlier work."""
    if os.path.isdir(path):
        raise UserError(f"{safe_text(str(path))} is a directory")
    if os.path.exists(path) and not force:
        raise UserError(f"{safe_text(str(path))} exists; --force replaces it")


@contextmanager
def writing(path: str | os.PathLike) -> Iterator[None]:
    """A failed write (a full disk, no permission) as one line naming the file."""
    try:
        yield
    except OSError as e:
        raise UserError(f"{safe_text(str(path))}: cannot write: {safe_text(e.strerror or str(e))}") from None


def say(line: str, file=None, flush: bool = False) -> None:
    """Print one line of a command's output, every character through the sanitiser: a line may carry a
    model's or a file's name, a feature's pattern, a note from a file, and none of them reaches the
    terminal raw."""
    import sys

    from ..core.safe import safe_text

    print(safe_text(line), file=file or sys.stdout, flush=flush)
