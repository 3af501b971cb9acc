"""Reading a user's text, and the held-out split that training and scoring share."""

from __future__ import annotations

import lzma
import os
from pathlib import Path

from .errors import UserError
from .files import FileProblem, open_regular, size_text
from .safe import safe_text

DEFAULT_VAL_FRAC = 0.05
# The largest text `eval` and `train` read (after decompression): 25 times the Shakespeare corpus.
MAX_TEXT_BYTES = 128 << 20


def read_text(path: str | os.PathLike, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The text of a UTF-8 file (`.xz`-compressed files too) of at most `max_bytes`; any problem is a UserError.

    Only regular files: `/dev/zero` or a FIFO would otherwise fill memory or block
    for ever. A compressed file is read in blocks and stops at the limit, so a small
    `.xz` bomb cannot expand into memory either.
    """
    path = Path(path)
    shown = safe_text(path, 100)
    try:
        with open_regular(path, max_bytes, "text file") as f:
            if path.suffix != ".xz":
                raw = f.read()
            else:
                with lzma.open(f, "rb") as z:
                    raw = z.read(max_bytes + 1)
                if len(raw) > max_bytes:
                    raise FileProblem(f"decompresses to more than the {size_text(max_bytes)} limit for a text file")
    except FileProblem as e:
        raise UserError(f"{shown}: {e}") from None
    except (lzma.LZMAError, EOFError) as e:
        raise UserError(f"{shown}: not a valid .xz file ({safe_text(e, 80)})") from None
    except OSError as e:
        raise UserError(f"{shown}: cannot read: {safe_text(e.strerror or e, 80)}") from None
    return decode_utf8(raw, shown)


def decode_utf8(raw: bytes, shown: str) -> str:
    """Bytes as UTF-8 text; a bad byte is a UserError naming where it is (`shown` is already safe)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UserError(f"{shown}: not UTF-8 text (invalid byte 0x{raw[e.start]:02x} "
                        f"at byte offset {e.start:,})") from None


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
