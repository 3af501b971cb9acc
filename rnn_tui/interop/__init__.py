"""Opening a model from any accepted format: our .safetensors, a PyTorch .pt/.pth (torch only when asked), or a
min-char-rnn .npz."""

from __future__ import annotations

import os

from ..core.checkpoint import Checkpoint, Progress, inspect, load, resolve
from ..core.errors import CheckpointError
from .given_vocab import GivenVocab

PYTORCH_SUFFIXES = (".pt", ".pth")
MODEL_SUFFIXES = (".safetensors", ".npz", *PYTORCH_SUFFIXES)


def load_model(name_or_path: str | os.PathLike | None, *, vocab: GivenVocab | None = None,
               progress: Progress | None = None, weights: bool = True) -> Checkpoint:
    """A bundled model's name (None: the default) or a file in any accepted format; `progress(done, total)`
    as a .safetensors file's weights are read. `weights=False`, for describing a model: a .safetensors file
    is checked as fully but its weights are not kept (core.checkpoint.inspect; `tensors` is empty).

    `vocab` names the characters of a file that has none (a bare PyTorch state dict, a min-char-rnn .npz without
    `chars`); where the file has its own, the given one replaces it if it fits."""
    path = resolve(name_or_path)
    if path.suffix in PYTORCH_SUFFIXES:
        from .torch_pt import load_pt

        return load_pt(path, vocab)
    if path.suffix == ".npz":
        from .minchar import load_npz

        return load_npz(path, vocab)
    ckpt = (load if weights else inspect)(path, progress)
    if vocab is not None:
        try:
            ckpt.vocab = vocab.fit(len(ckpt.vocab))
        except ValueError as e:
            raise CheckpointError(path, str(e)) from None
    return ckpt
