"""A vocabulary the user gives on the command line, for a model file that has none.

A bare `state_dict` knows how many characters it reads and writes but not which.
Tutorials build the list one of two ways, and the options follow them:
`--vocab printable` is Python's `string.printable` in its order (char-rnn.pytorch's
`all_characters`), `--vocab-from TEXT` the sorted set of a text's characters
(`sorted(set(text))`), and `--vocab FILE` a file holding the characters in order.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from ..core.vocab import Vocab


@dataclass(frozen=True)
class GivenVocab:
    chars: str  # the characters, in id order
    source: str  # how the user gave them, for messages: "--vocab printable"
    # a file's last newline may be an editor's: dropped when it is one character more than the model has
    final_newline_optional: bool = False

    def fit(self, size: int) -> Vocab:
        """The vocabulary for a model of `size` characters; ValueError naming both sizes if it does not fit."""
        chars = self.chars
        if self.final_newline_optional and len(chars) == size + 1 and chars.endswith("\n"):
            chars = chars[:-1]
        if len(chars) != size:
            raise ValueError(f"{self.source} gives {len(chars)} characters but the model reads and writes {size}")
        return Vocab(list(chars))


def printable() -> GivenVocab:
    return GivenVocab(string.printable, "--vocab printable")


def from_text(text: str, shown: str) -> GivenVocab:
    return GivenVocab("".join(sorted(set(text))), f"--vocab-from {shown}")


def from_file(content: str, shown: str) -> GivenVocab:
    return GivenVocab(content, f"--vocab {shown}", final_newline_optional=True)
