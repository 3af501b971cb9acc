"""The one function that makes outside text safe for a terminal.

Nothing from a model, a file, a file name, an exception or a prompt may reach
the terminal raw: an ESC in a vocabulary would otherwise let a checkpoint drive
the user's terminal (write the clipboard, clear the screen), and a bidi control
could reorder what the user reads. Every character maps to one printable,
single-width glyph, so the length of a safe string is also its width on screen
(columns line up by `len`). Hand-written because rich's `strip_control_codes` (rich 15.0) removes
only BEL, BS, VT, FF and CR, and leaves ESC, the C1 codes and bidi controls through.
"""

from __future__ import annotations

import unicodedata

# One error line is at most this long, so a 100k-character name cannot flood a terminal or a log.
MAX_MESSAGE = 300

_NAMED = {
    "\n": "↵",
    "\t": "→",
    "\r": "␍",
    " ": " ",
    "\x7f": "␡",
}


def glyph(ch: str) -> str:
    """One printable, single-width cell standing for `ch`."""
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ ␁ … ␛ …
    if code < 0x7F:
        return ch  # printable ASCII: the common case, without a table look-up
    category = unicodedata.category(ch)
    if category[0] == "C" or category in ("Zl", "Zp"):
        return "·"  # C1 controls, format characters (bidi, zero-width), surrogates, unassigned
    if category in ("Mn", "Me", "Mc"):
        return "◌"  # a combining mark would merge with its neighbour
    if category == "Zs":
        return "␣"
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return "□"  # two cells wide would break the character grid
    return ch


def safe_text(text: object, limit: int | None = None) -> str:
    """`text` (or `str(text)`) with every character replaced by its glyph, at most `limit` characters.

    A clipped text keeps its start and its end around a "…", so a long file name
    still shows its extension and a long message its beginning.
    """
    text = text if isinstance(text, str) else str(text)
    if limit is not None and len(text) > limit:
        tail = max(0, limit // 3 - 1) if limit >= 8 else 0
        head = max(0, limit - tail - 1)
        text = text[:head] + "…" + (text[len(text) - tail:] if tail else "")
    return "".join(map(glyph, text))
