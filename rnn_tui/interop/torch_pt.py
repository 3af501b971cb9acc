"""Open a model trained with plain PyTorch: a `.pt` or `.pth` file.

Accepted, as `torch.save` writes them:

    torch.save(model.state_dict(), "model.pt")                  # what most tutorials save
    torch.save({"state_dict": model.state_dict(), "vocab": chars, "cell": "lstm"}, "model.pt")

and a dict holding the state dict under `model_state_dict`, `model` or `net` (a
training checkpoint). The network is found from the tensors' shapes, whatever the
modules are called (see `state_dict.py`). The characters come from the file
(`vocab`, `chars`, `itos`, `stoi`…) or, for a bare state dict, from the user
(`--vocab printable`, `--vocab-from TEXT`, `--vocab FILE`: `given_vocab.py`).

The file is read with `torch.load(..., weights_only=True)` only: a pickle may run
code when loaded, and weights_only refuses anything but tensors and plain data. A
whole pickled module (`torch.save(model, path)`) is refused with the line that
saves its weights instead.
"""

from __future__ import annotations

import os
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..core import bounded_json
from ..core.cells import CELLS, Config
from ..core.checkpoint import MAX_FILE_BYTES, MAX_VOCAB, Checkpoint, check_tensors
from ..core.errors import CheckpointError, needs_torch
from ..core.files import FileProblem, open_regular, size_text
from ..core.safe import safe_text
from ..core.vocab import Vocab
from .given_vocab import GivenVocab
from .state_dict import find_layout

# where a training checkpoint keeps the model's weights, in the order looked for
STATE_KEYS = ("state_dict", "model_state_dict", "model", "net", "model_state")
# where tutorials keep the characters: a list (or string) in id order, or a dict either way round
LIST_KEYS = ("vocab", "chars", "all_characters", "itos", "idx_to_char", "int2char", "ix_to_char")
MAP_KEYS = ("stoi", "char_to_idx", "char2int", "char_to_ix", "char2idx")
SAVE_WEIGHTS = "torch.save(model.state_dict(), 'model.pt')"
_CSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # torch bolds a warning inside its error text


def load_pt(path: str | os.PathLike, vocab: GivenVocab | None = None) -> Checkpoint:
    """Read a `.pt`/`.pth` file safely and convert it; any problem raises CheckpointError."""
    path = Path(path)
    torch, obj = _torch_load(path)
    cell = obj.get("cell") if isinstance(obj, dict) else None
    if cell is not None and (not isinstance(cell, str) or cell not in CELLS):
        raise CheckpointError(path, f"unknown cell {safe_text(repr(cell), 40)} (expected one of {', '.join(CELLS)})")
    state, meta = _unwrap(torch, path, obj)
    try:
        arrays = {_name(k): _array(torch, k, v) for k, v in state.items()}
        layout = find_layout(arrays, cell)
        chars = vocab.fit(layout.vocab_size) if vocab is not None else _file_vocab(path, meta, layout.vocab_size)
    except ValueError as e:
        raise CheckpointError(path, str(e)) from None
    config = Config(layout.cell, layout.layers, layout.hidden, layout.vocab_size, layout.embed_dim)
    check_tensors(path, config, layout.tensors)
    provenance = meta.get("provenance") if isinstance(meta.get("provenance"), dict) else {}
    try:
        bounded_json.check_plain(provenance)
    except bounded_json.JSONLimitError as e:
        raise CheckpointError(path, f"'provenance' is not plain data within limits: {e}") from None
    provenance = {"imported_from": path.name, "modules": layout.modules, **provenance}
    if vocab is not None:
        provenance["vocab_from"] = vocab.source
    return Checkpoint(path, config, chars, {k: layout.tensors[k] for k in config.shapes()}, provenance)


def _torch_load(path: Path) -> tuple[Any, Any]:
    """torch and what the file holds; the file's kind, size and archive checked before torch is imported."""
    try:
        with open_regular(path, MAX_FILE_BYTES, "PyTorch file") as f:
            check_archive(path, f)
            try:
                import torch
            except ImportError:
                raise CheckpointError(path, needs_torch("reading .pt files")) from None
            with warnings.catch_warnings():  # torch warns on stderr about pickle protocols: not one line
                warnings.simplefilter("ignore")
                return torch, torch.load(f, weights_only=True, map_location="cpu")
    except FileProblem as e:
        raise CheckpointError(path, str(e)) from None
    except CheckpointError:
        raise
    except Exception as e:  # pickle errors, refused globals, truncated zips, nesting too deep...
        raise CheckpointError(path, refusal(e)) from None


def check_archive(path: Path, f: BinaryIO) -> None:
    """A zip's members are inflated in memory by torch.load: their sizes, from the directory, first."""
    if f.read(4) != b"PK\x03\x04":
        f.seek(0)
        return
    f.seek(0)
    try:
        inflated = sum(info.file_size for info in zipfile.ZipFile(f).infolist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise CheckpointError(path, f"a damaged zip archive ({safe_text(str(e), 80)})") from None
    if inflated > MAX_FILE_BYTES:
        raise CheckpointError(path, f"its archive members hold {size_text(inflated)} uncompressed, over the "
                                    f"{size_text(MAX_FILE_BYTES)} limit")
    f.seek(0)


def refusal(error: Exception) -> str:
    """torch's multi-line, bolded refusal as one line that keeps its useful part."""
    text = " ".join(_CSI.sub("", str(error)).split())
    found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
    if found:
        name = safe_text(found.group(1), 40)
        return (f"a pickled object (Unsupported global: {name}), which rnn-tui never unpickles; save the weights "
                f"instead: {SAVE_WEIGHTS}")
    detail = re.search(r"WeightsUnpickler error: (.*?)(?: Check the documentation|$)", text)
    what = detail.group(1) if detail else text or type(error).__name__
    return f"cannot read as a safe PyTorch file (weights_only): {safe_text(what, 100)}"


def _unwrap(torch: Any, path: Path, obj: Any) -> tuple[dict[Any, Any], dict[str, Any]]:
    """The state dict, and the file's other entries (vocab, cell, provenance)."""
    if isinstance(obj, dict) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return obj, {}
    if isinstance(obj, dict):
        key = next((k for k in STATE_KEYS if isinstance(obj.get(k), dict)), None)
        if key is not None:
            state = obj[key]
            if not state:
                raise CheckpointError(path, f"{key!r} holds no tensors")
            if not all(isinstance(v, torch.Tensor) for v in state.values()):
                raise CheckpointError(path, f"{key!r} must map names to tensors")
            return state, obj
        keys = ", ".join(safe_text(repr(k), 30) for k in list(obj)[:5])
        raise CheckpointError(path, f"no state dict in it (keys: {keys or 'none'}); save the weights with "
                                    f"{SAVE_WEIGHTS}")
    raise CheckpointError(path, f"expected a state dict, got {safe_text(type(obj).__name__, 40)}; save the weights "
                                f"with {SAVE_WEIGHTS}")


def _name(key: Any) -> str:
    if not isinstance(key, str):
        raise ValueError(f"the state dict has a key {safe_text(repr(key), 40)} that is not a name")
    return key


def _file_vocab(path: Path, meta: dict[str, Any], size: int) -> Vocab:
    """The characters the file holds, checked against the decoder's size."""
    key = next((k for k in (*LIST_KEYS, *MAP_KEYS) if k in meta), None)
    if key is None:
        raise ValueError(f"no vocabulary in the file (its decoder writes {size} characters): give --vocab "
                         "printable, --vocab-from TEXT (the text it was trained on) or --vocab FILE")
    chars = meta[key]
    if isinstance(chars, dict):
        chars = _from_mapping(key, chars, key in MAP_KEYS)
    vocab = _vocab(path, chars, key)
    if len(vocab) != size:
        raise ValueError(f"{key!r} has {len(vocab)} characters but the decoder writes {size}")
    return vocab


def _from_mapping(key: str, mapping: dict[Any, Any], char_to_id: bool) -> list[Any]:
    pairs = [(v, k) for k, v in mapping.items()] if char_to_id else list(mapping.items())
    if len(pairs) > MAX_VOCAB or not all(isinstance(i, int) and not isinstance(i, bool) for i, _ in pairs):
        raise ValueError(f"{key!r} must map characters to ids 0, 1, 2 …")
    pairs.sort(key=lambda p: p[0])
    if [i for i, _ in pairs] != list(range(len(pairs))):
        raise ValueError(f"{key!r} must number its characters 0, 1, 2 … without gaps")
    return [c for _, c in pairs]


def _vocab(path: Path, chars: Any, key: str = "vocab") -> Vocab:
    if isinstance(chars, str):
        chars = list(chars)
    if not isinstance(chars, (list, tuple)) or not chars:
        raise CheckpointError(path, f"{key!r} must be a non-empty list of characters")
    if len(chars) > MAX_VOCAB:
        raise CheckpointError(path, f"{key!r} has {len(chars):,} characters (the limit is {MAX_VOCAB:,})")
    try:
        return Vocab(chars)
    except ValueError as e:
        raise CheckpointError(path, str(e)) from None


def _array(torch: Any, name: str, t: Any) -> np.ndarray:
    """A real, dense float tensor as a float32 array; anything else (sparse, complex, meta, integer) refused."""
    shown = safe_text(repr(name), 60)
    if t.layout != torch.strided:
        raise ValueError(f"tensor {shown} is sparse ({str(t.layout).removeprefix('torch.')}); save it dense")
    if t.device.type == "meta":
        raise ValueError(f"tensor {shown} is on the 'meta' device: it has a shape but no values")
    if t.is_complex() or not t.is_floating_point():
        raise ValueError(f"tensor {shown} has dtype {str(t.dtype).removeprefix('torch.')}, expected real floating "
                         "point")
    with np.errstate(over="ignore"):
        return t.detach().to(torch.float32).cpu().numpy()
