"""A crash report: where in the code an unexpected error happened, kept privately for a bug report.

Lab machines are shared, so the reports live in the user's cache folder, made 0700, each file 0600, and
only the newest KEEP are kept. A report holds the stack (file, line, function and the line of
rnn-tui's code) and the error's type and message, clipped and sanitised; never local variables (a
traceback with them showed text and file contents) and never the lines of a user's file.
"""

from __future__ import annotations

import os
import platform
import sys
import time
import traceback
from pathlib import Path

from .atomic import atomic_write_bytes
from .safe import MAX_MESSAGE, safe_text
from .user_dirs import cache_dir

KEEP = 20
PREFIX, SUFFIX = "crash-", ".txt"


def report_text(error: BaseException) -> str:
    """The report for `error` (and the errors it was raised from): stacks, types and short messages."""
    from .. import __version__

    lines = [f"rnn-tui {__version__}, Python {platform.python_version()}, {platform.system()} {platform.machine()}",
             " ".join(sys.argv[:1] + ["…"] * bool(sys.argv[1:])), ""]
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(chain) < 5:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    for i, e in enumerate(reversed(chain)):
        if i:
            lines.append("\nwhich led to:\n")
        lines.append("Traceback (most recent call last):")
        for frame in traceback.extract_tb(e.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
            if frame.line and _ours(frame.filename):
                lines.append(f"    {frame.line.strip()}")
        lines.append(f"{type(e).__module__}.{type(e).__qualname__}: {safe_text(str(e), MAX_MESSAGE)}")
    return "\n".join(lines) + "\n"


def _ours(filename: str) -> bool:
    """A source line worth quoting: this package's or the standard library's, never a user's script."""
    package = str(Path(__file__).resolve().parent.parent)
    return filename.startswith(package) or filename.startswith(sys.base_prefix)


def save(error: BaseException, folder: Path | None = None) -> Path | None:
    """Write the report for `error`; its path, or None when it could not be written."""
    folder = cache_dir() if folder is None else folder
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.stat().st_mode & 0o077:
            folder.chmod(0o700)  # an older, group- or world-readable folder
        path = folder / f"{PREFIX}{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}{SUFFIX}"
        atomic_write_bytes(path, report_text(error).encode("utf-8", "backslashreplace"), mode=0o600)
        prune(folder)
    except OSError:
        return None
    return path


def prune(folder: Path, keep: int = KEEP) -> None:
    """Remove all but the newest `keep` reports."""
    reports = sorted(folder.glob(f"{PREFIX}*{SUFFIX}"), key=lambda p: (p.stat().st_mtime, p.name))
    for old in reports[:-keep] if len(reports) > keep else []:
        try:
            old.unlink()
        except OSError:
            pass
