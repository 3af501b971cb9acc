import numpy as np
import pytest

from rnn_tui.analysis.sampling_view import stages
from rnn_tui.core.sampling import Sampler, softmax

LOGITS = np.array([2.0, 0.5, 1.0, -1.0, 0.0, 1.5])


def test_at_temperature_one_without_a_cut_every_stage_is_the_model():
    s = stages(LOGITS, Sampler(temperature=1.0))
    np.testing.assert_allclose(s.model, s.tempered)
    np.testing.assert_allclose(s.model, s.sampled)
    assert s.order.tolist() == [0, 5, 2, 1, 4, 3]
    assert "leaves" in s.lines[0]


def test_a_low_temperature_sharpens_and_a_high_one_flattens():
    cold, hot = stages(LOGITS, Sampler(temperature=0.5)), stages(LOGITS, Sampler(temperature=2.0))
    np.testing.assert_allclose(cold.tempered, softmax(LOGITS[cold.order] / 0.5))
    assert cold.tempered[0] > cold.model[0] > hot.tempered[0]
    assert "sharpens" in cold.lines[0] and "flattens" in hot.lines[0]


def test_temperature_zero_is_one_hot_on_the_top_character():
    s = stages(LOGITS, Sampler(temperature=0.0))
    assert s.tempered.tolist() == [1.0, 0, 0, 0, 0, 0] and s.sampled[0] == 1.0
    assert "argmax" in s.lines[0]


def test_top_k_keeps_k_characters_renormalised():
    s = stages(LOGITS, Sampler(temperature=1.0, mode="top-k", top_k=2))
    assert (s.sampled > 0).sum() == 2
    assert s.sampled.sum() == pytest.approx(1.0)
    assert s.sampled[0] / s.sampled[1] == pytest.approx(s.model[0] / s.model[1])
    assert "top-k 2 keeps 2 of 6 characters" in s.lines[1]


def test_top_p_keeps_the_smallest_set_reaching_p():
    s = stages(LOGITS, Sampler(temperature=1.0, mode="top-p", top_p=0.6))
    kept = int((s.sampled > 0).sum())
    assert s.model[: kept - 1].sum() < 0.6 <= s.model[:kept].sum()
    assert "top-p 0.6 keeps" in s.lines[1]
