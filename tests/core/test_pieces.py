"""Reading a text as pieces side by side (core/pieces.py), and a loss scored that way."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tui.core.cells import Config, Model
from rnn_tui.core.cells.model import cross_entropy_sum
from rnn_tui.core.pieces import layout, stream_count

from ..factories import random_tensors


@pytest.mark.parametrize("T,streams,warmup", [(1, 4, 64), (500, 4, 64), (5_000, 8, 64), (9_999, 64, 100),
                                              (20_000, 64, 64), (3_000, 1, 64)])
def test_each_character_is_read_as_its_own_once_after_its_warmup(T, streams, warmup):
    lay = layout(T, streams, warmup)
    B = stream_count(T, streams, warmup)
    assert lay.streams == B and B <= max(1, streams)
    assert B == 1 or T // B >= 8 * warmup  # warming up costs at most an eighth more
    assert np.array_equal(np.sort(lay.pos[lay.keep]), np.arange(T))  # every character once
    for b in range(B):
        own = np.flatnonzero(lay.keep[b])
        assert np.array_equal(np.diff(own), np.ones(len(own) - 1, int))  # contiguous in the stream ...
        assert np.array_equal(np.diff(lay.pos[b, own]), np.ones(len(own) - 1, int))  # ... and in the text
        first = lay.pos[b, own[0]]
        assert own[0] == min(first, warmup)  # read after the characters just before it, from the text's start
        assert np.array_equal(lay.pos[b, : own[0]], np.arange(first - own[0], first))


def test_nll_is_each_piece_read_after_its_warmup_from_a_zero_state():
    config = Config("lstm", 2, 16, 11)
    model = Model(config, random_tensors(config, seed=4, scale=0.6))
    ids = np.random.default_rng(5).integers(0, 11, 3_001)
    lay = layout(3_000, 4, 100)
    assert lay.streams == 3
    total = 0.0
    for b in range(lay.streams):  # by hand: each piece alone, its warm-up read first and not scored
        pos = lay.pos[b][lay.keep[b]]
        start = pos[0] - min(pos[0], 100)
        _, logits, _ = model.forward(ids[start : pos[-1] + 1])
        total += cross_entropy_sum(logits[pos[0] - start :], ids[pos + 1])
    assert model.nll(ids, streams=4, warmup=100) == pytest.approx(total / 3_000, abs=1e-6)
    exact = model.nll(ids, streams=1)
    assert model.nll(ids, streams=4, warmup=100) != exact  # a different reading, near the exact one
    assert model.nll(ids, streams=4, warmup=100) == pytest.approx(exact, abs=0.01)
