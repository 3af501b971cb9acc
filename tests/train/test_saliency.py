import numpy as np
import pytest

from rnn_tui.core.cells import Config, Model
from tests.analysis.handmade import delay_line_rnn
from tests.factories import random_tensors

torch = pytest.importorskip("torch")

from rnn_tui.train.saliency import saliency_curve  # noqa: E402


def test_the_gradient_reaches_only_the_input_the_delay_line_copies():
    model = delay_line_rnn(3, gain=1.0)  # a small gain keeps tanh off saturation, so gradients flow
    lags, rel = saliency_curve(model, np.array([0, 1, 1, 0, 1, 0, 0, 1]), max_lag=8)
    assert lags.tolist() == list(range(1, 9))
    assert np.nonzero(rel > 1e-6)[0].tolist() == [2]  # lag 3


def test_starting_mid_text_uses_the_numpy_state_and_matches_the_whole_run():
    config = Config("lstm", 2, 12, 6)
    model = Model(config, random_tensors(config, seed=2, scale=0.7))
    ids = np.random.default_rng(0).integers(0, 6, 40)
    _, whole = saliency_curve(model, ids, max_lag=40)
    _, window = saliency_curve(model, ids, max_lag=15)
    np.testing.assert_allclose(window, whole[:15], rtol=1e-3, atol=1e-7)
