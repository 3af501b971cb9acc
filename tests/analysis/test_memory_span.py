import numpy as np
import pytest

from rnn_tui.analysis.memory_span import (
    bundled_per_cell,
    lag_grid,
    memory_span,
    random_replacements,
    spread_positions,
    straightforward_span,
)
from rnn_tui.core.cells import Config, Model
from tests.factories import random_tensors

from .handmade import delay_line_rnn, memoryless_rnn


def test_a_model_whose_state_is_reset_every_step_has_memory_span_one():
    model = memoryless_rnn()
    ids = np.random.default_rng(0).integers(0, 4, 60)
    curve = memory_span(model, ids, lags=range(1, 40))
    assert curve.kl[0, 0] > 1e-2
    assert np.all(curve.kl[0, 1:] < 1e-9)
    assert curve.span(threshold=1e-6) == 1


@pytest.mark.parametrize("delay", [1, 3, 7])
def test_a_unit_copying_the_input_k_steps_back_shows_influence_exactly_at_k(delay):
    model = delay_line_rnn(delay)
    ids = np.random.default_rng(delay).integers(0, 2, 50)
    curve = memory_span(model, ids, lags=range(1, 25))
    influential = curve.lags[curve.kl[0] > 1e-6]
    assert influential.tolist() == [delay]
    assert curve.kl[0, delay - 1] > 0.5


def test_batched_reruns_agree_with_stepping_each_rerun_alone():
    config = Config("lstm", 2, 24, 10)
    model = Model(config, random_tensors(config, seed=3, scale=0.6))
    ids = np.random.default_rng(1).integers(0, 10, 45)
    repl = random_replacements(ids[::-1][:30], 10, 2, np.random.default_rng(5))
    # memory_span draws the same replacements when given the same generator
    curve = memory_span(model, ids, lags=range(1, 31), replacements=2, rng=np.random.default_rng(5))
    reference = straightforward_span(model, ids, 30, repl)
    np.testing.assert_allclose(curve.kl[0], reference, rtol=2e-3, atol=1e-7)


def test_random_replacements_never_repeat_the_original():
    orig = np.array([0, 1, 2, 3] * 50)
    repl = random_replacements(orig, 4, 5, np.random.default_rng(0))
    assert not (repl == orig[:, None]).any()
    assert set(np.unique(repl)) == {0, 1, 2, 3}


def test_a_window_longer_than_the_history_stops_at_the_first_character():
    model = memoryless_rnn()
    curve = memory_span(model, [0, 1, 2, 3, 0, 1], lags=range(1, 201))
    assert curve.lags.tolist() == [1, 2, 3, 4, 5, 6]
    assert curve.clipped and curve.requested_lag == 200


def test_no_history_or_bad_lags_are_refused_with_a_reason():
    model = memoryless_rnn()
    with pytest.raises(ValueError, match="at least one character"):
        memory_span(model, [])
    with pytest.raises(ValueError, match="lags must be 1 or more"):
        memory_span(model, [0, 1], lags=[0, 1])
    with pytest.raises(ValueError, match="outside the vocabulary"):
        memory_span(model, [0, 1], chosen=9)


def test_a_chosen_replacement_equal_to_the_original_gives_no_value():
    model = delay_line_rnn(2)
    ids = [0, 1, 0, 0, 1]
    curve = memory_span(model, ids, lags=[1, 2, 3], chosen=0)
    # lag 1 is ids[4] = 1 (changed), lag 2 is ids[3] = 0 (same as the chosen one), lag 3 is ids[2] = 0
    assert np.isnan(curve.kl[0, 1]) and np.isnan(curve.kl[0, 2])
    assert curve.kl[0, 0] < 1e-9


def test_a_clamp_on_the_copying_unit_removes_the_memory():
    model = delay_line_rnn(3)
    model.clamp = {0: {"h": (np.array([2]), np.array([0.0], dtype=np.float32))}}
    curve = memory_span(model, np.random.default_rng(0).integers(0, 2, 30), lags=range(1, 10))
    assert np.all(curve.kl[0] < 1e-9)


def test_the_median_over_positions_is_taken_lag_by_lag():
    model = delay_line_rnn(4)
    ids = np.random.default_rng(2).integers(0, 2, 80)
    curve = memory_span(model, ids, positions=[30, 50, 79], lags=lag_grid(25))
    assert curve.kl.shape == (3, len(curve.lags))
    assert curve.span(threshold=1e-6) == 4
    np.testing.assert_allclose(curve.median(), np.median(curve.kl, axis=0))


def test_the_lag_grid_is_dense_near_and_sparse_far():
    grid = lag_grid(200)
    assert grid[:10].tolist() == list(range(1, 11))
    assert grid[-1] == 200 and 20 in grid and len(grid) <= 24 and np.all(np.diff(grid) > 0)
    assert lag_grid(5).tolist() == [1, 2, 3, 4, 5]


def test_positions_for_a_median_are_spread_over_the_text_with_a_full_window_behind_each():
    pos = spread_positions(1000, 200, 5)
    assert pos.tolist() == [199, 399, 599, 799, 999]
    with pytest.raises(ValueError, match="more than 200 characters"):
        spread_positions(150, 200, 5)


def test_one_bundled_model_per_cell_type_that_knows_the_text_prefers_the_same_corpus():
    found = bundled_per_cell("ROMEO:\nWhat, ho!", "shakespeare.txt")
    assert set(found) <= {"rnn", "gru", "lstm", "transformer"}
    assert all(not c.vocab.unknown("ROMEO:\nWhat, ho!") for c in found.values())
    assert all(c.provenance.get("corpus") == "shakespeare.txt" for c in found.values())
