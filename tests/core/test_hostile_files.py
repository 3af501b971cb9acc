"""Files built to hurt the loader and the text reader: each is refused in one line, without reading it whole."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_tui.core import bounded_json
from rnn_tui.core.cells import Config
from rnn_tui.core.checkpoint import MAX_FILE_BYTES, document, load, save
from rnn_tui.core.errors import CheckpointError, UserError
from rnn_tui.core.safe import safe_text
from rnn_tui.core.text import read_text
from rnn_tui.core.vocab import Vocab
from tests.factories import ASCII_VOCAB, random_tensors, tensor_table

CONFIG = Config("gru", 1, 8, len(ASCII_VOCAB))


def checkpoint_bytes(doc: dict | None = None, tensors: dict | None = None, header_extra: dict | None = None) -> bytes:
    """A safetensors file written by hand, so the document can hold what json.dumps allows and more."""
    tensors = tensors if tensors is not None else random_tensors(CONFIG)
    doc = doc if doc is not None else document(CONFIG, ASCII_VOCAB, {"corpus": "test"})
    header, data = tensor_table(tensors)
    header["__metadata__"] = {"rnn_tui": doc if isinstance(doc, str) else json.dumps(doc)}
    header.update(header_extra or {})
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def refused(path, *words: str) -> str:
    with pytest.raises(CheckpointError) as err:
        load(path)
    message = str(err.value)
    assert all(w in message for w in words), message
    assert "\n" not in message and len(message) <= 284 and safe_text(message) == message
    return message


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    refused(fifo, "FIFO", "not a regular")
    with pytest.raises(UserError, match="FIFO"):
        read_text(fifo)


def test_devices_and_a_symlink_to_dev_zero_are_refused(tmp_path):
    link = tmp_path / "zero.safetensors"
    link.symlink_to("/dev/zero")
    refused(link, "character device")
    refused("/dev/null", "character device")
    with pytest.raises(UserError, match="character device"):
        read_text("/dev/zero")


def test_a_directory_is_refused(tmp_path):
    refused(tmp_path, "directory")
    with pytest.raises(UserError, match="directory"):
        read_text(tmp_path)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "sparse.safetensors"
    with open(big, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used
    refused(big, "over the 1 GiB limit")


def test_a_sparse_file_under_the_limit_costs_no_memory_to_refuse(tmp_path):
    """A 1 GiB sparse file whose header claims a huge tensor: refused on the header, not after reading it."""
    path = tmp_path / "claims.safetensors"
    good = checkpoint_bytes()
    (n,) = struct.unpack("<Q", good[:8])
    header = json.loads(good[8 : 8 + n])
    header["head.weight"]["data_offsets"][1] += MAX_FILE_BYTES - len(good) - 1000
    raw = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        f.truncate(MAX_FILE_BYTES)
    # VmHWM, not ru_maxrss: ru_maxrss survives fork and exec, so it would report the test runner's size
    code = ("import sys; from rnn_tui.core.checkpoint import load\n"
            "try: load(sys.argv[1])\nexcept Exception as e: print(type(e).__name__)\n"
            "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))")
    r = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": os.getcwd()})
    kind, peak_kib = r.stdout.split()
    assert kind == "CheckpointError"
    assert int(peak_kib) < 200 * 1024  # the file is 1 GiB; the process stays at its import size


def test_a_vocabulary_of_100000_copies_is_refused_and_duplicates_are_found_in_linear_time(tmp_path):
    doc = document(CONFIG, ASCII_VOCAB)
    path = tmp_path / "v.safetensors"
    path.write_bytes(checkpoint_bytes({**doc, "vocab": ["a"] * 100_000}))
    refused(path, "vocab has 100,000 characters")
    with pytest.raises(ValueError, match="duplicate characters: 'a'"):
        Vocab(["a"] * 60_000)  # under the limit: a Counter, not chars.count per entry (minutes, before)


@pytest.mark.parametrize("text, words", [
    ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", ("nested 100,001 deep",)),
    ('{"a": ' + "7" * 5000 + "}", ("integer of 5,000 digits",)),
    ('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, Infinity]}}', ("Infinity",)),
    ('{"a": 1e400}', ("out of range",)),
    ('{"a": 1, "a": 2}', ("repeated key",)),
])
def test_hostile_json_in_the_safetensors_header_is_one_line(tmp_path, text, words):
    path = tmp_path / "h.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text.encode())
    refused(path, "header", *words)


def test_a_huge_number_in_the_document_is_refused_and_a_huge_val_loss_does_not_break_info(tmp_path, capsys):
    from rnn_tui.__main__ import main

    doc = json.dumps(document(CONFIG, ASCII_VOCAB, {"val_loss": 1.5})).replace("1.5", "1" + "0" * 400)
    path = tmp_path / "n.safetensors"
    path.write_bytes(checkpoint_bytes(doc))
    refused(path, "integer of 401 digits")
    path.write_bytes(checkpoint_bytes(document(CONFIG, ASCII_VOCAB, {"val_loss": 1e308})))
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "nats/char" not in out.splitlines()[0] and max(map(len, out.splitlines())) < 200


def test_a_long_string_anywhere_gives_a_short_message(tmp_path):
    doc = document(CONFIG, ASCII_VOCAB)
    path = tmp_path / "s.safetensors"
    path.write_bytes(checkpoint_bytes({**doc, "cell": "x" * 100_000}))
    refused(path, "unknown cell")
    path.write_bytes(checkpoint_bytes(header_extra={"n" * 100_000: {"dtype": "F32", "shape": [1],
                                                                      "data_offsets": [10**6, 10**6 + 4]}}))
    refused(path, "bytes of tensor")


def test_the_document_may_hold_a_64_kib_passage_and_a_list_of_named_cells(tmp_path):
    passage = "".join(chr(0x4E00 + k % 2000) for k in range(65_536))  # 6 bytes each once escaped
    cells = [{"name": f"cell {k}", "layer": 1, "unit": k, "r": 0.5} for k in range(500)]
    tensors = random_tensors(CONFIG)
    path = save(tmp_path / "p.safetensors", CONFIG, ASCII_VOCAB, tensors, {"passage": passage, "cells": cells})
    ckpt = load(path)
    assert ckpt.provenance["passage"] == passage and ckpt.provenance["cells"][499]["unit"] == 499


def test_weights_that_overflow_on_a_probe_step_are_refused(tmp_path):
    tensors = {k: np.full_like(v, 3e38) for k, v in random_tensors(CONFIG).items()}
    path = tmp_path / "o.safetensors"
    path.write_bytes(checkpoint_bytes(tensors=tensors))
    refused(path, "overflow", "probe step")


def test_float64_and_bfloat16_tensors_load_as_float32(tmp_path):
    tensors = random_tensors(CONFIG)
    header, chunks, offset = {}, [], 0
    for k, (name, t) in enumerate(tensors.items()):
        if k % 2:
            b, code = t.astype("<f8").tobytes(), "F64"
        else:  # bfloat16: the top half of each float32
            b, code = (t.view("<u4") >> 16).astype("<u2").tobytes(), "BF16"
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    header["__metadata__"] = {"rnn_tui": json.dumps(document(CONFIG, ASCII_VOCAB))}
    raw = json.dumps(header).encode()
    path = tmp_path / "mixed.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"".join(chunks))
    ckpt = load(path)
    for k, (name, t) in enumerate(tensors.items()):
        assert ckpt.tensors[name].dtype == np.float32
        np.testing.assert_allclose(ckpt.tensors[name], t, rtol=1e-2 if k % 2 == 0 else 1e-7, atol=1e-2)


def test_text_past_the_limit_is_refused_with_a_line_and_xz_bombs_stop_at_it(tmp_path):
    import lzma

    path = tmp_path / "t.txt"
    path.write_text("x" * 2000)
    with pytest.raises(UserError, match="over the 1.95 KiB limit"):
        read_text(path, max_bytes=2000 - 1)
    bomb = tmp_path / "b.txt.xz"
    bomb.write_bytes(lzma.compress(b"a" * 1_000_000))
    with pytest.raises(UserError, match="decompresses to more than"):
        read_text(bomb, max_bytes=100_000)
    assert read_text(path) == "x" * 2000


def test_eval_and_train_refuse_dev_zero_in_one_line():
    for argv in (["eval", "shakespeare-lstm", "/dev/zero"], ["train", "/dev/zero", "--max-steps", "1"]):
        r = subprocess.run([sys.executable, "-m", "rnn_tui", *argv], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": os.getcwd()})
        assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
        assert "character device, not a regular text file" in r.stderr


# -- the JSON parser's limits, as properties -------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**19), 10**19) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_bounded_json_reads_back_what_json_writes(value):
    assert bounded_json.loads(json.dumps(value).encode()) == value


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_bounded_json_on_any_bytes_returns_or_raises_its_own_error(data):
    try:
        bounded_json.loads(data)
    except bounded_json.JSONLimitError as e:
        assert "\n" not in str(e) and len(str(e)) < 200


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["format", "version", "cell", "layers", "hidden", "input", "embed_dim",
                                        "vocab", "provenance"]), json_values, max_size=9))
def test_parse_document_accepts_or_raises_one_checkpoint_error(fields):
    from pathlib import Path

    from rnn_tui.core.checkpoint import parse_document

    doc = {**document(CONFIG, ASCII_VOCAB), **fields}
    try:
        parse_document(Path("x.safetensors"), doc)
    except CheckpointError as e:
        assert "\n" not in str(e) and safe_text(str(e)) == str(e)



def test_a_file_of_200000_empty_tensors_is_refused_before_its_header_is_parsed(tmp_path, monkeypatch):
    extra = {f"t{i}": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]} for i in range(200_000)}
    path = tmp_path / "many.safetensors"
    path.write_bytes(checkpoint_bytes(header_extra=extra))

    def no_parsing(*args, **kwargs):
        raise AssertionError("the header was parsed")

    monkeypatch.setattr(bounded_json, "loads", no_parsing)
    refused(path, "holds 200,006 tensors; no model has more than 256")


def test_extra_tensors_up_to_the_limit_are_still_accepted(tmp_path):
    extra = {f"extra{i}": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]} for i in range(250)}
    path = tmp_path / "some.safetensors"
    path.write_bytes(checkpoint_bytes(header_extra=extra))
    assert load(path).config == CONFIG

