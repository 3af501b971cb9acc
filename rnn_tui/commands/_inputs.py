"""What the commands read: a text (a file, or `-` for standard input) and a model (with its options).

One convention for the model, in every command: `-m/--model NAME_OR_FILE`; the
older positional forms keep working (`eval MODEL TEXT`, `analyze TEXT MODEL`,
`rnn-tui MODEL`). `--vocab`/`--vocab-from` name the characters of a model file
that has none (a bare PyTorch state dict).
"""

from __future__ import annotations

import argparse
import lzma
import sys
from pathlib import Path
from typing import BinaryIO

from ..core.checkpoint import Checkpoint, bundled_models
from ..core.errors import UserError
from ..core.files import size_text
from ..core.safe import safe_text
from ..core.text import MAX_TEXT_BYTES, decode_utf8

STDIN = "-"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_read_stdin: dict[str, str] = {}  # stdin can be read once; `--vocab-from -` and a text `-` share it


def add_model_options(p: argparse.ArgumentParser, model: bool = True) -> None:
    """-m/--model (unless the command names its model otherwise) and the vocabulary options."""
    if model:
        p.add_argument("-m", "--model", dest="model_option", metavar="MODEL", default=None,
                       help="a bundled model's name or a .safetensors/.pt/.pth/.npz file (default: shakespeare-lstm)")
    g = p.add_argument_group("a model file without its characters (a bare PyTorch state_dict)")
    x = g.add_mutually_exclusive_group()
    x.add_argument("--vocab", metavar="printable|FILE",
                   help="'printable': Python's string.printable, in its order (char-rnn.pytorch); or a file "
                        "holding the characters in id order")
    x.add_argument("--vocab-from", metavar="TEXT",
                   help="the sorted set of TEXT's characters, as most tutorials build it (- reads stdin)")


def model_name(args: argparse.Namespace, positional: str | None) -> str | None:
    """The model named by -m/--model or by the command's positional argument (not both)."""
    option = getattr(args, "model_option", None)
    if option is not None and positional is not None:
        raise UserError(f"two models named: {safe_text(positional, 60)!r} and -m {safe_text(option, 60)!r}")
    return option if option is not None else positional


def looks_like_model(name: str) -> bool:
    from ..interop import MODEL_SUFFIXES

    return Path(name).suffix in MODEL_SUFFIXES or (name in bundled_models() and not Path(name).exists())


def model_and_text(args: argparse.Namespace, first: str, second: str | None,
                   model_first: bool) -> tuple[str | None, str]:
    """(model, text) from one or two positionals and -m: `CMD TEXT -m MODEL` is the convention; with two
    positionals, the one that looks like a model is the model, else the command's old order decides."""
    if second is None:
        if looks_like_model(first) and first != STDIN:
            shown = safe_text(first, 60)
            raise UserError(f"{shown} is a model, and a text is needed too: TEXT -m {shown} (- reads standard input)")
        return model_name(args, None), first
    if looks_like_model(first) != looks_like_model(second):
        model_first = looks_like_model(first)
    model, text = (first, second) if model_first else (second, first)
    return model_name(args, model), text


def open_model(args: argparse.Namespace, name: str | None, weights: bool = True) -> Checkpoint:
    """The model named, with the vocabulary options; `weights=False` to describe it only (see interop.load_model)."""
    from ._loading import load_model  # with a progress line when it takes a while

    return load_model(name, vocab=given_vocab(args), weights=weights)


def given_vocab(args: argparse.Namespace):
    """The characters given with --vocab or --vocab-from, or None."""
    from ..interop import given_vocab as gv

    vocab, source = getattr(args, "vocab", None), getattr(args, "vocab_from", None)
    if source is not None:
        text, shown = read_input_text(source)
        if not text:
            raise UserError(f"--vocab-from {shown}: the text is empty")
        return gv.from_text(text, shown)
    if vocab is None:
        return None
    if vocab == "printable":
        return gv.printable()
    text, shown = read_input_text(vocab, max_bytes=1 << 20)
    if not text:
        raise UserError(f"--vocab {shown}: the file is empty")
    return gv.from_file(text, shown)


def read_input_text(name: str, max_bytes: int = MAX_TEXT_BYTES) -> tuple[str, str]:
    """The text of a file or of standard input (`-`), and its name for messages; every problem a UserError.

    Every command that reads a text reads it here (eval, analyze, export, train, score).

    A stream gets the same limits as a file: read in blocks and stopped at `max_bytes`
    (after .xz decompression), so `yes | rnn-tui eval -` ends with a line, not a full memory.
    """
    if name not in (STDIN, "/dev/stdin"):  # /dev/stdin is a pipe, which the file reader refuses
        from ..core.text import read_text

        return read_text(name, max_bytes), safe_text(name, 100)
    if STDIN not in _read_stdin:
        _read_stdin[STDIN] = decode_utf8(_read_stream(sys.stdin.buffer, max_bytes), "standard input")
    return _read_stdin[STDIN], "standard input"


def _read_stream(stream: BinaryIO, max_bytes: int) -> bytes:
    head = stream.read(len(_XZ_MAGIC))
    if head == _XZ_MAGIC:  # `xzcat` left out: a compressed corpus piped in as it is
        z = lzma.LZMADecompressor()
        try:
            raw = z.decompress(head + _bounded(stream, max_bytes), max_length=max_bytes + 1)
        except lzma.LZMAError as e:
            raise UserError(f"standard input: not a valid .xz stream ({safe_text(e, 80)})") from None
    else:
        raw = head + _bounded(stream, max_bytes - len(head))
    if len(raw) > max_bytes:
        raise UserError(f"standard input: more than the {size_text(max_bytes)} limit for a text")
    return raw


def _bounded(stream: BinaryIO, limit: int) -> bytes:
    """At most limit + 1 bytes, so that going over is seen without reading the whole stream."""
    chunks, got = [], 0
    while got <= limit:
        block = stream.read(min(1 << 20, limit + 1 - got))
        if not block:
            break
        chunks.append(block)
        got += len(block)
    return b"".join(chunks)
