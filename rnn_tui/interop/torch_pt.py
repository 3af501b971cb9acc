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

from ..core.cells import CELLS, Config
from ..core.checkpoint import Checkpoint, check_tensors
from ..core.errors import CheckpointError
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
    gates, hidden = tensors["rnn.weight_hh_l0"].shape
    if gates != CELLS[cell].gates * hidden:
        raise ValueError(f"rnn.weight_hh_l0 has shape {tuple(tensors['rnn.weight_hh_l0'].shape)}, "
                         f"which is not a {cell} (expected {CELLS[cell].gates}·hidden rows)")
    layers = 0
    while f"rnn.weight_hh_l{layers}" in tensors:
        layers += 1
    extra = sorted(k for k in tensors if re.search(r"_reverse$", k))
    if extra:
        raise ValueError("bidirectional networks cannot generate text one character at a time")
    embed = tensors.get("embed.weight")
    embed_dim = int(embed.shape[1]) if embed is not None and embed.ndim == 2 else None
    return Config(cell, layers, int(hidden), vocab_size, embed_dim)


def load_pt(path: str | os.PathLike) -> Checkpoint:
    """Read a `.pt` file safely and convert it; any problem raises CheckpointError."""
    path = Path(path)
    try:
        import torch
    except ImportError:
        raise CheckpointError(path, "reading .pt files needs PyTorch: pip install 'rnn-tui[train]'") from None
    try:
        obj = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as e:  # pickle errors, refused globals, truncated zips...
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
        raise CheckpointError(path, f"cannot read as a safe PyTorch file (weights_only): {first}") from None
    if not isinstance(obj, dict):
        raise CheckpointError(path, f"expected a dict with 'state_dict', 'vocab' and 'cell', got {type(obj).__name__}")
    missing = [k for k in ("state_dict", "vocab", "cell") if k not in obj]
    if missing:
        raise CheckpointError(path, f"missing key(s) {', '.join(map(repr, missing))}; expected "
                                    "{'state_dict': model.state_dict(), 'vocab': [chars], 'cell': 'lstm'}")
    cell = obj["cell"]
    if cell not in CELLS:
        raise CheckpointError(path, f"unknown cell {cell!r} (expected one of {', '.join(CELLS)})")
    chars = obj["vocab"]
    if isinstance(chars, str):
        chars = list(chars)
    if not isinstance(chars, (list, tuple)) or not chars:
        raise CheckpointError(path, "'vocab' must be a non-empty list of characters")
    try:
        vocab = Vocab(chars)
    except ValueError as e:
        raise CheckpointError(path, str(e)) from None
    sd = obj["state_dict"]
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise CheckpointError(path, "'state_dict' must map names to tensors")
    try:
        tensors = {k: v.detach().to(torch.float32).cpu().numpy() for k, v in rename(sd).items()}
        config = infer_config(cell, tensors, len(vocab))
    except ValueError as e:
        raise CheckpointError(path, str(e)) from None
    check_tensors(path, config, tensors)
    unexpected = sorted(set(tensors) - set(config.shapes()))
    if unexpected:
        raise CheckpointError(path, f"unexpected tensor {unexpected[0]!r} for a {cell} {config.layers}×{config.hidden}")
    provenance = obj.get("provenance") if isinstance(obj.get("provenance"), dict) else {}
    provenance = {"imported_from": path.name, **provenance}
    return Checkpoint(path, config, vocab, {k: tensors[k] for k in config.shapes()}, provenance)
