"""A big checkpoint: read in chunks with progress, its weights held once, and the same model as before."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys

import numpy as np
import pytest

from rnn_tui.core.cells import Config, Model
from rnn_tui.core.checkpoint import document, load, save
from tests.factories import ASCII_VOCAB, random_tensors, tensor_table

CONFIG = Config("lstm", 2, 96, len(ASCII_VOCAB))


def test_a_float16_file_reads_in_chunks_with_progress_into_the_same_model(tmp_path, monkeypatch):
    from rnn_tui.core import checkpoint

    monkeypatch.setattr(checkpoint, "_CHUNK", 4096)  # many chunks, even for a small file
    tensors = random_tensors(CONFIG, seed=3)
    header, data = tensor_table(tensors, "F16")
    offset = len(data)
    header["__metadata__"] = {"rnn_tui": json.dumps(document(CONFIG, ASCII_VOCAB))}
    raw = json.dumps(header).encode()
    path = tmp_path / "h.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    seen = []
    ckpt = load(path, progress=lambda done, total: seen.append((done, total)))
    assert len(seen) > 10 and seen[-1] == (offset, offset)
    assert all(a[0] < b[0] for a, b in zip(seen, seen[1:], strict=False))
    for name, t in tensors.items():
        assert np.array_equal(ckpt.tensors[name], t.astype(np.float16).astype(np.float32)), name
    # the matrices the model multiplies by are already laid out for it: building it copies none of them
    model = ckpt.model()
    for k in range(CONFIG.layers):
        assert np.shares_memory(model.w_hh[k], ckpt.tensors[f"rnn.weight_hh_l{k}"])
    assert np.shares_memory(model.head_w, ckpt.tensors["head.weight"])
    reference = Model(CONFIG, {k: t.astype(np.float16).astype(np.float32) for k, t in tensors.items()})
    ids = np.arange(10)
    state = reference.initial_state()
    for i in ids:
        a = reference.step(state.copy(), int(i))
        b = model.step(state.copy(), int(i))
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_a_float32_file_loads_to_the_same_values(tmp_path):
    tensors = random_tensors(CONFIG, seed=4)
    path = save(tmp_path / "m.safetensors", CONFIG, ASCII_VOCAB, tensors)
    ckpt = load(path)
    assert all(np.array_equal(ckpt.tensors[k], t) for k, t in tensors.items())


def test_a_slow_load_shows_a_progress_line_on_a_terminal(tmp_path, monkeypatch):
    from rnn_tui.commands import _loading

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    path = save(tmp_path / "m.safetensors", CONFIG, ASCII_VOCAB, random_tensors(CONFIG))
    err = Terminal()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr(_loading, "SHOW_AFTER", 0.0)
    _loading.load_model(str(path))
    shown = err.getvalue()
    assert "loading m.safetensors" in shown and "100%" in shown and shown.endswith("\r\x1b[2K")


def _f16_file(path, config: Config, tensors: dict[str, np.ndarray] | None = None, codes: dict[str, str] | None = None):
    """A checkpoint of `config` in float16 (or per tensor: `codes`), its weights `tensors` (zeros: sparse)."""
    header, offset, parts = {}, 0, []
    for name, shape in config.shapes().items():
        code = (codes or {}).get(name, "F16")
        size = int(np.prod(shape)) * {"F16": 2, "F64": 8, "BF16": 2}[code]
        header[name] = {"dtype": code, "shape": list(shape), "data_offsets": [offset, offset + size]}
        if tensors is not None:
            t = tensors[name]
            parts.append((t.view("<u4") >> 16).astype("<u2").tobytes() if code == "BF16"
                         else t.astype({"F16": "<f2", "F64": "<f8"}[code]).tobytes())
        offset += size
    header["__metadata__"] = {"rnn_tui": json.dumps(document(config, ASCII_VOCAB))}
    raw = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(parts))
        f.truncate(8 + len(raw) + offset)
    return path


def test_inspect_checks_every_weight_in_chunks_and_keeps_none(tmp_path, monkeypatch):
    from rnn_tui.core import checkpoint

    monkeypatch.setattr(checkpoint, "_CHUNK", 4096)
    path = _f16_file(tmp_path / "h.safetensors", CONFIG, random_tensors(CONFIG, seed=5))
    seen = []
    described = checkpoint.inspect(path, progress=lambda done, total: seen.append((done, total)))
    loaded = load(path)
    assert described.tensors == {} and described.config == loaded.config and described.vocab.chars == loaded.vocab.chars
    assert described.provenance == loaded.provenance
    assert len(seen) > 10 and seen[-1][0] == seen[-1][1]


@pytest.mark.parametrize("code, bad", [("F16", np.inf), ("BF16", np.nan), ("F64", 1e39)])
def test_inspect_refuses_what_load_refuses_a_nan_or_an_infinity_anywhere(tmp_path, code, bad):
    from rnn_tui.core import checkpoint
    from rnn_tui.core.errors import CheckpointError

    tensors = random_tensors(CONFIG, seed=6)
    tensors["rnn.weight_hh_l1"] = tensors["rnn.weight_hh_l1"].astype(np.float64 if code == "F64" else np.float32)
    tensors["rnn.weight_hh_l1"][-1, -1] = bad  # 1e39: beyond float32
    path = _f16_file(tmp_path / "nan.safetensors", CONFIG, tensors, {name: code for name in tensors})
    messages = []
    for read in (checkpoint.inspect, load):
        with pytest.raises(CheckpointError) as e:
            read(path)
        messages.append(str(e.value))
    assert messages[0] == messages[1] and "'rnn.weight_hh_l1' holds NaN or infinite" in messages[0]


def test_inspect_runs_the_probe_on_the_whole_model_only_past_the_safe_magnitude(tmp_path, monkeypatch):
    from rnn_tui.core import checkpoint
    from rnn_tui.core.errors import CheckpointError

    probes = []
    real = checkpoint.probe
    monkeypatch.setattr(checkpoint, "probe", lambda *a: probes.append(1) or real(*a))
    small = save(tmp_path / "small.safetensors", CONFIG, ASCII_VOCAB, random_tensors(CONFIG, scale=16.0))
    checkpoint.inspect(small)
    assert probes == []  # every |w| <= 16: nothing a probe step computes can overflow
    large = {k: np.full_like(v, 3e38) for k, v in random_tensors(CONFIG).items()}
    path = save(tmp_path / "large.safetensors", CONFIG, ASCII_VOCAB, large)
    with pytest.raises(CheckpointError, match="overflow"):
        checkpoint.inspect(path)
    assert probes == [1]


PEAK = """
import sys
from rnn_tui.core.checkpoint import {what}
def status(key):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key)) * 1024
before = status("VmRSS:")
{what}(sys.argv[1])
print(before, status("VmHWM:"))
"""


@pytest.mark.parametrize("what", ["inspect", "load"])
def test_a_big_float16_file_costs_a_chunk_to_describe_and_its_float32_size_to_load(tmp_path, what):
    config = Config("lstm", 2, 1536, len(ASCII_VOCAB))  # 151 MiB in float16 (a sparse file), 302 MiB in float32
    path = _f16_file(tmp_path / "big.safetensors", config)
    out = subprocess.run([sys.executable, "-c", PEAK.format(what=what), str(path)], capture_output=True, text=True,
                         check=True).stdout
    before, peak = map(int, out.split())
    float32 = 4 * config.parameters()
    chunk = 16 << 20
    if what == "inspect":  # no copy of the weights at all: a chunk of the file and its small pieces
        assert peak - before < 2 * chunk, (peak - before) / 2**20
    else:  # the weights once, in float32, and one chunk of the file: no float32 copy of it, no second tensor
        assert peak - before < float32 + 2 * chunk, (peak - before - float32) / 2**20


def test_work_with_no_measure_of_its_own_shows_a_line_with_the_seconds_then_clears_it(monkeypatch):
    import threading

    from rnn_tui.commands import _loading

    class Terminal(io.StringIO):
        written = threading.Event()

        def isatty(self) -> bool:
            return True

        def write(self, text: str) -> int:
            self.written.set()
            return super().write(text)

    err = Terminal()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setattr(_loading, "SHOW_AFTER", 0.0)
    with _loading.working("preparing m: a first pass"):
        assert err.written.wait(30)  # the body outlasts SHOW_AFTER: the line is up while it runs
    shown = err.getvalue()
    assert shown.startswith("\r\x1b[2Kpreparing m: a first pass… ") and " s" in shown and shown.endswith("\r\x1b[2K")


@pytest.mark.parametrize("code", ["F16", "BF16", "F32", "F64"])
def test_the_largest_magnitude_read_from_the_bits_is_numpys_and_finds_every_nan_and_infinity(code):
    from rnn_tui.core import checkpoint

    dtype = checkpoint._DTYPES[code]
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.standard_normal(5000) * 10.0 ** rng.integers(-8, 4, 5000),
                             [-0.0, 0.0, 1e-40, -1e-45, -123.5]]).astype(np.float32)

    def magnitude(v: np.ndarray) -> float:
        raw = (v.view("<u4") >> 16).astype("<u2") if code == "BF16" else v.astype(dtype)
        f = io.BytesIO(b"\0" * 3 + raw.tobytes())
        return checkpoint._largest_magnitude(f, dtype, v.shape, 3, lambda n: None)

    widened = (values.view("<u4") >> 16 << 16).view(np.float32) if code == "BF16" else values.astype(dtype)
    assert magnitude(values) == float(np.abs(widened.astype(np.float64)).max())
    for bad in (np.nan, -np.nan, np.inf, -np.inf):
        spoiled = values.copy()
        spoiled[1234] = bad
        assert magnitude(spoiled) == np.inf, bad
    assert magnitude(-values) == magnitude(values)


def test_a_transformers_matrices_are_held_once_too(tmp_path):
    """Its Transformer multiplies by the transposes: the loader lays them out so, and building it copies none."""
    from rnn_tui.core.transformer import TransformerConfig

    config = TransformerConfig("transformer", 2, 16, len(ASCII_VOCAB), 2, 32)
    rng = np.random.default_rng(8)
    tensors = {k: (rng.standard_normal(s) * 0.1).astype(np.float32) for k, s in config.shapes().items()}
    ckpt = load(save(tmp_path / "t.safetensors", config, ASCII_VOCAB, tensors))
    model = ckpt.model()
    for k, block in enumerate(model.blocks):
        for key, name in (("qkv", "attn.qkv"), ("proj", "attn.proj"), ("fc", "mlp.fc"), ("out", "mlp.proj")):
            assert np.shares_memory(block[key][0], ckpt.tensors[f"blocks.{k}.{name}.weight"]), (k, key)
    assert np.shares_memory(model.head_w, ckpt.tensors["head.weight"])
    assert all(np.array_equal(ckpt.tensors[k], t) for k, t in tensors.items())
