"""A model's unit statistics kept between starts, so that the viewer's first frame does not redo them.

`unit_stats.measure` is a batched pass over the built-in passage: about a tenth of
the viewer's start on a 2×256 LSTM, and the same result every time for the same
file. It is kept in the user's cache folder under a key made of what it depends on:
the checkpoint file's resolved path, size and modification time (the rule Python
uses for its .pyc files), the network's shape and the measuring parameters. A
cached file that cannot be read or does not fit the model is measured again; a
cache folder that cannot be written costs only the saving.
"""

from __future__ import annotations

import os
import zlib

import numpy as np

from ..core.cells import Model
from ..core.checkpoint import Checkpoint
from . import unit_stats
from .unit_stats import UnitStats

VERSION = 2  # bump when what `measure` computes changes
KEEP = 32  # cached models at most: the oldest go (tests and trainings make many checkpoints)


def measure_cached(checkpoint: Checkpoint, model: Model) -> UnitStats:
    """`unit_stats.measure` for a checkpoint's model, from the cache when it was measured before."""
    path = _cache_path(checkpoint)
    table = _read(path, model) if path is not None else None
    if table is None:
        table = _table(unit_stats.measure(model, checkpoint.vocab))
        if path is not None:
            _write(path, table)
    # the same float32 figures whether measured now or read: a start never depends on the cache's state
    scale, shared, mean, variance, saturation = table
    return UnitStats(scale=scale, shared=np.ascontiguousarray(shared[:, :, 0]), mean=mean, variance=variance,
                     saturation=saturation)


def _cache_path(checkpoint: Checkpoint):
    from ..core.user_dirs import cache_dir

    try:
        st = os.stat(checkpoint.path)
        where = os.path.realpath(checkpoint.path)
    except (OSError, ValueError):  # no file behind it (a model built in memory): nothing to key on
        return None
    u = unit_stats
    key = "|".join(map(str, (VERSION, where, st.st_size, st.st_mtime_ns, checkpoint.config.label,
                             u.PASSAGE, u.OWN_TEXT, u.STREAMS, u.WARMUP, u.ROBUST, u.MIN_PASSAGE, u.WORK,
                             u.MIN_STEPS)))
    raw = key.encode()  # two 32-bit checksums: enough for a few dozen files, and no hashlib (2 ms) to load
    return cache_dir() / "unit-stats" / f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}.npy"


def _shape(model: Model) -> tuple[int, int, int]:
    c = model.config
    return c.layers, len(c.quantities), c.hidden


def _table(stats: UnitStats) -> np.ndarray:
    """The five figures as one float32 array (layers, quantities, hidden) each; `shared` repeated per unit."""
    shared = np.broadcast_to(stats.shared[:, :, None], stats.scale.shape)
    return np.stack([stats.scale, shared, stats.mean, stats.variance, stats.saturation]).astype(np.float32)


def _read(path, model: Model) -> np.ndarray | None:
    try:
        table = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if table.shape != (5, *_shape(model)) or table.dtype != np.float32 or not np.isfinite(table).all():
        return None
    return table


def _write(path, table: np.ndarray) -> None:
    import io

    from ..core.atomic import atomic_write_bytes

    buf = io.BytesIO()
    np.save(buf, table, allow_pickle=False)
    try:
        atomic_write_bytes(path, buf.getvalue(), mode=0o600)
        kept = sorted(path.parent.glob("*.npy"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in kept[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:  # a read-only or full home: measured again next time, nothing lost
        pass
