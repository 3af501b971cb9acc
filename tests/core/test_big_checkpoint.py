"""A big checkpoint: read in chunks with progress, its weights held once, and the same model as before."""

from __future__ import annotations

import io
import json
import struct

import numpy as np

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
