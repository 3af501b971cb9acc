"""Loading checkpoints: every way a file can be wrong ends in one CheckpointError, and exit 2 from the CLI."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from safetensors.numpy import save_file

from rnn_tui.core.cells import Config
from rnn_tui.core.checkpoint import document, load, save
from rnn_tui.core.errors import CheckpointError
from rnn_tui.core.vocab import Vocab
from tests.factories import ASCII_VOCAB, random_tensors, write_checkpoint

CONFIG = Config("gru", 2, 8, len(ASCII_VOCAB))


def write_raw(path, tensors, doc):
    save_file(tensors, str(path), metadata={"rnn_tui": json.dumps(doc)})
    return path


def good_parts():
    return random_tensors(CONFIG), document(CONFIG, ASCII_VOCAB, {"corpus": "test"})


def test_round_trip_keeps_weights_and_provenance(tmp_path):
    tensors, _ = good_parts()
    path = save(tmp_path / "m.safetensors", CONFIG, ASCII_VOCAB, tensors, {"corpus": "test", "val_loss": 1.5})
    ckpt = load(path)
    assert ckpt.config == CONFIG
    assert ckpt.vocab.chars == ASCII_VOCAB.chars
    assert ckpt.provenance["corpus"] == "test"
    assert ckpt.provenance["software"].startswith("rnn-tui ")
    for k, v in tensors.items():
        assert np.array_equal(ckpt.tensors[k], v)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_embedding_checkpoint_round_trips(tmp_path):
    path = write_checkpoint(tmp_path / "e.safetensors", cell="lstm", embed_dim=5)
    assert load(path).config.embed_dim == 5


def bad_files(tmp_path):
    tensors, doc = good_parts()
    yield "no such file", tmp_path / "missing.safetensors"
    (tmp_path / "adir").mkdir()
    yield "directory", tmp_path / "adir"
    good = write_raw(tmp_path / "good.safetensors", tensors, doc)
    data = good.read_bytes()
    (tmp_path / "trunc.safetensors").write_bytes(data[: len(data) // 2])
    yield "truncated", tmp_path / "trunc.safetensors"
    (tmp_path / "random.safetensors").write_bytes(np.random.default_rng(0).bytes(4000))
    yield "not a safetensors", tmp_path / "random.safetensors"
    (tmp_path / "empty.safetensors").write_bytes(b"")
    yield "too short", tmp_path / "empty.safetensors"
    t = dict(tensors)
    t["rnn.weight_hh_l1"] = np.zeros((24, 9), np.float32)
    yield "has shape", write_raw(tmp_path / "shape.safetensors", t, doc)
    t = dict(tensors)
    del t["head.bias"]
    yield "missing tensor 'head.bias'", write_raw(tmp_path / "missing_t.safetensors", t, doc)
    t = dict(tensors)
    t["rnn.weight_ih_l0"] = t["rnn.weight_ih_l0"].copy()
    t["rnn.weight_ih_l0"][0, 0] = np.nan
    yield "NaN", write_raw(tmp_path / "nan.safetensors", t, doc)
    dup_vocab = ["a"] + list(doc["vocab"])[1:-1] + ["a"]
    yield "duplicate", write_raw(tmp_path / "dup.safetensors", tensors, {**doc, "vocab": dup_vocab})
    yield "version 99", write_raw(tmp_path / "ver.safetensors", tensors, {**doc, "version": 99})
    yield "unknown cell", write_raw(tmp_path / "cell.safetensors", tensors, {**doc, "cell": "mamba"})
    save_file(tensors, str(tmp_path / "plain.safetensors"))
    yield "not an rnn-tui checkpoint", tmp_path / "plain.safetensors"


def test_every_bad_file_raises_one_checkpoint_error_naming_file_and_problem(tmp_path):
    cases = list(bad_files(tmp_path))
    assert len(cases) == 12
    for expected, path in cases:
        with pytest.raises(CheckpointError) as err:
            load(path)
        message = str(err.value)
        assert str(path) in message and expected in message, message
        assert "\n" not in message


def test_cli_reports_bad_checkpoints_in_one_line_with_exit_2(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    for _, path in list(bad_files(tmp_path))[:4]:
        for argv in (["info", str(path)], [str(path)]):
            r = subprocess.run([sys.executable, "-m", "rnn_tui", *argv], capture_output=True, text=True, env=env,
                               timeout=60)
            assert r.returncode == 2, r.stderr
            assert r.stderr.count("\n") == 1 and r.stderr.startswith("rnn-tui: error: "), r.stderr
            assert "Traceback" not in r.stderr


def test_vocab_rejects_duplicates_and_multichar_entries():
    with pytest.raises(ValueError):
        Vocab(["a", "b", "a"])
    with pytest.raises(ValueError):
        Vocab(["ab"])
