"""Features of a text, one number per character, that a neuron might track.

Two kinds, scored differently by the finder: a *ramp* (a count that grows, like
the position in the line: Pearson's r) and an *on/off* feature (1 inside
quotes, 0 outside: the area under the ROC curve). A feature's value at t
describes character t, the character the model has just read when its units
take the values at t, as in Karpathy's pictures.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.safe import safe_text
from .regex_feature import TIME_LIMIT, compile_regex, match_mask

RAMP, ONOFF = "ramp", "on/off"


@dataclass(frozen=True)
class Feature:
    key: str  # short, for the command line: "line-pos"
    name: str  # as shown: "position in line"
    kind: str  # RAMP or ONOFF
    compute: Callable[[str], np.ndarray]
    per_line: bool = False  # a ramp that restarts on each line: the finder adds a per-line monotonicity score

    def __call__(self, text: str) -> np.ndarray:
        return self.compute(text).astype(np.float32, copy=False)


def codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _mask(text: str, chars: str) -> np.ndarray:
    return np.isin(codepoints(text), codepoints(chars))


def _last_before(flags: np.ndarray) -> np.ndarray:
    """For each t, the largest index < t where flags is set, or -1."""
    idx = np.where(flags, np.arange(len(flags)), -1)
    prev = np.maximum.accumulate(idx) if len(idx) else idx
    return np.concatenate(([-1], prev[:-1])) if len(idx) else idx


def position_in_line(text: str) -> np.ndarray:
    """Characters since the last newline: 0 for a line's first character (a newline gets the line's length)."""
    nl = codepoints(text) == 10
    return np.arange(len(text)) - _last_before(nl) - 1


def distance_to_line_end(text: str) -> np.ndarray:
    """Characters until the next newline (0 on the newline itself; the text's end counts as one)."""
    nl = codepoints(text) == 10
    n = len(text)
    idx = np.where(nl, np.arange(n), n)
    nxt = np.minimum.accumulate(idx[::-1])[::-1] if n else idx
    return nxt - np.arange(n)


def _line_starts(text: str) -> np.ndarray:
    """For each character, the index where its line begins."""
    return np.arange(len(text)) - position_in_line(text)


def line_ids(text: str) -> np.ndarray:
    """Which line each character belongs to (a newline belongs to the line it ends)."""
    nl = codepoints(text) == 10
    return np.concatenate(([0], np.cumsum(nl)[:-1])) if len(text) else np.zeros(0, np.int64)


def _letters(text: str) -> np.ndarray:
    return np.fromiter((ch.isalpha() for ch in text), dtype=bool, count=len(text))


def position_in_word(text: str) -> np.ndarray:
    """1, 2, 3 … along a run of letters; 0 outside words."""
    letter = _letters(text)
    return np.where(letter, np.arange(len(text)) - _last_before(~letter), 0)


def _depth(opens: np.ndarray, closes: np.ndarray) -> np.ndarray:
    """Nesting depth after each character; a stray closing bracket does not go below 0."""
    cs = np.cumsum(opens.astype(np.int64) - closes.astype(np.int64))
    return cs - np.minimum(np.minimum.accumulate(cs), 0) if len(cs) else cs


def inside_brackets(text: str) -> np.ndarray:
    """From an opening (, [ or { to its closing bracket (the opening one included)."""
    return _depth(_mask(text, "([{"), _mask(text, ")]}")) > 0


def inside_square_brackets(text: str) -> np.ndarray:
    """Inside [ … ]: the stage directions of the Shakespeare corpus ([Enter SPEED.])."""
    return _depth(_mask(text, "["), _mask(text, "]")) > 0


def inside_quotes(text: str) -> np.ndarray:
    """From an opening double quote to its closing one on the same line (the opening one included).

    Line by line, as quotes close in prose and code, so one stray quote (or a triple-quoted docstring
    spanning lines) does not invert the rest of the text."""
    q = np.cumsum(_mask(text, '"'))
    before_line = np.concatenate(([0], q))[_line_starts(text)]  # quotes seen before each line began
    return (q - before_line) % 2 == 1


def _spans(text: str, pattern: re.Pattern[str], group: int | None = None) -> np.ndarray:
    out = np.zeros(len(text), dtype=bool)
    for m in pattern.finditer(text):
        if group is None or m.lastgroup == group:
            out[m.start() : m.end()] = True
    return out


SPEAKER = re.compile(r"^[ \t]*[A-Z][A-Z' -]*[A-Z]\.[ \t]*$", re.MULTILINE)


def speaker_line(text: str) -> np.ndarray:
    """A line that is only an uppercase name and a full stop ("PROTEUS."), as plays name their speakers."""
    return _spans(text, SPEAKER)


def start_of_line(text: str) -> np.ndarray:
    return position_in_line(text) == 0


def uppercase(text: str) -> np.ndarray:
    return np.fromiter((ch.isupper() for ch in text), dtype=bool, count=len(text))


def end_of_sentence(text: str) -> np.ndarray:
    """A . ! or ? followed by white space or the end of the text."""
    cp = codepoints(text)
    punct = np.isin(cp, codepoints(".!?"))
    after = np.append(np.isin(cp[1:], codepoints(" \n\t")), True)
    return punct & after


def whitespace(text: str) -> np.ndarray:
    return np.fromiter((ch.isspace() for ch in text), dtype=bool, count=len(text))


def vowel(text: str) -> np.ndarray:
    return _mask(text, "aeiouAEIOU")


def next_is_newline(text: str) -> np.ndarray:
    return np.append(codepoints(text)[1:] == 10, False) if text else np.zeros(0, bool)


def indentation(text: str) -> np.ndarray:
    """The current line's indentation (leading spaces and tabs) as far as it has been read: within the
    leading white space, the count so far; after it, the whole indentation (what a model reading left to
    right can know)."""
    lines = text.split("\n")
    widths = np.fromiter((len(s) - len(s.lstrip(" \t")) for s in lines), dtype=np.int64, count=len(lines))
    if not text:
        return np.zeros(0, np.int64)
    return np.minimum(widths[line_ids(text)], position_in_line(text) + 1)


# Python's lexical structure, enough for the finder: comments, and string literals with their
# prefixes and quotes (triple-quoted ones may span lines). Tried left to right, so a # inside a
# string is not a comment and a quote inside a comment is not a string.
_PYTHON = re.compile(
    r"(?P<comment>#[^\n]*)"
    r"|(?P<doc>[rRbBuUfF]{0,2}(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''))"
    r"|(?P<string>[rRbBuUfF]{0,2}(?:\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'))",
    re.DOTALL,
)


def inside_string(text: str) -> np.ndarray:
    """Inside a one-line Python string literal ('…' or "…"), quotes included: Karpathy's quote cell."""
    return _spans(text, _PYTHON, "string")


def inside_docstring(text: str) -> np.ndarray:
    """Inside a triple-quoted Python string (docstrings: prose, often over many lines), quotes included."""
    return _spans(text, _PYTHON, "doc")


def inside_comment(text: str) -> np.ndarray:
    """From a Python comment's # to the end of its line."""
    return _spans(text, _PYTHON, "comment")


BUILT_IN: tuple[Feature, ...] = (
    Feature("line-pos", "position in line", RAMP, position_in_line, per_line=True),
    Feature("line-end", "distance to end of line", RAMP, distance_to_line_end, per_line=True),
    Feature("word-pos", "position in word", RAMP, position_in_word),
    Feature("indent", "indentation depth", RAMP, indentation),
    Feature("brackets", "inside brackets", ONOFF, inside_brackets),
    Feature("stage", "inside [stage direction]", ONOFF, inside_square_brackets),
    Feature("quotes", "inside quotes", ONOFF, inside_quotes),
    Feature("speaker", "speaker-name line", ONOFF, speaker_line),
    Feature("line-start", "start of line", ONOFF, start_of_line),
    Feature("upper", "uppercase", ONOFF, uppercase),
    Feature("sentence-end", "end of sentence", ONOFF, end_of_sentence),
    Feature("space", "whitespace", ONOFF, whitespace),
    Feature("vowel", "vowel", ONOFF, vowel),
    Feature("next-newline", "next character is a newline", ONOFF, next_is_newline),
    Feature("string", "inside a string", ONOFF, inside_string),
    Feature("docstring", "inside a docstring", ONOFF, inside_docstring),
    Feature("comment", "inside a comment", ONOFF, inside_comment),
)
BY_KEY = {f.key: f for f in BUILT_IN}


def regex_feature(pattern: str, seconds: float | None = None) -> Feature:
    """1 inside every match of the user's pattern, 0 outside (empty matches mark nothing); matched within
    a time limit (see regex_feature), and an invalid pattern fails here, before any work."""
    rx = compile_regex(pattern)
    limit = TIME_LIMIT if seconds is None else seconds
    last: list = [None, None]  # (text, mask): a long text is ranked a block of units at a time, each asking

    def compute(text: str) -> np.ndarray:
        if last[0] is not text:  # one search of a text, within one time limit, however many blocks ask
            last[:] = [text, match_mask(text, rx, limit)]
        return last[1]

    return Feature("regex", f"/{safe_text(pattern)}/", ONOFF, compute)
