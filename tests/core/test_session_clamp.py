"""Clamps in the timeline: recorded per position, respected by rewind, replay and display values."""

import numpy as np
import pytest

from rnn_tui.core.cells import Config, Model
from rnn_tui.core.sampling import Sampler
from rnn_tui.core.session import MAX_CLAMPS, Session
from rnn_tui.tui.engine.display_cache import DisplayCache
from tests.factories import ASCII_VOCAB, random_tensors

HOLD = {1: {"h": (np.array([3, 5]), np.array([0.9, -0.9], dtype=np.float32))}}
GATE = {0: {"f": (np.arange(24), np.zeros(24, dtype=np.float32))}}


def make_session(interval=16, seed=0):
    config = Config("lstm", 2, 24, len(ASCII_VOCAB))
    model = Model(config, random_tensors(config, seed=1, scale=0.6))
    return Session(model, ASCII_VOCAB, prime="To be", sampler=Sampler(seed=seed), interval=interval)


def stepped_by_hand(s: Session) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every character up to the cursor stepped under the clamp recorded for it."""
    state = s.model.initial_state()
    ids, clamps = s.ids(), s.clamp_ids()
    for i, c in zip(ids, clamps, strict=True):
        state, logits, acts = s.model_for(c).step(state, int(i))
    return state, logits, acts


def test_each_character_records_the_clamp_it_was_written_under():
    s = make_session()
    s.forward(10)
    s.set_clamp(HOLD, "clamp L2 h[3,5]")
    s.forward(10)
    s.set_clamp(None, "")
    s.forward(5)
    assert list(s.clamp_ids()) == [0] * 15 + [1] * 10 + [0] * 5
    assert np.all(s.acts[1, -1, [3, 5]] != np.array([0.9, -0.9], dtype=np.float32))
    s.back(6)
    assert np.allclose(s.acts[1, -1, [3, 5]], [0.9, -0.9])  # the step there ran clamped


def test_a_far_rewind_and_replay_use_the_recorded_clamps_bit_for_bit():
    s = make_session()
    s.set_clamp(GATE, "clamp L1 f[all]=0")
    s.forward(40)
    s.set_clamp(HOLD, "clamp L2 h[3,5]")
    s.forward(40)
    s.set_clamp(None, "")
    s.forward(40)
    text, state = s.text(), s.state.copy()
    s.seek(10)  # far beyond the ring of recent steps: replayed from a snapshot
    assert s.clamp_label == "clamp L1 f[all]=0"  # a rewind takes the clamp the text ahead had
    s.seek(60)
    assert s.clamp_label == "clamp L2 h[3,5]"
    ref_state, ref_logits, _ = stepped_by_hand(s)
    assert np.array_equal(s.state, ref_state) and np.array_equal(s.logits, ref_logits)
    s.forward(s.length - 1 - s.cursor)
    assert s.text() == text and np.array_equal(s.state, state)


def test_stepping_under_another_clamp_than_the_redo_trail_branches():
    s = make_session()
    s.forward(30)
    s.back(10)
    assert s.replays and s.clamp_label == ""
    revision = s.revision
    s.set_clamp(HOLD, "clamp L2 h[3,5]", tag="pins")
    assert not s.replays
    s.step()
    assert s.revision > revision and not s.can_redo  # the old trail is gone: a branch
    assert s.clamp_ids()[-1] == 1
    s.set_clamp(None, "")
    s.back(1)
    assert s.clamp_label == "clamp L2 h[3,5]" and s.clamp_tag == "pins" and s.replays
    s.set_clamp(None, "")
    s.set_clamp(HOLD, "clamp L2 h[3,5]")  # the same label again: the same clamp, so it replays
    assert s.replays


def test_display_values_follow_the_clamp_of_each_position_even_inside_one_block():
    s = make_session(interval=16)
    s.forward(20)
    s.set_clamp(HOLD, "hold")  # changes in the middle of the second block
    s.forward(30)
    cache = DisplayCache.following(s)
    cache.clear()  # as if long scrolled away: recomputed in batched blocks
    acts, logits = cache.window(0, s.cursor + 1)
    state = s.model.initial_state()
    for t, (i, c) in enumerate(zip(s.ids(), s.clamp_ids(), strict=True)):
        state, lg, ac = s.model_for(c).step(state, int(i))
        assert np.abs(acts[t] - ac).max() <= 1e-5 and np.abs(logits[t] - lg).max() <= 1e-4


def test_too_many_different_clamps_are_refused_with_a_way_out():
    s = make_session()
    for k in range(MAX_CLAMPS):
        s.set_clamp(HOLD, f"clamp {k}")
    with pytest.raises(ValueError, match="restart"):
        s.set_clamp(HOLD, "one more")
