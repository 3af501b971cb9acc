"""Open a model trained with Karpathy's min-char-rnn: an `.npz` of its five arrays and its characters.

min-char-rnn keeps column vectors and these parameters (H hidden units, V characters):

    Wxh (H, V)   Whh (H, H)   Why (V, H)   bh (H, 1)   by (V, 1)
    h[t] = tanh(Wxh · x[t] + Whh · h[t-1] + bh)        y[t] = Why · h[t] + by

which is a one-layer `torch.nn.RNN` (tanh) on a one-hot input with a linear head, once its single
hidden bias is taken as `bias_ih` and `bias_hh` is zero. Save it from the script with, e.g.,

    np.savez("model.npz", Wxh=Wxh, Whh=Whh, Why=Why, bh=bh, by=by, chars=np.array(chars))

The characters, in the order of min-char-rnn's `ix_to_char`, come as `chars` or `vocab`: an array
of one-character strings, or one string. Bytes (`|S1`, from Python 2) are read as Latin-1, one
character a byte. Other arrays (the Adagrad memories `mWxh`, ...) are ignored. The file is read with
`allow_pickle=False`: an object array would be a pickle, and a pickle can run code.
"""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path

import numpy as np

from ..core.cells import Config
from ..core.checkpoint import MAX_FILE_BYTES, MAX_HIDDEN, MAX_VOCAB, Checkpoint, check_tensors
from ..core.errors import CheckpointError
from ..core.files import FileProblem, open_regular, size_text
from ..core.safe import safe_text
from ..core.vocab import Vocab
from .given_vocab import GivenVocab

ARRAYS = ("Wxh", "Whh", "Why", "bh", "by")
VOCAB_KEYS = ("chars", "vocab")


def load_npz(path: str | os.PathLike, given: GivenVocab | None = None) -> Checkpoint:
    """Read a min-char-rnn `.npz` and convert it; any problem raises CheckpointError."""
    path = Path(path)
    arrays = _read(path)
    missing = [k for k in ARRAYS if k not in arrays]
    if missing:
        raise CheckpointError(path, f"missing array(s) {', '.join(missing)}; a min-char-rnn .npz holds "
                                    f"{', '.join(ARRAYS)} and chars")
    vocab = _given(path, given, arrays) if given is not None else _vocab(path, arrays)
    tensors = convert(path, arrays, len(vocab))
    config = Config("rnn", 1, tensors["rnn.weight_hh_l0"].shape[0], len(vocab))
    check_tensors(path, config, tensors)
    return Checkpoint(path, config, vocab, tensors, {"imported_from": path.name, "source_format": "min-char-rnn"})


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        with open_regular(path, MAX_FILE_BYTES, "min-char-rnn file") as f:
            if f.read(4) != b"PK\x03\x04":  # else np.load would try other formats, a pickle among them
                raise CheckpointError(path, "not an .npz file (not a zip archive); save it with np.savez")
            f.seek(0)
            # np.savez_compressed's members could inflate far past the file's size: check before inflating
            archive = zipfile.ZipFile(f)
            inflated = sum(info.file_size for info in archive.infolist())
            if inflated > MAX_FILE_BYTES:
                raise CheckpointError(path, f"its arrays hold {size_text(inflated)}, over the "
                                            f"{size_text(MAX_FILE_BYTES)} limit")
            _check_headers(path, archive)
            f.seek(0)
            with np.load(f, allow_pickle=False) as npz:
                return {name: npz[name] for name in npz.files}
    except FileProblem as e:
        raise CheckpointError(path, str(e)) from None
    except ValueError as e:
        if "allow_pickle" in str(e) or "Object arrays" in str(e):
            raise CheckpointError(path, "holds Python objects (a pickle), which rnn-tui never loads; save the "
                                        "characters as np.array(chars)") from None
        raise CheckpointError(path, f"not a readable .npz file ({safe_text(str(e), 120)})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise CheckpointError(path, f"not a readable .npz file ({safe_text(str(e), 120)})") from None


def _check_headers(path: Path, archive: zipfile.ZipFile) -> None:
    """Each array's header against its member's size: numpy allocates what a header declares before it
    reads a byte, so a 1 KB member declaring 10^12 items was a MemoryError."""
    from numpy.lib import format as npy

    readers = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}
    for info in archive.infolist():
        name = safe_text(info.filename.removesuffix(".npy"), 40)
        with archive.open(info) as member:
            version = npy.read_magic(member)
            reader = readers.get(version)
            if reader is None:
                raise CheckpointError(path, f"array {name}: .npy format version {version} is not supported")
            shape, _, dtype = reader(member, max_header_size=10_000)
        declared = math.prod(shape) * max(dtype.itemsize, 1)
        if declared > info.file_size:
            raise CheckpointError(path, f"array {name} declares {size_text(declared)} of data but holds "
                                        f"{size_text(info.file_size)}")


def _given(path: Path, given: GivenVocab, arrays: dict[str, np.ndarray]) -> Vocab:
    """The user's characters, as many as Why has rows."""
    why = arrays["Why"]
    try:
        return given.fit(int(why.shape[0]) if why.ndim == 2 else len(given.chars))
    except ValueError as e:
        raise CheckpointError(path, str(e)) from None


def _vocab(path: Path, arrays: dict[str, np.ndarray]) -> Vocab:
    key = next((k for k in VOCAB_KEYS if k in arrays), None)
    if key is None:
        raise CheckpointError(path, "no characters: add an array 'chars' (min-char-rnn's ix_to_char, in order)")
    raw = arrays[key]
    if raw.dtype.kind == "S":  # Python 2's str: bytes
        raw = np.char.decode(raw, "latin-1")
    if raw.dtype.kind != "U":
        raise CheckpointError(path, f"'{key}' must hold characters (strings), got dtype {raw.dtype}")
    items = [str(raw.item())] if raw.ndim == 0 else [str(c) for c in raw.reshape(-1)]
    chars = list(items[0]) if len(items) == 1 and len(items[0]) > 1 else items
    # numpy strips trailing NULs from its strings, so a NUL character reads back as ''
    chars = ["\0" if c == "" else c for c in chars]
    if len(chars) > MAX_VOCAB:
        raise CheckpointError(path, f"'{key}' has {len(chars):,} characters (the limit is {MAX_VOCAB:,})")
    try:
        return Vocab(chars)
    except ValueError as e:
        raise CheckpointError(path, f"'{key}': {e}") from None


def convert(path: Path, arrays: dict[str, np.ndarray], vocab_size: int) -> dict[str, np.ndarray]:
    """min-char-rnn's arrays under torch's names, shapes checked against each other and the vocabulary."""
    a = {k: arrays[k] for k in ARRAYS}
    for name, value in a.items():
        if value.dtype.kind not in "fiu":
            raise CheckpointError(path, f"array {name} has dtype {value.dtype}, expected numbers")
    whh = a["Whh"]
    if whh.ndim != 2 or whh.shape[0] != whh.shape[1] or not 1 <= whh.shape[0] <= MAX_HIDDEN:
        raise CheckpointError(path, f"Whh has shape {whh.shape}, expected (H, H) with H at most {MAX_HIDDEN}")
    H, V = whh.shape[0], vocab_size
    why = a["Why"]
    if why.ndim == 2 and why.shape[1] == H and why.shape[0] != V:
        raise CheckpointError(path, f"the vocabulary has {V} characters but Why has {why.shape[0]} rows "
                                    "(one per character)")
    for name, shape in (("Wxh", (H, V)), ("Why", (V, H))):
        if a[name].shape != shape:
            raise CheckpointError(path, f"{name} has shape {a[name].shape}, expected {shape} "
                                        f"for {H} hidden units and {V} characters")
    bh, by = _column(path, "bh", a["bh"], H), _column(path, "by", a["by"], V)
    f32 = lambda x: np.ascontiguousarray(x, dtype=np.float32)  # noqa: E731
    return {
        "rnn.weight_ih_l0": f32(a["Wxh"]),
        "rnn.weight_hh_l0": f32(whh),
        "rnn.bias_ih_l0": f32(bh),
        "rnn.bias_hh_l0": np.zeros(H, dtype=np.float32),  # min-char-rnn has one hidden bias
        "head.weight": f32(a["Why"]),
        "head.bias": f32(by),
    }


def _column(path: Path, name: str, value: np.ndarray, n: int) -> np.ndarray:
    """A bias as min-char-rnn keeps it, (n, 1), or flat (n,)."""
    if value.shape not in ((n, 1), (n,)):
        raise CheckpointError(path, f"{name} has shape {value.shape}, expected ({n}, 1)")
    return value.reshape(n)
