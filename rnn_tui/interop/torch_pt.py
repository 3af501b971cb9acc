"""Open a model trained in a notebook with plain PyTorch: a `.pt` file.

Expected content, saved with `torch.save`:

    {"state_dict": model.state_dict(), "vocab": [chars...], "cell": "lstm"}

The network's layers, hidden size and input (one-hot or embedding) are read from
the tensors' shapes. Common attribute names are accepted: `lstm.`/`gru.`/`rnn.`
for the recurrent module, `fc.`/`decoder.`/`linear.`/`head.` for the output layer,
`embed.`/`embedding.`/`encoder.` for an embedding.

The file is read with `torch.load(..., weights_only=True)` only: a pickle may run
code when loaded, and weights_only refuses anything but tensors and plain data.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..core import bounded_json
from ..core.cells import CELLS, Config
from ..core.checkpoint import MAX_FILE_BYTES, MAX_HIDDEN, MAX_LAYERS, MAX_VOCAB, Checkpoint, check_tensors
from ..core.errors import CheckpointError
from ..core.files import FileProblem, open_regular
from ..core.safe import safe_text
from ..core.vocab import Vocab

_PREFIXES = {
    "rnn": ("rnn", "lstm", "gru", "cell", "recurrent"),
    "head": ("head", "fc", "decoder", "linear", "out", "output", "proj"),
    "embed": ("embed", "embedding", "embeddings", "encoder", "emb"),
}
_RENAME = {old: new for new, olds in _PREFIXES.items() for old in olds}


def rename(state_dict: dict[str, Any]) -> dict[str, Any]:
    """Map common module names to the checkpoint's (`lstm.weight_ih_l0` → `rnn.weight_ih_l0`, `fc.` → `head.`)."""
    out: dict[str, Any] = {}
    for key, value in state_dict.items():
        if not isinstance(key, str):
            raise ValueError(f"'state_dict' has a key {safe_text(repr(key), 40)} that is not a name")
        key = key.removeprefix("module.")  # saved from DataParallel
        prefix, dot, rest = key.partition(".")
        new = f"{_RENAME.get(prefix, prefix)}{dot}{rest}"
        if new in out:
            raise ValueError(f"two tensors map to {new!r}")
        out[new] = value
    return out


def infer_config(cell: str, tensors: dict[str, np.ndarray], vocab_size: int) -> Config:
    """Layers, hidden size and input encoding from the tensors' shapes."""
    if "rnn.weight_hh_l0" not in tensors:
        raise ValueError("no recurrent weights (expected a key like 'rnn.weight_hh_l0' or 'lstm.weight_hh_l0')")
    shape = tuple(tensors["rnn.weight_hh_l0"].shape)
    if len(shape) != 2 or shape[0] != CELLS[cell].gates * shape[1] or not 1 <= shape[1] <= MAX_HIDDEN:
        raise ValueError(f"rnn.weight_hh_l0 has shape {shape}, which is not a {cell}'s (expected "
                         f"{CELLS[cell].gates}·hidden × hidden, hidden at most {MAX_HIDDEN})")
    hidden = shape[1]
    layers = 0
    while f"rnn.weight_hh_l{layers}" in tensors:
        layers += 1
    if layers > MAX_LAYERS:
        raise ValueError(f"{layers} layers (the limit is {MAX_LAYERS})")
    extra = sorted(k for k in tensors if re.search(r"_reverse$", k))
    if extra:
        raise ValueError("bidirectional networks cannot generate text one character at a time")
    embed = tensors.get("embed.weight")
    embed_dim = int(embed.shape[1]) if embed is not None and embed.ndim == 2 and embed.shape[1] else None
    return Config(cell, layers, int(hidden), vocab_size, embed_dim)


def load_pt(path: str | os.PathLike) -> Checkpoint:
    """Read a `.pt` file safely and convert it; any problem raises CheckpointError."""
    path = Path(path)
    try:
        import torch
    except ImportError:
        raise CheckpointError(path, "reading .pt files needs PyTorch: pip install 'rnn-tui[train]'") from None
    try:
        with open_regular(path, MAX_FILE_BYTES, "PyTorch file") as f:
            obj = torch.load(f, weights_only=True, map_location="cpu")
    except FileProblem as e:
        raise CheckpointError(path, str(e)) from None
    except Exception as e:  # pickle errors, refused globals, truncated zips, nesting too deep...
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise CheckpointError(path, f"cannot read as a safe PyTorch file (weights_only): {first}") from None
    if not isinstance(obj, dict):
        raise CheckpointError(path, f"expected a dict with 'state_dict', 'vocab' and 'cell', got {type(obj).__name__}")
    missing = [k for k in ("state_dict", "vocab", "cell") if k not in obj]
    if missing:
        raise CheckpointError(path, f"missing key(s) {', '.join(map(repr, missing))}; expected "
                                    "{'state_dict': model.state_dict(), 'vocab': [chars], 'cell': 'lstm'}")
    cell = obj["cell"]
    if not isinstance(cell, str) or cell not in CELLS:
        raise CheckpointError(path, f"unknown cell {safe_text(repr(cell), 40)} (expected one of {', '.join(CELLS)})")
    vocab = _vocab(path, obj["vocab"])
    try:
        tensors = {k: _array(torch, k, v) for k, v in rename(_state_dict(torch, obj["state_dict"])).items()}
        config = infer_config(cell, tensors, len(vocab))
    except ValueError as e:
        raise CheckpointError(path, str(e)) from None
    check_tensors(path, config, tensors)
    unexpected = sorted(set(tensors) - set(config.shapes()))
    if unexpected:
        raise CheckpointError(path, f"unexpected tensor {unexpected[0]!r} for a {cell} {config.layers}×{config.hidden}")
    provenance = obj.get("provenance") if isinstance(obj.get("provenance"), dict) else {}
    try:
        bounded_json.check_plain(provenance)
    except bounded_json.JSONLimitError as e:
        raise CheckpointError(path, f"'provenance' is not plain data within limits: {e}") from None
    provenance = {"imported_from": path.name, **provenance}
    return Checkpoint(path, config, vocab, {k: tensors[k] for k in config.shapes()}, provenance)


def _vocab(path: Path, chars: Any) -> Vocab:
    if isinstance(chars, str):
        chars = list(chars)
    if not isinstance(chars, (list, tuple)) or not chars:
        raise CheckpointError(path, "'vocab' must be a non-empty list of characters")
    if len(chars) > MAX_VOCAB:
        raise CheckpointError(path, f"'vocab' has {len(chars):,} characters (the limit is {MAX_VOCAB:,})")
    try:
        return Vocab(chars)
    except ValueError as e:
        raise CheckpointError(path, str(e)) from None


def _state_dict(torch: Any, sd: Any) -> dict[Any, Any]:
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise ValueError("'state_dict' must map names to tensors")
    return sd


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
