"""The one function that makes outside text safe for a terminal.

Nothing from a model, a file, a file name, an exception or a prompt may reach
the terminal raw: an ESC in a vocabulary would otherwise let a checkpoint drive
the user's terminal (write the clipboard, clear the screen), and a bidi control
could reorder what the user reads. Every character maps to one printable,
single-width glyph.
"""

from __future__ import annotations

import unicodedata

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
    category = unicodedata.category(ch)
    if category[0] == "C" or category in ("Zl", "Zp"):
        return "·"  # C1 controls, format characters, surrogates, unassigned
    if category in ("Mn", "Me", "Mc"):
        return "◌"  # a combining mark would merge with its neighbour
    if ch != " " and category == "Zs":
        return "␣"
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return "□"  # two cells wide would break the character grid
    return ch


def safe_text(text: str) -> str:
    """`text` with every character replaced by its glyph."""
    return "".join(glyph(ch) for ch in text)
