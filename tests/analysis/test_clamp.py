import numpy as np
import pytest

from rnn_tui.analysis.clamp import (
    Pin,
    check_pin,
    describe,
    loss_both_ways,
    model_clamp,
    parse_pin,
    value_range,
)
from rnn_tui.core.cells import CELLS, Config
from rnn_tui.core.sampling import softmax

from .handmade import one_unit_drives_a_logit

W, BIASES = 1.5, np.array([0.0, 0.3, -0.2])  # as one_unit_drives_a_logit sets them


def p_first_by_hand(h_value: float) -> float:
    e = np.exp([W * h_value + BIASES[0], BIASES[1], BIASES[2]])
    return float(e[0] / e.sum())


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("value", [-0.8, 0.0, 0.6])
def test_clamping_the_unit_that_alone_drives_a_logit_gives_the_probability_computed_by_hand(tmp_path, cell, value):
    ckpt = one_unit_drives_a_logit(tmp_path / f"{cell}.safetensors", cell=cell)
    model = ckpt.model()
    model.clamp = model_clamp(ckpt.config, [Pin(0, "h", value, (2,))])
    state = model.initial_state()
    for ch in ckpt.vocab.encode("xyzzy"):
        state, logits, acts = model.step(state, int(ch))
        assert acts[0, -1, 2] == pytest.approx(value)
        assert softmax(logits.astype(np.float64))[0] == pytest.approx(p_first_by_hand(value), abs=1e-6)
    # the teacher-forced run respects the same clamp
    _, logits, _ = model.forward(ckpt.vocab.encode("xyzzy"))
    np.testing.assert_allclose(softmax(logits[-1].astype(np.float64))[0], p_first_by_hand(value), atol=1e-6)


def test_unclamped_the_same_unit_moves_the_probability_and_the_loss_changes_when_clamped(tmp_path):
    ckpt = one_unit_drives_a_logit(tmp_path / "lstm.safetensors")
    model = ckpt.model()
    ids = ckpt.vocab.encode("xyzxxyzyxzxyyx")
    free = model.nll(ids, streams=1)
    model.clamp = model_clamp(ckpt.config, [Pin(0, "h", 0.0, (2,))])
    # h held at 0: every prediction is softmax of the biases alone
    p = softmax(BIASES)
    by_hand = float(-np.log(p[ids[1:]]).mean())
    assert model.nll(ids, streams=1) == pytest.approx(by_hand, abs=1e-5)
    assert free != pytest.approx(by_hand, abs=1e-3)


def test_closing_the_whole_output_gate_silences_h(tmp_path):
    ckpt = one_unit_drives_a_logit(tmp_path / "lstm.safetensors")
    model = ckpt.model()
    model.clamp = model_clamp(ckpt.config, [Pin(0, "o", 0.0)])
    _, logits, acts = model.forward(ckpt.vocab.encode("xyzx"), capture=True)
    assert np.all(acts[:, 0, -1] == 0)
    np.testing.assert_allclose(softmax(logits[-1].astype(np.float64))[0], p_first_by_hand(0.0), atol=1e-6)


def test_a_value_outside_the_quantity_range_is_refused():
    lstm = Config("lstm", 2, 8, 5)
    with pytest.raises(ValueError, match="f lies in 0…1; 1.5 is outside its range"):
        check_pin(lstm, Pin(0, "f", 1.5))
    with pytest.raises(ValueError, match="h lies in -1…1"):
        check_pin(lstm, Pin(1, "h", -2.0, (3,)))
    check_pin(lstm, Pin(1, "c", 25.0, (3,)))  # the cell state is unbounded
    with pytest.raises(ValueError, match="no quantity 'c'"):
        check_pin(Config("gru", 1, 8, 5), Pin(0, "c", 0.0))
    with pytest.raises(ValueError, match="layer 3 does not exist"):
        check_pin(lstm, Pin(2, "h", 0.0))
    with pytest.raises(ValueError, match="unit 8 does not exist"):
        check_pin(lstm, Pin(0, "h", 0.0, (8,)))
    with pytest.raises(ValueError, match="finite"):
        check_pin(lstm, Pin(0, "c", float("nan")))


def test_ranges_follow_the_cell_equations():
    assert value_range(CELLS["lstm"], "i") == (0.0, 1.0)
    assert value_range(CELLS["lstm"], "g") == (-1.0, 1.0)
    assert value_range(CELLS["lstm"], "c") is None
    assert value_range(CELLS["gru"], "z") == (0.0, 1.0)
    assert value_range(CELLS["rnn"], "h") == (-1.0, 1.0)


def test_later_pins_win_and_the_description_lists_every_pin():
    config = Config("gru", 2, 4, 5)
    pins = [Pin(1, "h", 0.5, (1, 2)), Pin(1, "h", -0.5, (2,)), Pin(0, "z", 1.0)]
    clamp = model_clamp(config, pins)
    units, values = clamp[1]["h"]
    assert dict(zip(units.tolist(), values.tolist(), strict=True)) == {1: 0.5, 2: -0.5}
    assert clamp[0]["z"][0].tolist() == [0, 1, 2, 3]
    assert describe(pins) == "clamp L2 h[1,2]=0.5, L2 h[2]=-0.5, L1 z[all]=1"
    assert model_clamp(config, []) is None and describe([]) == ""


def test_what_a_person_types_becomes_a_checked_pin():
    config = Config("lstm", 2, 16, 5)
    assert parse_pin("h 3 0.5", config, layer=1) == Pin(1, "h", 0.5, (3,))
    assert parse_pin("L1 f all = 1", config, layer=1) == Pin(0, "f", 1.0, None)
    assert parse_pin("c 12", config, layer=0) == Pin(0, "c", 0.0, (12,))  # no value: ablate
    assert parse_pin("off", config, layer=0) is None
    with pytest.raises(ValueError, match="o lies in 0…1"):
        parse_pin("o 2 -1", config, layer=0)
    with pytest.raises(ValueError, match="expected"):
        parse_pin("h", config, layer=0)
    with pytest.raises(ValueError, match="must be a number"):
        parse_pin("h x 1", config, layer=0)
    with pytest.raises(ValueError, match="type a quantity"):
        parse_pin("  ", config, layer=0)


def test_the_loss_both_ways_scores_without_and_with_the_clamp_and_leaves_the_model_alone(tmp_path):
    ckpt = one_unit_drives_a_logit(tmp_path / "gru.safetensors", cell="gru")
    model = ckpt.model()
    ids = ckpt.vocab.encode("xyzzyxzyx")
    clamp = model_clamp(ckpt.config, [Pin(0, "h", 0.0, (2,))])
    free, held = loss_both_ways(model, ids, clamp)
    assert free == pytest.approx(model.nll(ids, streams=1))
    assert held == pytest.approx(float(-np.log(softmax(BIASES)[ids[1:]]).mean()), abs=1e-5)
    assert model.clamp is None
