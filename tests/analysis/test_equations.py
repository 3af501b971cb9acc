import numpy as np
import pytest

from rnn_tui.analysis.equations import explain_unit
from rnn_tui.core.cells import Config, Model
from tests.factories import random_tensors


def stepped(cell: str, layers: int = 2, hidden: int = 6, text=(1, 4, 2, 0, 3), seed: int = 0, embed=None):
    config = Config(cell, layers, hidden, 5, embed)
    model = Model(config, random_tensors(config, seed=seed, scale=0.9))
    state = model.initial_state()
    for i in text[:-1]:
        state, _, _ = model.step(state, i)
    prev = state.copy()
    _, _, acts = model.step(state, text[-1])
    return model, prev, acts, text[-1]


@pytest.mark.parametrize("layer", [0, 1])
def test_lstm_cell_state_is_the_sum_of_the_kept_and_the_written_term(layer):
    model, prev, acts, ch = stepped("lstm")
    eq = explain_unit(model, layer, 3, ch, prev, acts)
    v = eq.values
    assert v["f·c_prev"] + v["i·g"] == pytest.approx(v["c"], abs=1e-5)
    assert v["o"] * np.tanh(v["c"]) == pytest.approx(v["h"], abs=1e-5)
    for gate in "ifo":  # the recomputed pre-activations give the gates the model computed
        assert 1 / (1 + np.exp(-v[f"pre_{gate}"])) == pytest.approx(v[gate], abs=1e-5)
    assert np.tanh(v["pre_g"]) == pytest.approx(v["g"], abs=1e-5)
    kept_more = abs(v["f·c_prev"]) >= abs(v["i·g"])
    assert eq.dominant.startswith("the old cell state" if kept_more else "the new candidate")
    assert any("c_t = f·c_t−1 + i·g" in line for line in eq.lines)


def test_gru_state_mixes_candidate_and_old_state_by_z_and_shows_what_r_did():
    model, prev, acts, ch = stepped("gru", embed=3)
    eq = explain_unit(model, 1, 2, ch, prev, acts)
    v = eq.values
    assert (1 - v["z"]) * v["n"] + v["z"] * v["h_prev"] == pytest.approx(v["h"], abs=1e-5)
    assert np.tanh(v["n_input"] + v["r"] * v["n_recurrent"]) == pytest.approx(v["n"], abs=1e-5)
    assert v["n_without_reset"] == pytest.approx(np.tanh(v["n_input"] + v["n_recurrent"]), abs=1e-6)
    assert ("old state" in eq.dominant) == (v["z"] >= 0.5)
    assert any("z near 1 keeps the old state" in line for line in eq.lines)


def test_gru_with_z_held_at_one_keeps_the_old_state():
    model, prev, _, ch = stepped("gru")
    model.clamp = {0: {"z": (np.array([1]), np.array([1.0], dtype=np.float32))}}
    _, _, acts = model.step(prev.copy(), ch)
    eq = explain_unit(model, 0, 1, ch, prev, acts)
    assert eq.values["h"] == pytest.approx(eq.values["h_prev"], abs=1e-6)
    assert "old state dominated" in eq.dominant and eq.clamped == {"z"}
    assert any("← clamped" in line for line in eq.lines)


def test_rnn_preactivation_splits_into_input_recurrence_and_bias():
    model, prev, acts, ch = stepped("rnn", layers=1)
    eq = explain_unit(model, 0, 4, ch, prev, acts)
    v = eq.values
    assert np.tanh(v["input"] + v["recurrent"] + v["bias"]) == pytest.approx(v["h"], abs=1e-5)
    # one-hot input: W_ih x is the character's column
    assert v["input"] == pytest.approx(float(model.tensors["rnn.weight_ih_l0"][4, ch]), abs=1e-6)
    assert ("input dominated" in eq.dominant) == (abs(v["input"]) >= abs(v["recurrent"]))


def test_a_unit_or_layer_that_does_not_exist_is_refused():
    model, prev, acts, ch = stepped("rnn", layers=1)
    with pytest.raises(ValueError, match="layer 2 does not exist"):
        explain_unit(model, 1, 0, ch, prev, acts)
    with pytest.raises(ValueError, match="unit 6 does not exist"):
        explain_unit(model, 0, 6, ch, prev, acts)
