"""Training snapshots: the model at chosen steps of its training, in one file beside the checkpoint.

Karpathy's article shows "the evolution of samples while training"; a
snapshot file lets the viewer do the same with any model trained here: the
same prime and seed, run through the weights of step 0, 40, 120... so the text
goes from noise to words to verse. `m.safetensors` keeps its snapshots in
`m.snapshots.safetensors`.

The format is safetensors (no pickle: loading never runs code). Tensors are
named `s03.rnn.weight_ih_l0` (snapshot 3, then the checkpoint's own name), in
float16 to halve the file (the viewer computes in float32; the loss moves by
about 1e-4 nats/char). The header's metadata holds, under "rnn_tui_snapshots",
a JSON document: the checkpoint document of the network (cell, sizes,
vocabulary, provenance) and, per snapshot, its step, held-out loss, how many
held-out characters scored it, and the training seconds.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_write_bytes
from .bounded_json import json_int
from .cells import Config, Model
from .checkpoint import check_tensors, described, document, open_checked, parse_document
from .errors import CheckpointError
from .safe import safe_text
from .vocab import Vocab

FORMAT = "rnn-tui-snapshots"
VERSION = 1
META_KEY = "rnn_tui_snapshots"
MAX_SNAPSHOTS = 64
MAX_FILE_BYTES = 1 << 30  # as for a checkpoint: 64 float16 snapshots of an LSTM 2×512 take 400 MB


def snapshots_path(checkpoint: str | os.PathLike) -> Path:
    """`m.safetensors` → `m.snapshots.safetensors`, beside the checkpoint."""
    p = Path(checkpoint)
    return p.with_name(p.name.removesuffix(".safetensors") + ".snapshots.safetensors")


@dataclass
class Snapshot:
    step: int
    val_loss: float  # nats/char on `val_chars` held-out characters
    val_chars: int
    seconds: float  # training time when it was taken
    tensors: dict[str, np.ndarray] = field(repr=False)


@dataclass
class Snapshots:
    path: Path
    config: Config
    vocab: Vocab
    items: list[Snapshot]

    def model(self, k: int) -> Model:
        return self.config.build(self.items[k].tensors)

    def __len__(self) -> int:
        return len(self.items)


def save(path: str | os.PathLike, config: Config, vocab: Vocab, items: list[Snapshot],
         provenance: dict[str, Any] | None = None) -> Path:
    """Write every snapshot in one file, atomically (the whole file is rewritten as snapshots are added)."""
    from safetensors.numpy import save as st_save

    path = Path(path)
    arrays = {f"s{k:02d}.{name}": np.ascontiguousarray(t, dtype=np.float16)
              for k, s in enumerate(items) for name, t in s.tensors.items()}
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "model": document(config, vocab, provenance),
        "snapshots": [{"step": s.step, "val_loss": round(s.val_loss, 5), "val_chars": s.val_chars,
                       "seconds": round(s.seconds, 2)} for s in items],
    }
    atomic_write_bytes(path, st_save(arrays, metadata={META_KEY: json.dumps(doc, ensure_ascii=True)}))
    return path


def load(path: str | os.PathLike) -> Snapshots:
    """Read and check a snapshot file; any problem raises CheckpointError naming the file.

    The checkpoint's own reader does the work: a regular file under a size limit,
    a bounded header, every tensor's dtype, shape and byte range checked before a
    byte of weights is read, then finite values.
    """
    path = Path(path)
    with open_checked(path, "snapshot file", MAX_FILE_BYTES) as f:
        doc = _checked_document(path, f.document(META_KEY, "an rnn-tui snapshot file"))
        config, vocab, _ = parse_document(path, doc.get("model"))
        entries = doc.get("snapshots")
        if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_SNAPSHOTS:
            raise CheckpointError(path, f"snapshots must be a list of 1 to {MAX_SNAPSHOTS} entries")
        # each snapshot's tensors under its own prefix: s00.rnn.weight_ih_l0, s01...
        stacked = {f"s{k:02d}.{name}": shape for k in range(len(entries)) for name, shape in config.shapes().items()}
        tensors = f.tensors(stacked, f"{len(entries)} snapshots of a {described(config)}")
    return Snapshots(path, config, vocab, [_snapshot(path, k, e, config, tensors) for k, e in enumerate(entries)])


def _checked_document(path: Path, doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(path, "a safetensors file, but not an rnn-tui snapshot file")
    if doc.get("version") != VERSION:
        raise CheckpointError(path, f"snapshot format version {safe_text(doc.get('version'), 20)!r} is not "
                                    f"supported (this rnn-tui reads version {VERSION})")
    return doc


def _snapshot(path: Path, k: int, e: Any, config: Config, tensors: dict[str, np.ndarray]) -> Snapshot:
    if not isinstance(e, dict):
        raise CheckpointError(path, f"snapshot {k}: not a JSON object")
    step, val, chars, secs = e.get("step"), e.get("val_loss"), e.get("val_chars"), e.get("seconds")
    if not (json_int(step) and json_int(chars) and _number(val) and _number(secs)):
        raise CheckpointError(path, f"snapshot {k}: step, val_loss, val_chars and seconds must be finite numbers")
    prefix = f"s{k:02d}."
    mine = {name: tensors[prefix + name] for name in config.shapes()}
    check_tensors(path, config, mine)
    return Snapshot(int(step), float(val), int(chars), float(secs), mine)


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and bool(np.isfinite(x)) and x >= 0

