"""The checkpoint format: one .safetensors file, weights plus a JSON document.

safetensors holds only raw tensors and a JSON header, so loading one can never
run code (unlike a pickle). The document sits in the header's metadata under
the key "rnn_tui" and describes the network and where it came from.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from . import bounded_json
from .atomic import atomic_write_bytes
from .bounded_json import json_int
from .cells import CELLS, Config, Model
from .errors import CheckpointError
from .files import FileProblem, open_regular, read_exactly, size_text
from .safe import safe_text
from .transformer import TransformerConfig
from .vocab import Vocab

Progress = Callable[[int, int], None]  # (bytes read, bytes in all)

FORMAT = "rnn-tui-checkpoint"
VERSION = 1
META_KEY = "rnn_tui"
# Inside an installed wheel the models sit in the package; in a source checkout, at the top.
_PACKAGE = Path(__file__).resolve().parent.parent
BUNDLED_DIR = next((d for d in (_PACKAGE / "checkpoints", _PACKAGE.parent / "checkpoints") if d.is_dir()),
                   _PACKAGE / "checkpoints")
DEFAULT_MODEL = "shakespeare-lstm"

# Limits on what a file may ask of the loader, all checked before the bytes they govern are read.
MAX_FILE_BYTES = 1 << 30  # 1 GiB; an LSTM 3×2048 is 400 MB
MAX_HEADER_BYTES = 16 << 20  # the safetensors header: the tensor table and the document
MAX_DOCUMENT_BYTES = 4 << 20  # the rnn_tui document (JSON limits in `bounded_json`: depth, digits, strings)
MAX_VOCAB = 65_536  # characters
MAX_LAYERS, MAX_HIDDEN = 8, 8192
MAX_CONTEXT = 4096  # a transformer's window, characters
# tensors in one file: the largest recurrent model has 35 (8 LSTM layers of 4, an embedding, a head of 2), a
# transformer of 8 blocks 102; the rest of the room is for extra arrays a converter kept, which are ignored
MAX_TENSORS = 256
_F32, _BF16 = np.dtype("<f4"), np.dtype("<u2")
_CHUNK = 16 << 20  # bytes read (and converted) at a time: progress, and no second copy of a big tensor
_DTYPES = {"F32": _F32, "F16": np.dtype("<f2"), "F64": np.dtype("<f8"), "BF16": _BF16}
_F32_MAX = float(np.finfo(np.float32).max)
# Below this magnitude no weight can make a probe step overflow (see `inspect`), so describing a model
# needs no copy of its weights in memory. The bundled models' largest weight is 8.1.
NO_OVERFLOW = 16.0


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
        return self.config.build(self.tensors)



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
    if isinstance(config, TransformerConfig):
        doc.update(heads=config.heads, context=config.context, mlp=config.hidden)
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
    doc = document(config, vocab, provenance, analysis)
    data = st_save(arrays, metadata={META_KEY: json.dumps(doc, ensure_ascii=True)})
    atomic_write_bytes(path, data)
    return path


def load(path: str | os.PathLike, progress: Progress | None = None) -> Checkpoint:
    """Read and validate a checkpoint; any problem raises CheckpointError.

    Everything that can be checked before the weights are read is: the file's
    kind and size, the header's length and JSON, the document, and every
    tensor's dtype, shape and byte range. Only then are the bytes read, in
    chunks (`progress(bytes read, bytes in all)` after each), the matrices the
    model multiplies by laid out as it wants them (Config.transposed_weights), so
    that the weights are held once: about the file's size for float32.
    """
    path = Path(path)
    with open_checked(path, "checkpoint file", MAX_FILE_BYTES) as f:
        doc = f.document(META_KEY, "an rnn-tui checkpoint")
        config, vocab, provenance = parse_document(path, doc)
        tensors = f.tensors(config.shapes(), described(config), progress, config.transposed_weights())
    check_tensors(path, config, tensors)
    analysis = doc.get("analysis")  # validated where it is used (analysis.known_cells): a bad one is ignored
    return Checkpoint(path, config, vocab, tensors, provenance, analysis if isinstance(analysis, dict) else {})


def inspect(path: str | os.PathLike, progress: Progress | None = None) -> Checkpoint:
    """What `load` checks, without keeping the weights: a Checkpoint whose `tensors` is empty, for
    describing a model (`rnn-tui info`). The weights are read a chunk at a time, each checked finite and
    its magnitude noted, then dropped, so a 939 MiB file costs one chunk of memory, not 1.9 GB.

    The probe step (see `probe`) needs the whole model; it runs (through `load`) only when a weight
    exceeds NO_OVERFLOW. Below it nothing a probe computes comes near float32's 3.4e38: with every
    |w| <= 16, at most 8 layers and widths of at most 8192, a recurrent cell's pre-activations stay under
    1e7 (its states are squashed, an LSTM's c grows by at most 1 a step), and a transformer's attention
    scores under 1e21, its residual stream under 1e15 and the sum of squares a layer norm takes under 1e35.
    """
    path = Path(path)
    with open_checked(path, "checkpoint file", MAX_FILE_BYTES) as f:
        doc = f.document(META_KEY, "an rnn-tui checkpoint")
        config, vocab, provenance = parse_document(path, doc)
        largest = f.largest_magnitude(config.shapes(), described(config), progress)
    if largest > NO_OVERFLOW:
        return load(path, progress)
    analysis = doc.get("analysis")
    return Checkpoint(path, config, vocab, {}, provenance, analysis if isinstance(analysis, dict) else {})


@contextmanager
def open_checked(path: Path, what: str, max_bytes: int) -> Iterator[CheckedFile]:
    """One of our safetensors files (a checkpoint, a snapshot file), opened for reading with every check
    before the weights: a regular file of at most `max_bytes`, its header read and bounded."""
    try:
        with open_regular(path, max_bytes, what) as f:
            yield CheckedFile(path, f)
    except FileProblem as e:
        raise CheckpointError(path, str(e)) from None


class CheckedFile:
    """An open safetensors file whose header has been read: its document, then its tensors."""

    def __init__(self, path: Path, f: BinaryIO):
        self.path, self.file = path, f
        self.size = os.fstat(f.fileno()).st_size
        self.header, self.metadata, self.data_start = _read_header(path, f, self.size)

    def document(self, key: str, kind: str) -> Any:
        """The JSON document stored under `key` in the header's metadata; `kind` names the file in messages."""
        if key not in self.metadata:
            raise CheckpointError(self.path, f"a safetensors file, but not {kind} (no {key!r} metadata)")
        raw = self.metadata[key].encode("utf-8", "surrogatepass")
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise CheckpointError(self.path, f"the {key} metadata is {size_text(len(raw))}, over the "
                                             f"{size_text(MAX_DOCUMENT_BYTES)} limit")
        try:
            return bounded_json.loads(raw)
        except bounded_json.JSONLimitError as e:
            raise CheckpointError(self.path, f"the {key} metadata is not usable JSON: {e}") from None

    def tensors(self, shapes: dict[str, tuple[int, ...]], network: str, progress: Progress | None = None,
                transposed: Iterable[str] = ()) -> dict[str, np.ndarray]:
        """Every tensor of `shapes`, as float32, once the whole table is checked; `network` describes
        what the shapes belong to, for messages ("lstm 2×256 with 84 characters"). Read in chunks,
        `progress(bytes read, bytes in all)` after each; the matrices named in `transposed` laid out
        transposed (see _read_tensor)."""
        table = _tensor_table(self.path, self.header, shapes, network, self.data_start, self.size)
        advanced = _counted(progress, table)
        flip = set(transposed)
        return {name: _read_tensor(self.file, *entry, advanced, name in flip) for name, entry in table.items()}

    def largest_magnitude(self, shapes: dict[str, tuple[int, ...]], network: str,
                          progress: Progress | None = None) -> float:
        """The largest |weight| among the tensors of `shapes`, each read a chunk at a time and kept
        nowhere (`progress` as for `tensors`); a CheckpointError names the first tensor holding a NaN or
        an infinite value (a float64 past float32's range too)."""
        table = _tensor_table(self.path, self.header, shapes, network, self.data_start, self.size)
        advanced = _counted(progress, table)
        largest = 0.0
        for name, entry in table.items():
            largest = max(largest, _largest_magnitude(self.file, *entry, advanced))
            if not math.isfinite(largest):
                raise CheckpointError(self.path, f"tensor {name!r} holds NaN or infinite values")
        return largest


def _counted(progress: Progress | None,
             table: dict[str, tuple[np.dtype, tuple[int, ...], int]]) -> Callable[[int], None]:
    """A callback for each chunk read (its bytes) that reports `progress(bytes read, bytes in all)`."""
    total, done = sum(dtype.itemsize * math.prod(shape) for dtype, shape, _ in table.values()), 0

    def advanced(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    return advanced


def _read_header(path: Path, f: BinaryIO, size: int) -> tuple[dict[str, Any], dict[str, Any], int]:
    """The safetensors header (tensor name -> entry), its metadata, and where the tensors' bytes start."""
    if size < 8:
        raise CheckpointError(path, f"not a safetensors file (too short: {size} bytes)")
    (n,) = struct.unpack("<Q", read_exactly(f, 8))
    if n > size - 8:
        raise CheckpointError(path, f"not a safetensors file, or truncated (bad header length {n:,} "
                                    f"in a {size:,}-byte file)")
    if n > MAX_HEADER_BYTES:
        raise CheckpointError(path, f"its header is {size_text(n)}, over the {size_text(MAX_HEADER_BYTES)} limit")
    try:
        raw = read_exactly(f, n)
        # before parsing (200,000 empty tensors took seconds): every tensor's entry names its data_offsets
        tensors = raw.count(b'"data_offsets"')
        if tensors > MAX_TENSORS:
            raise CheckpointError(path, f"it holds {tensors:,} tensors; no model has more than {MAX_TENSORS}")
        header = bounded_json.loads(raw, max_string=MAX_DOCUMENT_BYTES)
    except bounded_json.JSONLimitError as e:
        raise CheckpointError(path, f"not a safetensors file (header: {e})") from None
    if not isinstance(header, dict):
        raise CheckpointError(path, "not a safetensors file (header is not a JSON object)")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CheckpointError(path, "not a safetensors file (its __metadata__ is not a map of strings)")
    return header, metadata, 8 + n


def _tensor_table(path: Path, header: dict[str, Any], expected: dict[str, tuple[int, ...]], network: str,
                  data_start: int, size: int) -> dict[str, tuple[np.dtype, tuple[int, ...], int]]:
    """name -> (dtype, shape, file offset) for every tensor in `expected`, each checked.

    The byte ranges must tile the data section exactly, as the format requires:
    the file is then no bigger than its tensors, which the configuration bounds.
    Hand-written because safetensors' `safe_open` takes a path, not the descriptor already checked to
    be a regular file within the limit, and knows nothing of the shapes the document's model needs.
    """
    def bad(problem: str) -> CheckpointError:
        return CheckpointError(path, problem)

    ranges = []
    for name, entry in header.items():
        shown = safe_text(name, 60)
        if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
            raise bad(f"not a safetensors file (malformed entry for tensor {shown!r})")
        begin_end, shape = entry["data_offsets"], entry["shape"]
        if not (isinstance(begin_end, list) and len(begin_end) == 2 and all(json_int(x) for x in begin_end)
                and begin_end[0] <= begin_end[1]):
            raise bad(f"not a safetensors file (bad data_offsets for tensor {shown!r})")
        if not (isinstance(shape, list) and len(shape) <= 8 and all(json_int(x) for x in shape)):
            raise bad(f"not a safetensors file (bad shape for tensor {shown!r})")
        ranges.append((begin_end[0], begin_end[1], name))
    ranges.sort()
    end = 0
    for begin, stop, name in ranges:
        if begin != end:
            raise bad(f"not a safetensors file (the bytes of tensor {safe_text(name, 60)!r} overlap or leave a gap)")
        end = stop
    if data_start + end != size:
        if data_start + end > size:
            raise bad(f"truncated: {size:,} bytes, but its header describes {data_start + end:,}")
        raise bad(f"{size - data_start - end:,} unexplained bytes after the tensors (not a safetensors file?)")
    _check_names_and_shapes(path, expected, {k: tuple(v["shape"]) for k, v in header.items()}, network)
    table = {}
    for name, shape in expected.items():
        entry = header[name]
        code = entry["dtype"]
        dtype = _DTYPES.get(code) if isinstance(code, str) else None
        if dtype is None:
            raise bad(f"tensor {name!r} has dtype {safe_text(code, 20)!r}, expected floating point "
                      f"({', '.join(_DTYPES)})")
        begin, stop = entry["data_offsets"]
        if stop - begin != dtype.itemsize * int(np.prod(shape)):
            raise bad(f"tensor {name!r}: {stop - begin:,} bytes for {shape} of {code}")
        table[name] = (dtype, shape, data_start + begin)
    return table


def _check_names_and_shapes(path: Path, expected: dict[str, tuple[int, ...]], found: dict[str, tuple[int, ...]],
                            network: str) -> None:
    """Every expected tensor is there, with its shape (in the header's table, or read)."""
    missing = [k for k in expected if k not in found]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise CheckpointError(path, f"missing tensor {missing[0]!r}{more}")
    for name, want in expected.items():
        if found[name] != want:
            raise CheckpointError(path, f"tensor {name!r} has shape {safe_text(found[name], 40)}, expected {want} "
                                        f"for a {network}")


def _chunks(f: BinaryIO, dtype: np.dtype, count: int, offset: int, per: int,
            advanced: Callable[[int], None]) -> Iterator[np.ndarray]:
    """A tensor's `count` elements of `dtype` from `offset`, `per` at a time, each a view of one buffer
    reused for every chunk (valid until the next one is read): reading costs one chunk, not a copy."""
    f.seek(offset)
    buf = bytearray(min(per, count) * dtype.itemsize)
    for start in range(0, count, per):
        n = min(per, count - start)
        view = memoryview(buf)[: n * dtype.itemsize]
        if f.readinto(view) != len(view):
            raise FileProblem("truncated while reading (did the file change?)")
        advanced(len(view))
        yield np.frombuffer(buf, dtype, n)


def _read_tensor(f: BinaryIO, dtype: np.dtype, shape: tuple[int, ...], offset: int,
                 advanced: Callable[[int], None] = lambda n: None, transpose: bool = False) -> np.ndarray:
    """One tensor as float32, read a chunk at a time straight into its own array (float16, bfloat16 and
    float64 converted as they are assigned, with no float32 copy of the chunk), so a tensor costs its float32
    size and one chunk of the file.

    `transpose` (a matrix): stored as the view of its transposed contiguous copy, the layout the model
    multiplies by (see Config.transposed_weights), built as it is read rather than copied afterwards."""
    count = math.prod(shape)
    rows = shape[0] if transpose and len(shape) == 2 and count and shape[0] > 1 else 1
    cols = count // rows
    out = np.empty((cols, rows) if rows > 1 else count, np.float32)
    # bfloat16 is a float32's top half (numpy has no such type): its bits go in, shifted up in place
    target = out.view(np.uint32) if dtype == _BF16 else out
    # elements a chunk: whole rows of a matrix laid out transposed
    per = max(1, _CHUNK // (dtype.itemsize * cols)) * cols if rows > 1 else _CHUNK // dtype.itemsize
    with np.errstate(over="ignore", invalid="ignore"):  # a float64 past float32's range becomes inf, caught later
        for k, chunk in enumerate(_chunks(f, dtype, count, offset, per, advanced)):
            if rows > 1:
                block, first = chunk.reshape(-1, cols), k * (per // cols)
                for r in range(0, len(block), 64):  # tiles that stay in the cache: a plain .T took 13 s for 1.9 GB
                    part = target[:, first + r : first + min(r + 64, len(block))]
                    part[...] = block[r : r + 64].T
                    if dtype == _BF16:
                        part <<= 16
            else:
                part = target[k * per : k * per + len(chunk)]
                part[...] = chunk
                if dtype == _BF16:
                    part <<= 16
    return out.T if rows > 1 else out.reshape(shape)


def _largest_magnitude(f: BinaryIO, dtype: np.dtype, shape: tuple[int, ...], offset: int,
                       advanced: Callable[[int], None]) -> float:
    """The largest |value| of one tensor as float32 would hold it, read a chunk at a time and kept nowhere;
    inf if any value is NaN or infinite there (a float64 past float32's range included).

    A float's magnitude orders as its bits do once the sign bit is cleared, and an exponent of all ones
    (infinity, NaN) sorts above every finite value: one integer maximum per chunk, cleared in place in
    the reading buffer, answers both (numpy's float16 comparisons are several times slower)."""
    bits = np.dtype(f"<u{dtype.itemsize}")
    no_sign = np.array(np.iinfo(bits).max >> 1, bits)
    top = 0
    for chunk in _chunks(f, dtype, math.prod(shape), offset, _CHUNK // dtype.itemsize, advanced):
        unsigned = chunk.view(bits)
        np.bitwise_and(unsigned, no_sign, out=unsigned)
        top = max(top, int(unsigned.max()))
    if dtype == _BF16:
        largest = float(np.array(top << 16, np.uint32).view(np.float32))
    else:
        largest = float(np.array(top, bits).view(dtype))
    return largest if largest <= _F32_MAX else math.inf  # NaN fails the comparison too


def described(config: Config) -> str:
    """A network as the loader's messages name it: "lstm 2×256 with 84 characters"."""
    return f"{config.cell} {config.layers}×{config.hidden} with {config.vocab_size} characters"


def parse_document(path: Path, doc: Any) -> tuple[Config, Vocab, dict[str, Any]]:
    def bad(problem: str) -> CheckpointError:
        return CheckpointError(path, problem)

    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise bad("the metadata is not an rnn-tui checkpoint document")
    version = doc.get("version")
    if version != VERSION:
        raise bad(f"format version {_shown(version)} is not supported (this rnn-tui reads version {VERSION}); "
                  "upgrade rnn-tui or re-export the model")
    cell = doc.get("cell")
    if not isinstance(cell, str) or (cell not in CELLS and cell != "transformer"):
        raise bad(f"unknown cell {_shown(cell)} (expected one of {', '.join(CELLS)}, transformer)")
    layers, hidden = doc.get("layers"), doc.get("hidden")
    if not json_int(layers, 1, MAX_LAYERS):
        raise bad(f"layers must be an integer from 1 to {MAX_LAYERS}, got {_shown(layers)}")
    if not json_int(hidden, 1, MAX_HIDDEN):
        raise bad(f"hidden must be an integer from 1 to {MAX_HIDDEN}, got {_shown(hidden)}")
    enc = doc.get("input")
    embed_dim = doc.get("embed_dim")
    if enc == "one-hot":
        embed_dim = None
    elif enc == "embedding":
        if not json_int(embed_dim, 1, MAX_HIDDEN):
            raise bad(f"embedding input needs an embed_dim from 1 to {MAX_HIDDEN}, got {_shown(embed_dim)}")
    else:
        raise bad(f"input encoding must be 'one-hot' or 'embedding', got {_shown(enc)}")
    chars = doc.get("vocab")
    if not isinstance(chars, list) or not chars:
        raise bad("vocab must be a non-empty list of characters")
    if len(chars) > MAX_VOCAB:
        raise bad(f"vocab has {len(chars):,} characters (the limit is {MAX_VOCAB:,})")
    try:
        vocab = Vocab(chars)
    except ValueError as e:
        raise bad(str(e)) from None
    provenance = doc.get("provenance") or {}
    if not isinstance(provenance, dict):
        raise bad("provenance must be a JSON object")
    if cell == "transformer":
        return _transformer_config(doc, layers, hidden, len(vocab), bad), vocab, provenance
    return Config(cell, layers, hidden, len(vocab), embed_dim), vocab, provenance


def _transformer_config(doc: dict[str, Any], layers: int, hidden: int, vocab_size: int,
                        bad: Callable[[str], CheckpointError]) -> TransformerConfig:
    """A transformer's document adds its heads, its context and its MLP's width (that of the residual stream)."""
    heads, context, mlp = doc.get("heads"), doc.get("context"), doc.get("mlp")
    if not json_int(heads, 1, hidden) or hidden % heads:
        raise bad(f"heads must be an integer from 1 to {hidden} that divides hidden, got {_shown(heads)}")
    if not json_int(context, 1, MAX_CONTEXT):
        raise bad(f"context must be an integer from 1 to {MAX_CONTEXT}, got {_shown(context)}")
    if mlp != hidden:
        raise bad(f"a transformer's MLP must be as wide as its residual stream ({hidden}), got {_shown(mlp)}")
    if doc.get("input") != "embedding" or doc.get("embed_dim") != hidden:
        raise bad(f"a transformer's input is an embedding of width hidden ({hidden})")
    return TransformerConfig("transformer", layers, hidden, vocab_size, heads, context)


def check_tensors(path: Path, config: Config, tensors: dict[str, np.ndarray]) -> None:
    """Every tensor the configuration needs, of its shape, floating point and finite; then a probe run."""
    expected = config.shapes()
    _check_names_and_shapes(path, expected, {k: tuple(t.shape) for k, t in tensors.items()}, described(config))
    for name in expected:
        t = tensors[name]
        if not np.issubdtype(t.dtype, np.floating):
            raise CheckpointError(path, f"tensor {name!r} has dtype {t.dtype}, expected floating point")
        if not _all_finite(t):
            raise CheckpointError(path, f"tensor {name!r} holds NaN or infinite values")
    probe(path, config, tensors)


def _all_finite(t: np.ndarray, block: int = 1 << 22) -> bool:
    """np.isfinite(t).all() a block at a time: not a byte per weight at once (160 MB for a 6400-unit LSTM)."""
    flat = t.ravel(order="K")  # a view, whichever way the array is laid out
    return all(bool(np.isfinite(flat[i : i + block]).all()) for i in range(0, flat.size, block))


def probe(path: Path, config: Config, tensors: dict[str, np.ndarray]) -> None:
    """Two steps on a few characters: finite weights can still overflow (3e38 passes `isfinite`).

    Such a model would score "nan nats/char" and always pick the same character;
    refusing it here is one clear line instead.
    """
    # sorted(set()), not np.unique: that loads numpy.ma, 6 ms of every start
    ids = np.array(sorted(set(np.linspace(0, config.vocab_size - 1, num=8).astype(np.int64).tolist())), dtype=np.int64)
    with np.errstate(all="ignore"):
        model = config.build({k: tensors[k] for k in config.shapes()})
        state, logits, _ = model.forward(np.stack([ids, ids[::-1]], axis=1))
        finite = np.isfinite(model.input_table).all() and np.isfinite(logits).all() and np.isfinite(state).all()
    if not finite:
        raise CheckpointError(path, "its weights overflow: a probe step gives infinite or NaN activations or "
                                    "scores (weights too large for float32 arithmetic)")


def _shown(value: Any) -> str:
    """A value from the file, as it may appear in a message: short and safe."""
    return safe_text(repr(value), 40)
