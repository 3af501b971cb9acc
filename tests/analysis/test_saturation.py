"""Gate saturation fractions on models whose gates are fixed by their biases."""

from __future__ import annotations

import numpy as np

from rnn_tui.analysis.capture import capture
from rnn_tui.analysis.saturation import saturation
from rnn_tui.core.cells import Model
from rnn_tui.core.vocab import Vocab

from .wired import gate_bias_tensors

VOCAB = Vocab("ab \n")
TEXT = "ab ba\n" * 50


def test_lstm_gates_with_known_biases_give_known_fractions():
    # σ(4) = 0.982 > 0.9, σ(−4) = 0.018 < 0.1, σ(0) = 0.5: right, left, neither, every character
    config, t = gate_bias_tensors("lstm", {"i": [4, -4, 0], "f": [0, 4, -4], "o": [-4, 0, 4]}, VOCAB)
    result = {(g.layer, g.gate): g for g in saturation(capture(Model(config, t), VOCAB, TEXT))}
    assert sorted(result) == [(0, "f"), (0, "i"), (0, "o")]
    i, f, o = result[0, "i"], result[0, "f"], result[0, "o"]
    assert np.array_equal(i.right, [1, 0, 0]) and np.array_equal(i.left, [0, 1, 0])
    assert np.array_equal(f.right, [0, 1, 0]) and np.array_equal(f.left, [0, 0, 1])
    assert np.array_equal(o.right, [0, 0, 1]) and np.array_equal(o.left, [1, 0, 0])
    assert "1/3 units right-saturated" in f.summary()


def test_gru_labels_say_that_z_near_one_keeps_the_old_state():
    config, t = gate_bias_tensors("gru", {"r": [0, 0], "z": [4, -4]}, VOCAB)
    result = {g.gate: g for g in saturation(capture(Model(config, t), VOCAB, TEXT))}
    assert set(result) == {"r", "z"}  # n is a candidate, not a gate
    assert np.array_equal(result["z"].right, [1, 0])
    assert "z near 1 keeps the old state" in result["z"].meaning


def test_a_plain_rnn_has_no_gates_to_saturate(rnn_checkpoint):
    from rnn_tui.core.checkpoint import load

    ckpt = load(rnn_checkpoint)
    assert saturation(capture(ckpt.model(), ckpt.vocab, "hello")) == []
