"""The text a model trains on: reading it, encoding it, and the held-out split.

torch-free, so the checks on a user's file (missing, not UTF-8, too short...)
run before the 1.7 s `import torch`. The split is the one `rnn-tui eval` uses:
the LAST `val_frac` of the characters is held out and never trained on.
"""

from __future__ import annotations

import hashlib
import lzma
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import UserError
from ..core.text import read_text, val_size
from ..core.vocab import Vocab

__all__ = ["Corpus", "load_text", "min_chars", "prepare", "file_sha256"]


def load_text(path: str | os.PathLike) -> str:
    """A UTF-8 text file's contents; `.xz` files are decompressed. Problems raise UserError."""
    return read_text(path)


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of the (decompressed, for `.xz`) bytes, so a corpus has one identity in either form."""
    h = hashlib.sha256()
    opener = lzma.open if Path(path).suffix == ".xz" else open
    with opener(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def min_chars(batch: int, seq_len: int, val_frac: float) -> int:
    """The shortest text that leaves one full batch (`batch` streams of `seq_len` + 1) after the hold-out."""
    need_train = batch * seq_len + 1
    n = need_train + 2
    while n - val_size(n, val_frac) < need_train:
        n += 1
    return n


@dataclass
class Corpus:
    name: str
    sha256: str
    vocab: Vocab
    train_ids: np.ndarray  # int64, the first 1 − val_frac of the text
    val_ids: np.ndarray  # int64, the last val_frac: never trained on
    val_frac: float

    @property
    def chars(self) -> int:
        return len(self.train_ids) + len(self.val_ids)


def prepare(path: str | os.PathLike, batch: int, seq_len: int, val_frac: float,
            vocab: Vocab | None = None, text: str | None = None) -> Corpus:
    """Read, check and split a text file (or `text`, read already: standard input). The vocabulary is
    every character of the whole file (held-out part included, so validation never meets an unknown
    character), or `vocab`, which must hold them all."""
    path = Path(path)
    given = text is not None
    text = load_text(path) if text is None else text
    if not text:
        raise UserError(f"{path}: the file is empty")
    need = min_chars(batch, seq_len, val_frac)
    if len(text) < need:
        raise UserError(f"{path}: text too short: {len(text):,} characters, need at least {need:,} for one batch "
                        f"of {batch} × {seq_len} with {val_frac:g} held out (lower --batch or --seq-len)")
    if vocab is None:
        vocab = Vocab.from_text(text)
    else:
        unknown = vocab.unknown(text)
        if unknown:
            raise UserError(f"{path}: characters not in the resumed model's vocabulary: {''.join(unknown)!r}")
    ids = vocab.encode(text)
    n_val = val_size(len(ids), val_frac)
    name = path.name.removesuffix(".xz") if not given else "stdin"
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest() if given else file_sha256(path)
    return Corpus(name, sha, vocab, ids[:-n_val], ids[-n_val:], val_frac)
