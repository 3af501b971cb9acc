"""Characters <-> ids, and a safe glyph for every character.

Nothing from a model, a file or a prompt may reach the terminal raw: an ESC in a
vocabulary would otherwise let a checkpoint drive the user's terminal.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np

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


class Vocab:
    """An ordered set of single characters; id = position."""

    def __init__(self, chars: Sequence[str]):
        chars = tuple(chars)
        for ch in chars:
            if not isinstance(ch, str) or len(ch) != 1:
                raise ValueError(f"vocabulary entry {ch!r} is not a single character")
        if len(set(chars)) != len(chars):
            dupes = sorted({c for c in chars if chars.count(c) > 1})
            raise ValueError(f"vocabulary has duplicate characters: {safe_text(''.join(dupes))!r}")
        if not chars:
            raise ValueError("vocabulary is empty")
        self.chars = chars
        self.index = {ch: i for i, ch in enumerate(chars)}
        self.glyphs = tuple(glyph(ch) for ch in chars)

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, ch: object) -> bool:
        return ch in self.index

    def unknown(self, text: str) -> list[str]:
        """Characters of `text` outside the vocabulary, in order of first appearance."""
        return list(dict.fromkeys(ch for ch in text if ch not in self.index))

    def encode(self, text: str) -> np.ndarray:
        missing = self.unknown(text)
        if missing:
            raise ValueError(f"characters not in the model's vocabulary: {safe_text(''.join(missing))!r}")
        return np.fromiter((self.index[ch] for ch in text), dtype=np.int64, count=len(text))

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.chars[i] for i in ids)

    def display(self, ids: Iterable[int]) -> str:
        return "".join(self.glyphs[i] for i in ids)
