"""The training-time keys: `<` and `>` run the same prime and seed through the model's training snapshots."""

from __future__ import annotations

import shutil

import numpy as np

from rnn_tui.tui.panels import StatusPanel
from tests.factories import write_snapshots

from .test_tui import app_for, press, sync


def _notices(app) -> list[str]:
    return [n.message for n in app._notifications]


async def replay(pilot, *keys: str) -> None:
    """Press the keys, then wait for the replays they started on a worker to end (presses made during one
    are taken together in the next)."""
    await press(pilot, *keys)
    while pilot.app.replaying:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@sync
async def test_earlier_snapshots_regenerate_the_same_length_and_later_comes_back(lstm_checkpoint, tmp_path):
    path = tmp_path / "m.safetensors"
    shutil.copy(lstm_checkpoint, path)
    write_snapshots(path, steps=(0, 50, 200))
    app = app_for(path, prime="The cat")
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, *["right_square_bracket"] * 3)
        trained_text, cursor, trained_model = app.session.text(), app.session.cursor, app.session.model
        await replay(pilot, "less_than_sign")
        assert app.session.model is not trained_model
        assert app.session.cursor == cursor and app.session.text().startswith("The cat")
        assert app.session.text() != trained_text  # other weights, another text
        assert "training step 200 of" in _notices(app)[-1]
        await pilot.pause()
        status = app.query_one(StatusPanel).text.plain
        assert "snapshot 3/4 · step 200" in status  # stays on the status line, not only a fading note
        await replay(pilot, "less_than_sign", "less_than_sign")
        assert "training step 0 of" in _notices(app)[-1]
        step0 = app.session.text()
        await replay(pilot, "less_than_sign")
        assert "already at the first snapshot" in _notices(app)[-1] and app.session.text() == step0
        await replay(pilot, *["greater_than_sign"] * 3)
        assert app.session.text() == trained_text  # same prime, same seed, same model: same text
        assert "trained model" in _notices(app)[-1]
        await pilot.pause()
        assert "snapshot" not in app.query_one(StatusPanel).text.plain
        assert np.isfinite(app.stats.scale).all()
        await press(pilot, "q")


@sync
async def test_without_snapshots_the_key_says_so(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(80, 24)) as pilot:
        text = app.session.text()
        await replay(pilot, "greater_than_sign")
        assert "no training snapshots beside this model" in _notices(app)[-1]
        assert app.session.text() == text
        await press(pilot, "q")
