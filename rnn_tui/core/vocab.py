"""Characters <-> ids, each with a safe display glyph (see `safe`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from .safe import glyph, safe_text


class Vocab:
    """An ordered set of single characters; id = position."""

    def __init__(self, chars: Sequence[str]):
        chars = tuple(chars)
        for ch in chars:
            if not isinstance(ch, str) or len(ch) != 1:
                raise ValueError(f"vocabulary entry {safe_text(repr(ch), 40)} is not a single character")
            if "\ud800" <= ch <= "\udfff":  # half of a UTF-16 pair: no text holds it, and no output can encode it
                raise ValueError(f"vocabulary entry {ascii(ch)} is a lone surrogate, not a character")
        if len(set(chars)) != len(chars):  # linear: a file may hold 100,000 copies of one character
            dupes = sorted(c for c, n in Counter(chars).items() if n > 1)
            raise ValueError(f"vocabulary has duplicate characters: {safe_text(''.join(dupes), 40)!r}")
        if not chars:
            raise ValueError("vocabulary is empty")
        self.chars = chars
        self.index = {ch: i for i, ch in enumerate(chars)}
        self.glyphs = tuple(glyph(ch) for ch in chars)

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        return cls(sorted(set(text)))

    def extended(self, text: str) -> Vocab:
        """These characters in their order, then the text's new ones, sorted: a model's ids stay valid."""
        new = sorted(set(text) - set(self.chars))
        return Vocab([*self.chars, *new]) if new else self

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
            raise ValueError(f"characters not in the model's vocabulary: {safe_text(''.join(missing), 40)!r}")
        return np.fromiter((self.index[ch] for ch in text), dtype=np.int64, count=len(text))

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.chars[i] for i in ids)
