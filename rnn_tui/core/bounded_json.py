"""JSON written by someone else, parsed within limits.

Python's `json` happily recurses 100,000 `[` deep (RecursionError), converts a
5,000-digit integer (ValueError, or seconds of work), returns `Infinity` and
`1e400` as infinite floats and keeps the last of two equal keys. A checkpoint
comes from a classmate's laptop, so its JSON is checked first: nesting depth
(one linear scan), integer digits, non-finite numbers, duplicate keys and the
length of every string, each failing as one JSONLimitError with a short message.
Hand-written because neither `json` nor a library already installed (rich, textual, numpy,
safetensors) offers limits on depth, digits and duplicate keys.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

MAX_DEPTH = 32  # the checkpoint document nests 3 deep; 32 leaves room for any later field
MAX_INT_DIGITS = 20  # 2**64 has 20 digits; a seed or a step count never needs more
MAX_STRING = 262_144  # characters in one string: a 64 KiB held-out passage fits four times over

# A JSON string token: quote, then runs of plain characters and escapes (no backtracking).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_STEP = np.zeros(256, np.int8)  # what each byte does to the nesting depth
_STEP[list(b"[{")], _STEP[list(b"]}")] = 1, -1
_BLOCK = 1 << 20


class JSONLimitError(ValueError):
    """JSON that is malformed or past one of the limits above."""


def loads(data: bytes, *, max_string: int = MAX_STRING, max_depth: int = MAX_DEPTH) -> Any:
    """Parse UTF-8 JSON `data`, refusing anything past the limits (JSONLimitError)."""
    depth = nesting_depth(data)
    if depth > max_depth:
        raise JSONLimitError(f"JSON nested {depth:,} deep (the limit is {max_depth})")
    try:
        text = data.decode("utf-8")
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant,
                           object_pairs_hook=_object)
    except UnicodeDecodeError:
        raise JSONLimitError("not UTF-8") from None
    except json.JSONDecodeError as e:
        raise JSONLimitError(f"not valid JSON ({e.msg} at character {e.pos:,})") from None
    check_plain(value, max_string=max_string, max_depth=max_depth)
    return value


def nesting_depth(data: bytes) -> int:
    """How deep `[` and `{` nest outside strings, in linear time and without recursion.

    In blocks of 1 MiB, so a 16 MiB header of `[` costs a few MB of memory, not hundreds.
    """
    bare = np.frombuffer(_STRING.sub(b'""', data), np.uint8)
    deepest = depth = 0
    for start in range(0, len(bare), _BLOCK):
        running = np.cumsum(_STEP[bare[start : start + _BLOCK]], dtype=np.int64) + depth
        deepest, depth = max(deepest, int(running.max())), int(running[-1])
    return deepest


def check_plain(value: Any, *, max_string: int = MAX_STRING, max_depth: int = MAX_DEPTH) -> None:
    """`value` is plain data (dict with string keys, list, str, finite number, bool, None) within the limits.

    Used on parsed JSON and on what a `.pt` file's unpickler returns, which can nest just as deep.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        v, depth = stack.pop()
        if depth > max_depth:
            raise JSONLimitError(f"data nested more than {max_depth} deep")
        if isinstance(v, str):
            if len(v) > max_string:
                raise JSONLimitError(f"a string of {len(v):,} characters (the limit is {max_string:,})")
        elif isinstance(v, bool) or v is None:
            pass
        elif isinstance(v, int):
            if abs(v) >= 10**MAX_INT_DIGITS:
                raise JSONLimitError(f"an integer of more than {MAX_INT_DIGITS} digits")
        elif isinstance(v, float):
            _float(repr(v))
        elif isinstance(v, dict):
            for k, item in v.items():
                if not isinstance(k, str):
                    raise JSONLimitError(f"a key of type {type(k).__name__}, not a string")
                stack.append((k, depth + 1))
                stack.append((item, depth + 1))
        elif isinstance(v, (list, tuple)):
            stack.extend((item, depth + 1) for item in v)
        else:
            raise JSONLimitError(f"a value of type {type(v).__name__}, not plain data")


def json_int(x: Any, lo: int = 0, hi: int = 2**63 - 1) -> bool:
    """Is a parsed JSON value an integer from lo to hi? (JSON's true and false are Python ints.)"""
    return isinstance(x, int) and not isinstance(x, bool) and lo <= x <= hi


def _int(token: str) -> int:
    if len(token.lstrip("-")) > MAX_INT_DIGITS:
        raise JSONLimitError(f"an integer of {len(token.lstrip('-')):,} digits (the limit is {MAX_INT_DIGITS})")
    return int(token)


def _float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise JSONLimitError(f"a number out of range ({token[:24]})")
    return value


def _constant(token: str) -> float:
    raise JSONLimitError(f"{token} is not a JSON number")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise JSONLimitError("an object with a repeated key")
    return out
