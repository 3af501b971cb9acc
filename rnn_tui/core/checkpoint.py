"""The checkpoint format: one .safetensors file, weights plus a JSON document.

safetensors holds only raw tensors and a JSON header, so loading one can never
run code (unlike a pickle). The document sits in the header's metadata under
the key "rnn_tui" and describes the network and where it came from.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_write_bytes
from .cells import CELLS, Config, Model
from .errors import CheckpointError
from .vocab import Vocab

FORMAT = "rnn-tui-checkpoint"
VERSION = 1
META_KEY = "rnn_tui"
# Inside an installed wheel the models sit in the package; in a source checkout, at the top.
_PACKAGE = Path(__file__).resolve().parent.parent
BUNDLED_DIR = next((d for d in (_PACKAGE / "checkpoints", _PACKAGE.parent / "checkpoints") if d.is_dir()),
                   _PACKAGE / "checkpoints")
DEFAULT_MODEL = "shakespeare-lstm"


@dataclass
class Checkpoint:
    path: Path
    config: Config
    vocab: Vocab
    tensors: dict[str, np.ndarray]
    provenance: dict[str, Any] = field(default_factory=dict)
    # what the finder found at build time (known cells, a held-out passage); read by analysis.known_cells
    analysis: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name.removesuffix(".safetensors")

    def model(self) -> Model:
        return Model(self.config, self.tensors)



def bundled_models() -> dict[str, Path]:
    return {p.name.removesuffix(".safetensors"): p for p in sorted(BUNDLED_DIR.glob("*.safetensors"))}


def resolve(name_or_path: str | os.PathLike | None) -> Path:
    """A bundled model's name, or a path; None means the default model."""
    if name_or_path is None:
        name_or_path = DEFAULT_MODEL
    text = str(name_or_path)
    bundled = bundled_models()
    if text in bundled and not Path(text).exists():
        return bundled[text]
    return Path(text)


def document(config: Config, vocab: Vocab, provenance: dict[str, Any] | None = None,
             analysis: dict[str, Any] | None = None) -> dict[str, Any]:
    from .. import __version__

    prov = {"software": f"rnn-tui {__version__}"}
    prov.update(provenance or {})
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "cell": config.cell,
        "layers": config.layers,
        "hidden": config.hidden,
        "input": "embedding" if config.embed_dim else "one-hot",
        "embed_dim": config.embed_dim,
        "vocab": list(vocab.chars),
        "provenance": prov,
    }
    if analysis:
        doc["analysis"] = analysis
    return doc


def save(path: str | os.PathLike, config: Config, vocab: Vocab, tensors: dict[str, np.ndarray],
         provenance: dict[str, Any] | None = None, analysis: dict[str, Any] | None = None) -> Path:
    """Write a checkpoint atomically: a temporary file beside it, then a rename."""
    from safetensors.numpy import save as st_save

    path = Path(path)
    expected = config.shapes()
    if set(tensors) != set(expected):
        raise ValueError(f"tensors {sorted(set(tensors) ^ set(expected))} do not match the configuration")
    arrays = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
    data = st_save(arrays, metadata={META_KEY: json.dumps(document(config, vocab, provenance, analysis),
                                                             ensure_ascii=True)})
    atomic_write_bytes(path, data)
    return path


def load(path: str | os.PathLike) -> Checkpoint:
    """Read and validate a checkpoint; any problem raises CheckpointError."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(path, "no such file")
    if path.is_dir():
        raise CheckpointError(path, "is a directory, not a checkpoint file")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise CheckpointError(path, f"cannot read: {e.strerror or e}") from None
    metadata, tensors = _parse(path, raw)
    return from_parts(path, metadata, tensors)


def _parse(path: Path, raw: bytes) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    # Check the framing ourselves first, so a random or truncated file gets a clear message
    if len(raw) < 8:
        raise CheckpointError(path, "not a safetensors file (too short)")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8 or n > 100_000_000:
        raise CheckpointError(path, "not a safetensors file, or truncated (bad header length)")
    try:
        header = json.loads(raw[8 : 8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(path, "not a safetensors file (header is not JSON)") from None
    if not isinstance(header, dict):
        raise CheckpointError(path, "not a safetensors file (header is not a JSON object)")
    try:
        needed = max((int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"), default=0)
    except (TypeError, KeyError, ValueError, IndexError):
        raise CheckpointError(path, "not a safetensors file (malformed header)") from None
    if needed > len(raw) - 8 - n:
        raise CheckpointError(path, f"truncated: {len(raw):,} bytes, but its header describes {8 + n + needed:,}")
    from safetensors.numpy import load as st_load

    try:
        tensors = st_load(raw)
    except Exception as e:  # safetensors raises its own SafetensorError types
        raise CheckpointError(path, f"damaged safetensors data ({str(e).splitlines()[0][:120]})") from None
    metadata = header.get("__metadata__") or {}
    return metadata, tensors


def from_parts(path: Path, metadata: dict[str, str], tensors: dict[str, np.ndarray]) -> Checkpoint:
    if META_KEY not in metadata:
        raise CheckpointError(path, "a safetensors file, but not an rnn-tui checkpoint (no 'rnn_tui' metadata)")
    try:
        doc = json.loads(metadata[META_KEY])
    except json.JSONDecodeError:
        raise CheckpointError(path, "the rnn_tui metadata is not valid JSON") from None
    config, vocab, provenance = parse_document(path, doc)
    check_tensors(path, config, tensors)
    analysis = doc.get("analysis")  # validated where it is used (analysis.known_cells): a bad one is ignored
    return Checkpoint(path, config, vocab, {k: tensors[k] for k in config.shapes()}, provenance,
                      analysis if isinstance(analysis, dict) else {})


def parse_document(path: Path, doc: Any) -> tuple[Config, Vocab, dict[str, Any]]:
    def bad(problem: str) -> CheckpointError:
        return CheckpointError(path, problem)

    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise bad("the metadata is not an rnn-tui checkpoint document")
    version = doc.get("version")
    if version != VERSION:
        raise bad(f"format version {version!r} is not supported (this rnn-tui reads version {VERSION}); "
                  "upgrade rnn-tui or re-export the model")
    cell = doc.get("cell")
    if cell not in CELLS:
        raise bad(f"unknown cell {cell!r} (expected one of {', '.join(CELLS)})")
    layers, hidden = doc.get("layers"), doc.get("hidden")
    if not _positive_int(layers) or layers > 8:
        raise bad(f"layers must be an integer from 1 to 8, got {layers!r}")
    if not _positive_int(hidden) or hidden > 8192:
        raise bad(f"hidden must be an integer from 1 to 8192, got {hidden!r}")
    enc = doc.get("input")
    embed_dim = doc.get("embed_dim")
    if enc == "one-hot":
        embed_dim = None
    elif enc == "embedding":
        if not _positive_int(embed_dim):
            raise bad(f"embedding input needs a positive embed_dim, got {embed_dim!r}")
    else:
        raise bad(f"input encoding must be 'one-hot' or 'embedding', got {enc!r}")
    chars = doc.get("vocab")
    if not isinstance(chars, list) or not chars:
        raise bad("vocab must be a non-empty list of characters")
    try:
        vocab = Vocab(chars)
    except ValueError as e:
        raise bad(str(e)) from None
    provenance = doc.get("provenance") or {}
    if not isinstance(provenance, dict):
        raise bad("provenance must be a JSON object")
    return Config(cell, layers, hidden, len(vocab), embed_dim), vocab, provenance


def check_tensors(path: Path, config: Config, tensors: dict[str, np.ndarray]) -> None:
    expected = config.shapes()
    missing = [k for k in expected if k not in tensors]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise CheckpointError(path, f"missing tensor {missing[0]!r}{more}")
    for name, shape in expected.items():
        t = tensors[name]
        if tuple(t.shape) != shape:
            what = f"{config.cell} {config.layers}×{config.hidden} with {config.vocab_size} characters"
            raise CheckpointError(path, f"tensor {name!r} has shape {tuple(t.shape)}, expected {shape} for a {what}")
        if not np.issubdtype(t.dtype, np.floating):
            raise CheckpointError(path, f"tensor {name!r} has dtype {t.dtype}, expected floating point")
        if not np.isfinite(t).all():
            raise CheckpointError(path, f"tensor {name!r} holds NaN or infinite values")


def _positive_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 1
