"""Capture: every unit's exact values at every character; one stream is the model's own run."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tui.analysis.capture import capture, doubled_midranks, encode
from rnn_tui.core.checkpoint import bundled_models, load

from ..factories import write_checkpoint

TEXT = "The quick brown fox jumps over the lazy dog.\nA second line, with \"quotes\" in it.\n" * 40


def test_one_stream_holds_the_values_of_the_model_run_step_by_step(lstm_checkpoint):
    ckpt = load(lstm_checkpoint)
    model = ckpt.model()
    cap = capture(model, ckpt.vocab, TEXT[:300], streams=1)
    _, _, acts = model.run(ckpt.vocab.encode(TEXT[:300]))
    assert cap.continuous and cap.data.shape == (cap.units, 300)
    np.testing.assert_allclose(cap.data.T, acts.reshape(300, -1), rtol=1e-5, atol=1e-6)


def test_cell_states_are_kept_unclipped_on_a_trained_model():
    # the bundled LSTM's top-layer cell states integrate: some leave ±25 within a few thousand characters
    ckpt = load(bundled_models()["shakespeare-lstm"])
    model = ckpt.model()
    text = ("KING HENRY.\nWhat say you, lords? Speak freely, for the day is ours.\n" * 40)[:2500]
    cap = capture(model, ckpt.vocab, text, streams=1)
    _, _, acts = model.forward(ckpt.vocab.encode(text), capture=True)
    c = cap.unit_index(1, "c", 0)
    got = cap.data[c : c + ckpt.config.hidden]
    want = acts[:, 1, ckpt.config.quantities.index("c")].T
    assert np.abs(want).max() > 25 and np.abs(got).max() == pytest.approx(np.abs(want).max(), rel=1e-5)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)  # chunked runs round differently, no more


def test_a_block_of_units_holds_exactly_those_rows(lstm_checkpoint):
    ckpt = load(lstm_checkpoint)
    whole = capture(ckpt.model(), ckpt.vocab, TEXT, streams=8)
    part = capture(ckpt.model(), ckpt.vocab, TEXT, streams=8, units=np.array([300, 5, 17]))
    assert part.index.tolist() == [5, 17, 300]
    for u in (5, 17, 300):
        np.testing.assert_array_equal(part.values(u), whole.values(u))
    with pytest.raises(KeyError):
        part.values(6)


def test_side_by_side_streams_with_warmup_agree_with_one_stream_on_a_forgetful_model(tmp_path):
    # torch's initialisation forgets within a few characters, so 64 characters of warm-up suffice here;
    # a trained model's integrating units do not forget, which is why the viewer reads one stream
    ckpt = load(write_checkpoint(tmp_path / "m.safetensors", hidden=32))
    one = capture(ckpt.model(), ckpt.vocab, TEXT, streams=1)
    many = capture(ckpt.model(), ckpt.vocab, TEXT, streams=8, warmup=64)
    assert many.streams == 8 and many.data.shape == one.data.shape
    assert np.abs(one.data - many.data).max() < 0.05


def test_characters_outside_the_vocabulary_are_marked_not_fatal(lstm_checkpoint):
    ckpt = load(lstm_checkpoint)
    ids, oov = encode(ckpt.vocab, "a\u00e9b\x1bc")
    assert oov.tolist() == [False, True, False, True, False]
    assert ids[1] == ckpt.vocab.index[" "]
    cap = capture(ckpt.model(), ckpt.vocab, "a\u00e9b\x1bc")
    assert cap.oov.sum() == 2 and len(cap) == 5


def test_progress_reaches_the_total_and_one_stream_keeps_its_guesses(lstm_checkpoint):
    ckpt = load(lstm_checkpoint)
    seen = []
    cap = capture(ckpt.model(), ckpt.vocab, TEXT, streams=1, guesses=5, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(TEXT), len(TEXT))
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:], strict=False))
    assert cap.guesses.ids.shape == (len(TEXT), 5)
    assert capture(ckpt.model(), ckpt.vocab, TEXT, streams=8, guesses=5).guesses is None  # pieces guess wrong


def test_an_empty_text_captures_nothing(lstm_checkpoint):
    ckpt = load(lstm_checkpoint)
    cap = capture(ckpt.model(), ckpt.vocab, "")
    assert len(cap) == 0 and cap.data.shape == (cap.units, 0)


def test_unit_names_round_trip(gru_checkpoint):
    ckpt = load(gru_checkpoint)
    cap = capture(ckpt.model(), ckpt.vocab, "hello")
    for u in (0, 63, 64, cap.units - 1):
        assert cap.unit_index(*cap.unit_name(u)) == u
    assert cap.unit_name(64) == (0, "z", 0)


def _plain_midranks(x: np.ndarray) -> np.ndarray:
    """Twice the mid-rank, by the definition: 2·(number below) + (number equal) + 1."""
    below = (x[None, :] < x[:, None]).sum(axis=1)
    equal = (x[None, :] == x[:, None]).sum(axis=1)
    return 2 * below + equal + 1


def test_doubled_midranks_follow_the_definition_with_ties_signed_zeros_and_extremes():
    rng = np.random.default_rng(3)
    data = rng.standard_normal((5, 400)).astype(np.float32)
    data[1] = np.round(data[1])  # many ties
    data[2, :4] = [-0.0, 0.0, -0.0, 1e-30]
    data[3] = np.float32(1.0) - rng.integers(0, 3, 400).astype(np.float32) * np.float32(2**-24)  # saturated gate
    data[4, :3] = [4920.0, -4920.0, -1e-38]
    got = doubled_midranks(data, cells=1000)  # several blocks
    for row in range(5):
        np.testing.assert_array_equal(got[row], _plain_midranks(data[row]))
