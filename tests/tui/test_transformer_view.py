"""The viewer on a transformer: the same keys give the same screens as on an RNN, and the attention
panel shows which character each head reads."""

from __future__ import annotations

import numpy as np
import pytest

from rnn_tui.core.checkpoint import save
from rnn_tui.core.vocab import Vocab
from rnn_tui.tui.panels.attention import AttentionPanel
from tests.analysis.test_transformer_span import lag_reader
from tests.tui.test_tui import SIZE, app_for, painted, press, sync


async def settled(app, pilot) -> str:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    return painted(app)


@pytest.mark.parametrize("fixture", ["transformer_checkpoint", "lstm_checkpoint"])
@sync
async def test_step_rewind_and_replay_give_the_same_screens(fixture, request):
    app = app_for(request.getfixturevalue(fixture))
    async with app.run_test(size=SIZE) as pilot:
        s = app.session
        await press(pilot, *["right_square_bracket"] * 9)  # past the random transformer's 64-character window
        screen = await settled(app, pilot)
        text, acts = s.text(), s.acts.copy()
        await press(pilot, *["left_square_bracket"] * 7, "left")
        assert s.cursor == len(text) - 72
        await press(pilot, "right", *["right_square_bracket"] * 7)
        assert s.text() == text
        np.testing.assert_array_equal(s.acts, acts)
        assert await settled(app, pilot) == screen
        await press(pilot, "left")
        await press(pilot, "right")
        assert await settled(app, pilot) == screen


@pytest.mark.parametrize("k", [1, 3, 7])
@sync
async def test_the_attention_panel_shows_the_head_reading_lag_k(k, tmp_path):
    model = lag_reader(k)
    vocab = Vocab("abcd \n")
    path = save(tmp_path / f"lag{k}.safetensors", model.config, vocab, model.tensors, {"corpus": "hand-built"})
    app = app_for(path, prime="abcd dcba cab")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, *["right"] * 5)
        panel = app.query_one(AttentionPanel)
        await settled(app, pilot)
        s = app.session
        window = s.ids(0)[-len(panel.window):]
        assert panel.weights.shape == (1, len(window))
        assert int(np.argmax(panel.weights[0])) == len(window) - k
        shown = painted(app)
        expected = vocab.glyphs[int(window[-k])]
        assert f"strongest h1: lag {k} {expected!r}" in shown
