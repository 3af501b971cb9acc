"""Opening a model from any accepted format: our .safetensors, a PyTorch .pt (torch only when asked), or a
min-char-rnn .npz."""

from __future__ import annotations

import os

from ..core.checkpoint import Checkpoint, Progress, load, resolve


def load_model(name_or_path: str | os.PathLike | None, progress: Progress | None = None) -> Checkpoint:
    """A bundled model's name (None: the default) or a file in any accepted format; `progress(done, total)`
    as a .safetensors file's weights are read."""
    path = resolve(name_or_path)
    if path.suffix == ".pt":
        from .torch_pt import load_pt

        return load_pt(path)
    if path.suffix == ".npz":
        from .minchar import load_npz

        return load_npz(path)
    return load(path, progress)
