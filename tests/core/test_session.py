"""The timeline: rewind restores the exact state, replay repeats, a new choice branches."""

import numpy as np
import pytest

from rnn_tui.core.cells import Config, Model
from rnn_tui.core.sampling import Sampler, entropy, uniform
from rnn_tui.core.session import (
    FORCED,
    MAX_INTERVAL,
    PICKED,
    PRIMED,
    SAMPLED,
    SNAPSHOT_BYTES_PER_STEP,
    Session,
)
from rnn_tui.tui.engine.display_cache import DisplayCache
from tests.factories import ASCII_VOCAB, random_tensors


def make_session(cell="lstm", seed=0, interval=16, **sampler):
    config = Config(cell, 2, 24, len(ASCII_VOCAB))
    model = Model(config, random_tensors(config, seed=1, scale=0.6))
    return Session(model, ASCII_VOCAB, prime="To be", sampler=Sampler(seed=seed, **sampler), interval=interval)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_rewind_restores_exact_state_and_replay_repeats_the_text(cell):
    s = make_session(cell)
    s.forward(100)
    text, state, logits, acts = s.text(), s.state.copy(), s.logits.copy(), s.acts.copy()
    for n in (1, 7, 16, 33, 100):
        s.back(n)
        assert s.cursor == max(0, 104 - n)
        s.forward(104 - s.cursor)
        assert s.text() == text
        assert np.array_equal(s.state, state) and np.array_equal(s.logits, logits) and np.array_equal(s.acts, acts)


def test_state_after_rewind_equals_a_fresh_run_to_that_point():
    s = make_session()
    s.forward(80)
    s.back(37)
    final, logits, acts = s.model.run(s.ids())
    assert np.array_equal(s.state, final)
    assert np.array_equal(s.logits, logits[-1])
    window_acts, window_logits = DisplayCache(s).window(0, s.cursor + 1)  # display values: equal to rounding
    assert np.abs(window_acts - acts).max() <= 1e-5 and np.abs(window_logits - logits).max() <= 1e-5


def test_choosing_another_character_branches_and_drops_the_old_future():
    s = make_session()
    s.forward(50)
    old = s.text()
    s.back(20)
    here = s.cursor
    other = (int(s.ids(here + 1, here + 2)[0]) + 1) % len(ASCII_VOCAB)
    s.choose(other, PICKED)
    assert s.length == here + 2 and not s.can_redo
    assert s.text()[:-1] == old[: here + 1]
    assert s.kind(s.cursor) == PICKED
    s.forward(10)
    _, _, acts = s.model.run(s.ids())
    assert np.array_equal(s.acts, acts[-1])


def test_choosing_the_character_already_next_replays_instead_of_branching():
    s = make_session()
    s.forward(30)
    s.back(10)
    nxt = int(s.ids(s.cursor + 1, s.cursor + 2)[0])
    s.choose(nxt)
    assert s.length == 35 and s.can_redo


def test_same_seed_and_same_actions_give_the_same_text_and_another_seed_another():
    def play(seed):
        s = make_session(seed=seed)
        s.forward(40)
        s.back(15)
        s.choose(ASCII_VOCAB.index["e"], FORCED)
        s.forward(30)
        s.feed("\nHAMLET:")
        s.forward(20)
        return s.text()

    assert play(3) == play(3)
    assert play(3) != play(4)


def test_kinds_record_how_each_character_was_chosen():
    s = make_session()
    s.forward(3)
    s.choose(ASCII_VOCAB.index["x"], FORCED)
    assert [s.kind(p) for p in range(s.length)] == [PRIMED] * 5 + [SAMPLED] * 3 + [FORCED]


def test_feed_rejects_characters_outside_the_vocabulary_and_changes_nothing():
    s = make_session()
    s.forward(5)
    before = s.text()
    with pytest.raises(ValueError, match="not in the model's vocabulary"):
        s.feed("héllo")
    assert s.text() == before


def test_history_costs_bytes_per_step_not_kilobytes():
    config = Config("lstm", 2, 256, len(ASCII_VOCAB))
    s = Session(Model(config, random_tensors(config)), ASCII_VOCAB, prime="a")
    s.forward(6000)
    # 4 bytes of records a character, and the snapshots within their share (the first one, of the
    # initial state, is extra: 5 % at this length)
    assert s.interval == 256
    assert s.memory_bytes() / s.length <= 4 + SNAPSHOT_BYTES_PER_STEP * 1.05


class StepCounter:
    """A session listener that counts the model steps the session computes."""

    def __init__(self) -> None:
        self.steps = 0

    def stepped(self, position: int, acts: np.ndarray, logits: np.ndarray) -> None:
        self.steps += 1

    def truncated(self, length: int) -> None:
        pass


@pytest.mark.parametrize(("cell", "layers", "hidden", "interval"), [
    ("lstm", 2, 256, 256), ("gru", 2, 256, 128), ("rnn", 2, 256, 128), ("rnn", 1, 8, 16), ("lstm", 3, 256, 256),
])
def test_snapshots_cost_at_most_16_bytes_a_step_and_a_rewind_replays_from_the_one_before(cell, layers, hidden,
                                                                                        interval):
    config = Config(cell, layers, hidden, len(ASCII_VOCAB))
    s = Session(Model(config, random_tensors(config)), ASCII_VOCAB, prime="a")
    s.forward(4 * interval)  # the ring of recent steps holds the last two intervals of it
    assert s.interval == interval <= MAX_INTERVAL
    # 4 bytes of records a character; the rest is the snapshots, the initial state's included
    snapshot_bytes = s.memory_bytes() - 4 * s.length - s.state.nbytes
    assert snapshot_bytes == 4 * s.state.nbytes  # one every `interval` steps
    assert snapshot_bytes / s.length <= SNAPSHOT_BYTES_PER_STEP or interval == MAX_INTERVAL
    # the farthest a rewind replays: to a block's first position, from the snapshot before it (the
    # position before is computed too, for the probability of the character taken)
    counter = StepCounter()
    s.listeners.append(counter)
    for position, replayed in ((interval, interval + 1), (2 * interval - 1, interval), (interval + 1, 0)):
        counter.steps = 0
        s.seek(position)
        assert counter.steps == replayed, position
    assert s.length == 4 * interval + 1  # seeking lost nothing


def test_argmax_mode_and_zero_temperature_are_greedy():
    for sampler in ({"mode": "argmax"}, {"temperature": 0.0}):
        s = make_session(**sampler)
        for _ in range(20):
            expected = int(np.argmax(s.logits))
            assert s.step() == expected


def test_top_k_never_samples_outside_the_k_best():
    s = make_session(mode="top-k", top_k=3, temperature=2.0)
    for _ in range(60):
        best = set(np.argsort(-s.logits)[:3].tolist())
        assert s.step() in best


def test_top_p_keeps_the_smallest_set_reaching_p():
    sampler = Sampler(mode="top-p", top_p=0.5)
    p = sampler.distribution(np.log(np.array([0.4, 0.3, 0.2, 0.1])))
    assert np.count_nonzero(p) == 2 and p[0] == pytest.approx(0.4 / 0.7)


def test_temperature_sharpens_and_flattens():
    logits = np.array([2.0, 1.0, 0.0])
    cold = Sampler(temperature=0.5).distribution(logits)
    hot = Sampler(temperature=2.0).distribution(logits)
    assert entropy(cold) < entropy(Sampler().distribution(logits)) < entropy(hot)


def test_uniform_depends_only_on_seed_and_position():
    assert uniform(1, 10) == uniform(1, 10)
    values = [uniform(1, i) for i in range(20000)]
    assert 0 <= min(values) and max(values) < 1
    assert abs(np.mean(values) - 0.5) < 0.01
    assert uniform(1, 10) != uniform(2, 10)


def test_bad_sampler_settings_are_refused():
    for bad in ({"temperature": -1}, {"mode": "beam"}, {"top_k": 0}, {"top_p": 0}):
        with pytest.raises(ValueError):
            Sampler(**bad)


def test_series_matches_window_and_revision_counts_branches():
    s = make_session()
    cache = DisplayCache.following(s)
    s.forward(60)
    acts, _ = cache.window(10, 50)
    assert np.array_equal(cache.series(10, 50, 1, 2, slice(3, 9)), acts[:, 1, 2, 3:9])
    assert s.kinds(0, 6) == bytes([PRIMED] * 5 + [SAMPLED])
    ids = s.ids()
    s.step()  # a caller holding ids() must not block the timeline from growing
    assert len(ids) == 65
    r = s.revision
    s.back(3)
    s.forward(3)
    assert s.revision == r
    s.back(3)
    s.choose((int(s.ids(s.cursor + 1, s.cursor + 2)[0]) + 1) % len(ASCII_VOCAB))
    assert s.revision == r + 1


def test_display_blocks_never_leak_into_the_exact_state():
    s = make_session(interval=16)
    cache = DisplayCache.following(s)
    cache.max_blocks = 3  # force evictions and recomputation
    s.forward(200)
    text, state = s.text(), s.state.copy()
    for start in (0, 40, 120, 7):
        cache.series(start, start + 70, 1, 0)  # batched display values, blocks recomputed
    s.back(150)
    final, logits, acts = s.model.run(s.ids())
    assert np.array_equal(s.state, final) and np.array_equal(s.logits, logits[-1])
    s.forward(150)
    assert s.text() == text and np.array_equal(s.state, state)
    all_acts = s.model.run(s.ids())[2]
    assert np.abs(cache.series(0, s.length, 0, 2) - all_acts[:, 0, 2]).max() <= 1e-5


def test_prepare_on_a_worker_thread_while_the_timeline_branches():
    import threading

    s = make_session(interval=16)
    cache = DisplayCache.following(s)
    s.forward(300)
    worker = threading.Thread(target=cache.prepare, args=(0, 305))
    worker.start()
    s.back(100)
    s.choose((int(s.ids(s.cursor + 1, s.cursor + 2)[0]) + 1) % len(ASCII_VOCAB))
    s.forward(50)
    worker.join()
    _, _, acts = s.model.run(s.ids())
    assert np.abs(cache.series(0, s.length, 1, 0) - acts[:, 1, 0]).max() <= 1e-5
    assert cache.missing(0, s.length) == 0


def test_a_rewind_through_recent_steps_uses_their_exact_activations_and_a_far_one_replays():
    s = make_session(interval=16)
    s.forward(100)
    s.back(20)  # within the ring of recent steps
    final, logits, acts = s.model.run(s.ids())
    assert np.array_equal(s.state, final) and np.array_equal(s.acts, acts[-1])
    s._ring_at[:] = -1  # as if those steps had left the ring: a replay from a snapshot
    s.forward(20)
    s.back(60)
    final, logits, acts = s.model.run(s.ids())
    assert np.array_equal(s.state, final) and np.array_equal(s.logits, logits[-1])


def test_the_display_cache_follows_the_session_and_forgets_a_branch():
    s = make_session(interval=16)
    cache = DisplayCache.following(s)
    s.forward(40)
    assert cache.missing(16, s.cursor + 1) == 0  # played steps fill their blocks as they happen
    before = cache.series(0, s.length, 1, 0).copy()
    s.back(10)
    s.choose((int(s.ids(s.cursor + 1, s.cursor + 2)[0]) + 1) % len(ASCII_VOCAB))
    s.forward(9)
    after = cache.series(0, s.length, 1, 0)
    _, _, acts = s.model.run(s.ids())
    assert np.abs(after - acts[:, 1, 0]).max() <= 1e-5
    assert np.array_equal(after[:35], before[:35]) and not np.array_equal(after[36:], before[36:])


def test_logits_at_a_recent_position_are_the_exact_ones():
    s = make_session()
    cache = DisplayCache.following(s)
    s.forward(30)
    _, logits, _ = s.model.run(s.ids())
    assert np.array_equal(cache.logits_at(s.cursor - 1), logits[-2])
