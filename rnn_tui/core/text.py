"""Reading a user's text, and the held-out split that training and scoring share."""

from __future__ import annotations

import lzma
import os
from pathlib import Path

from .errors import UserError

DEFAULT_VAL_FRAC = 0.05


def read_text(path: str | os.PathLike) -> str:
    """The text of a UTF-8 file (`.xz`-compressed files too); any problem is a UserError."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path}: is a directory, not a text file")
    try:
        if path.suffix == ".xz":
            with lzma.open(path, "rb") as f:
                raw = f.read()
        else:
            raw = path.read_bytes()
    except lzma.LZMAError as e:
        raise UserError(f"{path}: not a valid .xz file ({e})") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text (invalid byte 0x{raw[e.start]:02x} "
                        f"at byte offset {e.start})") from None


def val_size(n_chars: int, val_frac: float) -> int:
    """How many characters at the end of a text of `n_chars` are held out (at least 2, to score one)."""
    return max(2, int(round(n_chars * val_frac)))


def held_out(text: str, val_frac: float = DEFAULT_VAL_FRAC) -> str:
    """The last `val_frac` of `text`: what training never sees and validation scores."""
    return text[len(text) - val_size(len(text), val_frac):]


ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "r": "\r", "e": "\x1b", "0": "\x00"}


def unescape(text: str) -> str:
    """Typed text with \\n, \\t, \\\\, \\e and \\xNN turned into the characters they name.

    An Input has one line, so this is how a prime gets a newline or a tab.
    """
    out: list[str] = []
    k = 0
    while k < len(text):
        ch = text[k]
        if ch == "\\" and k + 1 < len(text):
            nxt = text[k + 1]
            if nxt in ESCAPES:
                out.append(ESCAPES[nxt])
                k += 2
                continue
            if nxt == "x" and k + 3 < len(text) and _is_hex(text[k + 2 : k + 4]):
                out.append(chr(int(text[k + 2 : k + 4], 16)))
                k += 4
                continue
        out.append(ch)
        k += 1
    return "".join(out)


def _is_hex(s: str) -> bool:
    return len(s) == 2 and all(c in "0123456789abcdefABCDEF" for c in s)
