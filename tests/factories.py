"""Small random models for tests: numpy weights in torch's layout."""

from __future__ import annotations

import string

import numpy as np

from rnn_tui.core.cells import Config
from rnn_tui.core.checkpoint import save
from rnn_tui.core.vocab import Vocab

ASCII_VOCAB = Vocab(sorted(set(string.printable) - set("\r\x0b\x0c")))


def random_tensors(config: Config, seed: int = 0, scale: float | None = None) -> dict[str, np.ndarray]:
    """Weights drawn like torch's default initialisation: U(-1/sqrt(H), 1/sqrt(H))."""
    rng = np.random.default_rng(seed)
    k = scale if scale is not None else 1 / np.sqrt(config.hidden)
    out = {}
    for name, shape in config.shapes().items():
        if name == "embed.weight":
            out[name] = rng.standard_normal(shape).astype(np.float32)
        else:
            out[name] = rng.uniform(-k, k, shape).astype(np.float32)
    return out


def normal_tensors(config: Config, seed: int = 0, scale: float = 0.3) -> dict[str, np.ndarray]:
    """Weights ~N(0, scale): livelier than torch's initialisation, so the app's maps show contrast."""
    rng = np.random.default_rng(seed)
    return {name: (rng.standard_normal(shape) * scale).astype(np.float32) for name, shape in config.shapes().items()}


def write_checkpoint(path, cell="lstm", layers=2, hidden=16, vocab: Vocab = ASCII_VOCAB, embed_dim=None,
                     seed=0, scale=None):
    config = Config(cell, layers, hidden, len(vocab), embed_dim)
    return save(path, config, vocab, random_tensors(config, seed, scale), {"corpus": "random weights", "seed": seed})


def write_snapshots(checkpoint_path, steps=(0, 50, 200), scale: float = 0.3):
    """A training-snapshot file beside a checkpoint: random weights of its shape, one seed a step."""
    from rnn_tui.core import checkpoint, snapshots

    ckpt = checkpoint.load(checkpoint_path)
    items = [snapshots.Snapshot(step, 4.5 - step / 100, 1000, step / 10.0,
                                normal_tensors(ckpt.config, seed=100 + step, scale=scale))
             for step in steps]
    return snapshots.save(snapshots.snapshots_path(checkpoint_path), ckpt.config, ckpt.vocab, items)


def tensor_table(tensors: dict[str, np.ndarray], dtype: str = "F32") -> tuple[dict, bytes]:
    """A safetensors header's tensor entries (float32, or F16/F64, in order) and the data bytes they describe."""
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        b = np.ascontiguousarray(t, {"F32": "<f4", "F16": "<f2", "F64": "<f8"}[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    return header, b"".join(chunks)
