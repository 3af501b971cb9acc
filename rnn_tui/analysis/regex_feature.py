"""A user's regular expression, matched over a text within a time limit.

A pattern such as `(.*)*X` or `(a|aa)+b` backtracks for minutes on a long text (Python's `re` cannot be
stopped: the viewer froze, deaf to Escape and q, and `analyze -e` ran on past 30 s). Matching here uses
the `regex` package, whose matcher checks a deadline as it goes and raises TimeoutError, and which
releases the GIL while it matches (`concurrent=True`), so the viewer's worker thread leaves the screen
responsive. The alternative, a worker process killed at the deadline, would copy the text (up to
64 MiB) into a new process for every pattern typed and start one per keystroke; `regex` is one
compiled wheel with no dependencies of its own, and its syntax is `re`'s (VERSION0).
"""

from __future__ import annotations

import numpy as np
import regex

from ..core.errors import UserError
from ..core.safe import safe_text

MAX_REGEX = 200
TIME_LIMIT = 2.0  # seconds for one pattern over the whole text


def compile_regex(pattern: str) -> regex.Pattern:
    """A user's regular expression, or a UserError saying in one line what is wrong with it."""
    if not pattern:
        raise UserError("empty regular expression")
    if len(pattern) > MAX_REGEX:
        raise UserError(f"regular expression longer than {MAX_REGEX} characters")
    try:
        return regex.compile(pattern, regex.MULTILINE | regex.VERSION0)
    except (regex.error, OverflowError, RecursionError, ValueError) as e:
        raise UserError(f"invalid regular expression {safe_text(pattern)!r}: {safe_text(str(e))}") from None


def match_mask(text: str, rx: regex.Pattern, seconds: float = TIME_LIMIT) -> np.ndarray:
    """True inside every match of `rx` in `text` (empty matches mark nothing); a UserError, in one line,
    when matching takes more than `seconds`."""
    out = np.zeros(len(text), dtype=bool)
    try:
        for m in rx.finditer(text, timeout=seconds, concurrent=True):
            out[m.start() : m.end()] = True
    except TimeoutError:
        raise UserError(f"regular expression /{safe_text(rx.pattern, 60)}/ took more than {seconds:g} s on "
                        f"this text (it backtracks too much); try a simpler one") from None
    return out
