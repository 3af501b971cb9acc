"""A user's regular expression, matched over a text within a time limit of the clock on the wall.

A pattern such as `(.*)*X` or `(a|aa)+b` backtracks for minutes on a long text (Python's `re` cannot be
stopped: the viewer froze, deaf to Escape and q, and `analyze -e` ran on past 30 s). The `regex` package
(`re`'s syntax, VERSION0) stops a search at a time limit, but its limit counts the process's CPU time
(C's `clock()`), not the wall's: on a shared machine where the search got a third of a core, a 0.5 s limit
stopped after 1.5 s. So a search runs in two tries:

- here, with a CPU limit of QUICK seconds: nearly every pattern is done within it, at no extra cost;
- if not, in a child process given what is left of the time on the wall, and killed when it is up. The
  text goes to it once, on its stdin; it sends back the spans it matched. It takes the current folder
  (where a classmate may have left a `regex.py`) off its import path before it imports anything (not
  `python -I`, which would drop a `pip install --user`'s packages too).

The whole search then takes the limit and a small margin (the first try's CPU limit, stretched by the
load, is part of the limit, not added to it).
"""

from __future__ import annotations

import struct
import subprocess
import sys
import time

import numpy as np
import regex

from ..core.errors import UserError
from ..core.safe import safe_text

MAX_REGEX = 200
TIME_LIMIT = 2.0  # seconds on the wall for one pattern over the whole text
QUICK = 0.05  # seconds of CPU the search gets in this process before it moves to a child it can stop
FLAGS = regex.MULTILINE | regex.VERSION0
TIMED_OUT = 3  # the child's exit status when its own (CPU) limit stops it first

# The child: the pattern's length, the pattern and the text on stdin; the matched spans (start, end),
# adjacent ones joined, as int64 pairs on stdout. Its own limit is a backstop should this process die.
CHILD = f"""
import sys
del sys.path[0]  # `-c`'s entry: the current folder
import struct, array, regex
data = sys.stdin.buffer.read()
n, seconds = struct.unpack_from("<Qd", data)
pattern = data[16 : 16 + n].decode("utf-8", "surrogatepass")
text = data[16 + n :].decode("utf-8", "surrogatepass")
spans = array.array("q")
try:
    for m in regex.compile(pattern, {int(FLAGS)}).finditer(text, timeout=seconds):
        if spans and spans[-1] == m.start():
            spans[-1] = m.end()
        elif m.end() > m.start():
            spans.extend((m.start(), m.end()))
except TimeoutError:
    sys.exit({TIMED_OUT})
sys.stdout.buffer.write(spans.tobytes())
"""


def compile_regex(pattern: str) -> regex.Pattern:
    """A user's regular expression, or a UserError saying in one line what is wrong with it."""
    if not pattern:
        raise UserError("empty regular expression")
    if len(pattern) > MAX_REGEX:
        raise UserError(f"regular expression longer than {MAX_REGEX} characters")
    try:
        return regex.compile(pattern, FLAGS)
    except (regex.error, OverflowError, RecursionError, ValueError) as e:
        raise UserError(f"invalid regular expression {safe_text(pattern)!r}: {safe_text(str(e))}") from None


def match_mask(text: str, rx: regex.Pattern, seconds: float = TIME_LIMIT) -> np.ndarray:
    """True inside every match of `rx` in `text` (empty matches mark nothing); a UserError, in one line,
    when matching takes more than `seconds` on the wall clock."""
    deadline = time.monotonic() + seconds
    out = np.zeros(len(text), dtype=bool)
    try:
        for m in rx.finditer(text, timeout=min(QUICK, seconds), concurrent=True):
            out[m.start() : m.end()] = True
        return out
    except TimeoutError:
        pass
    spans = _in_child(text, rx.pattern, deadline, seconds)
    if spans is None:
        raise UserError(f"regular expression /{safe_text(rx.pattern, 60)}/ took more than {seconds:g} s on "
                        f"this text (it backtracks too much); try a simpler one")
    out[:] = False
    for a, b in spans.reshape(-1, 2):
        out[a:b] = True
    return out


def _in_child(text: str, pattern: str, deadline: float, seconds: float) -> np.ndarray | None:
    """The spans `pattern` matches in `text`, found by a child process that is killed at `deadline`; None if
    it was (or its own limit stopped it)."""
    raw = pattern.encode("utf-8", "surrogatepass")
    payload = struct.pack("<Qd", len(raw), seconds) + raw + text.encode("utf-8", "surrogatepass")
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
    try:
        out, _ = child.communicate(payload, timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return None
    finally:
        if child.returncode is None:
            child.kill()
            child.communicate()
    if child.returncode == TIMED_OUT:
        return None
    if child.returncode != 0:
        raise UserError(f"regular expression /{safe_text(pattern, 60)}/ could not be matched "
                        f"(its matcher ended with status {child.returncode})")
    return np.frombuffer(out, dtype=np.int64)
