"""min-char-rnn `.npz` models, and `rnn-tui import` of any accepted format to `.safetensors`."""

from __future__ import annotations

import os

import numpy as np
import pytest

from rnn_tui.__main__ import main
from rnn_tui.core.checkpoint import load
from rnn_tui.core.errors import CheckpointError
from rnn_tui.interop import load_model

DATA = "hello world, said the little rnn.\n"


def minchar_params(seed: int = 0, hidden: int = 24, chars: str = "".join(sorted(set(DATA)))):
    """Parameters shaped as min-char-rnn makes them, with livelier weights than its randn*0.01."""
    rng = np.random.default_rng(seed)
    V, H = len(chars), hidden
    return {
        "Wxh": rng.standard_normal((H, V)) * 0.5,
        "Whh": rng.standard_normal((H, H)) * 0.3,
        "Why": rng.standard_normal((V, H)) * 0.5,
        "bh": rng.standard_normal((H, 1)) * 0.1,
        "by": rng.standard_normal((V, 1)) * 0.1,
    }, chars


def minchar_forward(Wxh, Whh, Why, bh, by, inputs, vocab_size):
    """min-char-rnn's forward pass (lossFun), transcribed as it is written: float64 column vectors."""
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.zeros((Whh.shape[0], 1))
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))  # encode in 1-of-k representation
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)  # hidden state
        ys[t] = np.dot(Why, hs[t]) + by  # unnormalized log probabilities for next chars
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))  # probabilities for next chars
    return hs, ps


def save_npz(path, params, chars, vocab_key="chars"):
    np.savez(path, **params, **{vocab_key: np.array(list(chars))})
    return path


def test_a_minchar_model_runs_as_its_own_forward_pass(tmp_path):
    params, chars = minchar_params()
    ckpt = load_model(save_npz(tmp_path / "m.npz", params, chars))
    assert (ckpt.config.cell, ckpt.config.layers, ckpt.config.hidden) == ("rnn", 1, 24)
    assert ckpt.vocab.chars == tuple(chars)
    inputs = [chars.index(ch) for ch in DATA]
    hs, ps = minchar_forward(**params, inputs=inputs, vocab_size=len(chars))
    model = ckpt.model()
    state = model.initial_state()
    _, logits_all, acts_all = model.forward(np.array(inputs), capture=True)
    for t, i in enumerate(inputs):  # the step the viewer runs, and the teacher-forced pass export runs
        state, logits, acts = model.step(state, i)
        np.testing.assert_allclose(acts[0, 0], hs[t][:, 0], atol=1e-5)
        np.testing.assert_allclose(acts_all[t, 0, 0], hs[t][:, 0], atol=1e-5)
        for z in (logits, logits_all[t]):
            p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
            np.testing.assert_allclose(p, ps[t][:, 0], atol=1e-6)


@pytest.mark.parametrize("vocab", ["list", "string", "bytes", "vocab-key", "flat-biases"])
def test_the_characters_and_biases_are_read_in_the_forms_people_save_them(tmp_path, vocab):
    params, chars = minchar_params()
    path = tmp_path / "m.npz"
    if vocab == "string":
        np.savez(path, **params, chars=np.array(chars))
    elif vocab == "bytes":  # Python 2's min-char-rnn
        np.savez(path, **params, chars=np.array([c.encode() for c in chars]))
    elif vocab == "vocab-key":
        save_npz(path, params, chars, vocab_key="vocab")
    elif vocab == "flat-biases":
        save_npz(path, {**params, "bh": params["bh"][:, 0], "by": params["by"][:, 0]}, chars)
    else:
        save_npz(path, params, chars)
    ckpt = load_model(path)
    assert ckpt.vocab.chars == tuple(chars)
    np.testing.assert_allclose(ckpt.tensors["rnn.bias_ih_l0"], params["bh"][:, 0], rtol=1e-6)
    assert not ckpt.tensors["rnn.bias_hh_l0"].any()


def test_adagrad_memories_beside_the_parameters_are_ignored(tmp_path):
    params, chars = minchar_params()
    extra = {f"m{k}": np.zeros_like(v) for k, v in params.items()}
    ckpt = load_model(save_npz(tmp_path / "m.npz", {**params, **extra}, chars))
    assert ckpt.config.hidden == 24


def bad_npz(tmp_path, change):
    params, chars = minchar_params()
    change(params)
    return save_npz(tmp_path / "bad.npz", params, chars)


@pytest.mark.parametrize("change, message", [
    (lambda p: p.pop("Why"), "missing array(s) Why"),
    (lambda p: (p.pop("bh"), p.pop("by")), "missing array(s) bh, by"),
    (lambda p: p.update(Whh=np.zeros((24, 23))), "Whh has shape (24, 23), expected (H, H)"),
    (lambda p: p.update(Wxh=np.zeros((24, 5))), "Wxh has shape (24, 5), expected (24, 16)"),
    (lambda p: p.update(Why=np.zeros((18, 24))), "the vocabulary has 16 characters but Why has 18 rows"),
    (lambda p: p.update(Why=np.zeros((16, 25))), "Why has shape (16, 25), expected (16, 24)"),
    (lambda p: p.update(bh=np.zeros((23, 1))), "bh has shape (23, 1), expected (24, 1)"),
    (lambda p: p.update(by=np.zeros((16, 2))), "by has shape (16, 2), expected (16, 1)"),
    (lambda p: p["Whh"].__setitem__((0, 0), np.nan), "holds NaN or infinite values"),
    (lambda p: p.update(Wxh=np.full((24, 16), "x")), "array Wxh has dtype <U1, expected numbers"),
])
def test_a_bad_minchar_file_is_one_clear_line(tmp_path, change, message):
    with pytest.raises(CheckpointError, match=None) as e:
        load_model(bad_npz(tmp_path, change))
    assert message in str(e.value) and "bad.npz" in str(e.value)


def test_a_vocabulary_that_is_not_the_models_is_refused(tmp_path):
    params, _ = minchar_params()
    with pytest.raises(CheckpointError, match="but Why has 16 rows"):
        load_model(save_npz(tmp_path / "m.npz", params, "abc"))


def test_missing_characters_and_duplicate_characters_are_refused(tmp_path):
    params, chars = minchar_params()
    np.savez(tmp_path / "nochars.npz", **params)
    with pytest.raises(CheckpointError, match="no characters: add an array 'chars'"):
        load_model(tmp_path / "nochars.npz")
    with pytest.raises(CheckpointError, match="duplicate characters"):
        load_model(save_npz(tmp_path / "dup.npz", params, chars[:-1] + chars[0]))


def test_a_pickled_array_is_never_loaded(tmp_path):
    params, chars = minchar_params()
    np.savez(tmp_path / "obj.npz", **params, chars=np.array(list(chars), dtype=object))
    with pytest.raises(CheckpointError, match="a pickle"):
        load_model(tmp_path / "obj.npz")


def test_a_file_that_is_not_an_npz_is_one_line(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a zip at all")
    with pytest.raises(CheckpointError, match="not an .npz file"):
        load_model(tmp_path / "junk.npz")


# -- rnn-tui import --------------------------------------------------------------------


def test_import_converts_an_npz_with_provenance_imported(tmp_path, capsys):
    params, chars = minchar_params()
    src = save_npz(tmp_path / "m.npz", params, chars)
    assert main(["import", str(src), "--out", str(tmp_path / "m.safetensors")]) == 0
    assert "wrote" in capsys.readouterr().out
    ckpt = load(tmp_path / "m.safetensors")
    assert ckpt.provenance["origin"] == "imported" and ckpt.provenance["imported_from"] == "m.npz"
    assert ckpt.provenance["source_format"] == "min-char-rnn" and len(ckpt.provenance["source_sha256"]) == 64
    original = load_model(src)
    for name, tensor in original.tensors.items():
        np.testing.assert_array_equal(ckpt.tensors[name], tensor)
    assert ckpt.vocab.chars == original.vocab.chars


def test_import_converts_a_pt_file(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    net = torch.nn.LSTM(len("abc\n"), 8, num_layers=2)
    head = torch.nn.Linear(8, 4)
    sd = {f"lstm.{k}": v for k, v in net.state_dict().items()}
    sd.update({f"fc.{k}": v for k, v in head.state_dict().items()})
    torch.save({"state_dict": sd, "vocab": list("abc\n"), "cell": "lstm"}, tmp_path / "n.pt")
    assert main(["import", str(tmp_path / "n.pt"), "--out", str(tmp_path / "n.safetensors")]) == 0
    ckpt = load(tmp_path / "n.safetensors")
    assert ckpt.provenance["origin"] == "imported" and ckpt.config.label == "LSTM 2×8"
    np.testing.assert_array_equal(ckpt.tensors["head.weight"], head.weight.detach().numpy())


@pytest.mark.parametrize("out, message", [
    ("x.pt", "--out must name a .safetensors file"),
    ("exists.safetensors", "exists; --force replaces it"),
])
def test_import_refuses_a_bad_destination(tmp_path, capsys, monkeypatch, out, message):
    monkeypatch.chdir(tmp_path)
    params, chars = minchar_params()
    save_npz(tmp_path / "m.npz", params, chars)
    (tmp_path / "exists.safetensors").write_bytes(b"keep me")
    assert main(["import", "m.npz", "--out", out]) == 2
    assert message in capsys.readouterr().err
    assert (tmp_path / "exists.safetensors").read_bytes() == b"keep me"


def test_import_of_a_bad_npz_writes_nothing(tmp_path, capsys):
    src = bad_npz(tmp_path, lambda p: p.pop("Whh"))
    assert main(["import", str(src), "--out", str(tmp_path / "o.safetensors")]) == 2
    err = capsys.readouterr().err
    assert "missing array(s) Whh" in err and err.count("\n") == 1
    assert not (tmp_path / "o.safetensors").exists()


def test_sample_runs_a_minchar_model(tmp_path, capsys):
    params, chars = minchar_params()
    src = save_npz(tmp_path / "m.npz", params, chars)
    assert main(["sample", str(src), "--prime", "hello", "-n", "30"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("hello") and len(out) == 35 and set(out) <= set(chars)


def test_arrays_that_would_inflate_past_the_limit_are_not_inflated(tmp_path, monkeypatch):
    from rnn_tui.interop import minchar

    params, chars = minchar_params()
    np.savez_compressed(tmp_path / "big.npz", **params, pad=np.zeros(100_000), chars=np.array(list(chars)))
    monkeypatch.setattr(minchar, "MAX_FILE_BYTES", 200_000)  # the file is small; its arrays are not
    assert (tmp_path / "big.npz").stat().st_size < 200_000
    with pytest.raises(CheckpointError, match="its arrays hold .* over the .* limit"):
        load_model(tmp_path / "big.npz")


def test_a_fifo_named_npz_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.npz")
    with pytest.raises(CheckpointError, match="is a FIFO"):
        load_model(tmp_path / "pipe.npz")


def test_an_array_header_declaring_a_trillion_items_is_one_line(tmp_path, capsys):
    """numpy allocates what an .npy header declares before reading: a 1 KB member was a MemoryError."""
    import io
    import zipfile

    from numpy.lib import format as npy

    member = io.BytesIO()
    npy.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
    member.write(b"\0" * 64)
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("Wxh.npy", member.getvalue())
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert "array Wxh declares" in err and err.count("\n") == 1
