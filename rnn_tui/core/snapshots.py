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
from .cells import Config, Model
from .checkpoint import Checkpoint, check_tensors, document, parse_document
from .errors import CheckpointError
from .vocab import Vocab

FORMAT = "rnn-tui-snapshots"
VERSION = 1
META_KEY = "rnn_tui_snapshots"
MAX_SNAPSHOTS = 64
MAX_FILE_BYTES = 2 << 30  # 64 snapshots of the largest bundled size fit many times over


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
        return Model(self.config, self.items[k].tensors)

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
    """Read and check a snapshot file; any problem raises CheckpointError naming the file."""
    path = Path(path)
    raw = _read(path)
    from safetensors.numpy import load as st_load

    try:
        tensors = st_load(raw)
    except Exception as e:  # safetensors raises its own error types
        raise CheckpointError(path, f"damaged safetensors data ({str(e).splitlines()[0][:120]})") from None
    doc = _document(path, raw)
    config, vocab, _ = parse_document(path, doc.get("model"))
    entries = doc.get("snapshots")
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_SNAPSHOTS:
        raise CheckpointError(path, f"snapshots must be a list of 1 to {MAX_SNAPSHOTS} entries")
    return Snapshots(path, config, vocab, [_snapshot(path, k, e, config, tensors) for k, e in enumerate(entries)])


def _read(path: Path) -> bytes:
    if not path.exists():
        raise CheckpointError(path, "no such file")
    if not path.is_file():
        raise CheckpointError(path, "not a regular file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise CheckpointError(path, f"larger than the {MAX_FILE_BYTES >> 30} GiB limit for a snapshot file")
    try:
        return path.read_bytes()
    except OSError as e:
        raise CheckpointError(path, f"cannot read: {e.strerror or e}") from None


def _document(path: Path, raw: bytes) -> dict[str, Any]:
    n = int.from_bytes(raw[:8], "little")
    try:
        header = json.loads(raw[8 : 8 + n])
        doc = json.loads(header["__metadata__"][META_KEY])
    except (KeyError, TypeError, ValueError, RecursionError):
        raise CheckpointError(path, "a safetensors file, but not an rnn-tui snapshot file") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(path, "a safetensors file, but not an rnn-tui snapshot file")
    if doc.get("version") != VERSION:
        raise CheckpointError(path, f"snapshot format version {str(doc.get('version'))[:20]!r} is not supported "
                                    f"(this rnn-tui reads version {VERSION})")
    return doc


def _snapshot(path: Path, k: int, e: Any, config: Config, tensors: dict[str, np.ndarray]) -> Snapshot:
    if not isinstance(e, dict):
        raise CheckpointError(path, f"snapshot {k}: not a JSON object")
    step, val, chars, secs = e.get("step"), e.get("val_loss"), e.get("val_chars"), e.get("seconds")
    if not (_int(step) and _int(chars) and _number(val) and _number(secs)):
        raise CheckpointError(path, f"snapshot {k}: step, val_loss, val_chars and seconds must be finite numbers")
    prefix = f"s{k:02d}."
    mine = {name: tensors[prefix + name].astype(np.float32) for name in config.shapes() if prefix + name in tensors}
    check_tensors(path, config, mine)
    return Snapshot(int(step), float(val), int(chars), float(secs), mine)


def _int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and 0 <= x < 2**63


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and bool(np.isfinite(x)) and x >= 0


class TrainingTime:
    """A checkpoint and the snapshots of its training, in step order: what the viewer steps through.

    Positions are the snapshots, then the checkpoint itself (where the viewer starts); a snapshot
    of the checkpoint's own step is left out, since it is the same model.
    """

    def __init__(self, checkpoint: Checkpoint, snaps: Snapshots):
        self.checkpoint = checkpoint
        final = checkpoint.provenance.get("steps")
        self.items: list[Snapshot | None] = [s for s in snaps.items if s.step != final] + [None]
        self.config = snaps.config
        self.position = len(self.items) - 1
        self._models: dict[int, Model] = {}

    @classmethod
    def beside(cls, checkpoint: Checkpoint) -> TrainingTime | str:
        """The training time of a checkpoint, or why there is none (one line for the status bar)."""
        path = snapshots_path(checkpoint.path)
        if not path.is_file():
            return f"no training snapshots beside this model ({path.name}; `rnn-tui train` writes them)"
        try:
            snaps = load(path)
        except CheckpointError as e:
            return str(e)
        if snaps.config != checkpoint.config or snaps.vocab.chars != checkpoint.vocab.chars:
            return f"{path.name} belongs to another model (its network or vocabulary differs)"
        return cls(checkpoint, snaps)

    def __len__(self) -> int:
        return len(self.items)

    def move(self, delta: int) -> bool:
        """Go `delta` snapshots later (negative: earlier); False at either end."""
        new = min(max(self.position + delta, 0), len(self.items) - 1)
        moved, self.position = new != self.position, new
        return moved

    def model(self) -> Model:
        if self.position not in self._models:  # a few, small: keep them for stepping back and forth
            item = self.items[self.position]
            self._models[self.position] = self.checkpoint.model() if item is None else Model(self.config, item.tensors)
        return self._models[self.position]

    def label(self) -> str:
        item = self.items[self.position]
        prov = self.checkpoint.provenance
        if item is None:
            val = prov.get("val_loss")
            shown = f", held-out {val:.3f} nats/char" if isinstance(val, (int, float)) else ""
            return f"trained model (step {prov.get('steps', '?')}{shown})"
        return (f"training step {item.step:,} of {prov.get('steps', '?')}, held-out {item.val_loss:.3f} nats/char "
                f"({self.position + 1}/{len(self.items)})")
