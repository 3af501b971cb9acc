"""Fast typing, pastes and key mashes: the viewer stays up, and q still quits it cleanly."""

from __future__ import annotations

import random

import pytest
from textual import events

from rnn_tui.tui.app import RnnApp

from .test_tui import SIZE, app_for, sync

CHARS = {"enter": "\r", "escape": "\x1b", "space": " ", "tab": "\t", "question_mark": "?"}


def burst(app: RnnApp, keys: list[str]) -> None:
    """Queue key events all at once, as a paste or a slow SSH link delivers them: no pause in between."""
    for key in keys:
        char = CHARS.get(key, key if len(key) == 1 else None)
        app.post_message(events.Key(key, char))


# every dialog (opened by its key), then its answer twice over in one burst
BURSTS = [
    ["f", "1", "2"], ["f", "enter", "enter"], ["f", "escape", "escape"],
    ["n", "5", "enter", "enter"], ["n", "escape", "escape"],
    ["p", "1", "enter", "enter"], ["p", "enter", "enter"], ["p", "escape", "escape"],
    ["question_mark", "escape", "escape"], ["question_mark", "question_mark", "escape"],
]


@pytest.mark.parametrize("keys", BURSTS, ids=["+".join(k) for k in BURSTS])
@sync
async def test_a_dialog_answered_twice_in_one_burst_closes_once(lstm_checkpoint, keys):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(keys[0])
        await pilot.pause()
        assert len(app.screen_stack) == 2
        burst(app, keys[1:])
        await pilot.pause()
        await pilot.pause()
        assert app.is_running and app.return_code is None and len(app.screen_stack) == 1


async def close_dialogs_and_quit(app, pilot) -> None:
    while len(app.screen_stack) > 1:
        await pilot.press("escape")
    await pilot.press("q")
    await pilot.pause()


@sync
async def test_every_dialogs_keys_in_one_burst_leave_the_app_running(lstm_checkpoint):
    app = app_for(lstm_checkpoint)
    async with app.run_test(size=SIZE) as pilot:
        burst(app, [k for keys in BURSTS for k in keys])
        await pilot.pause()
        await pilot.pause()
        assert app.is_running and app.return_code is None
        await close_dialogs_and_quit(app, pilot)
    assert app.return_code == 0


MASH_KEYS = ["space", "right", "left", "full_stop", "comma", "right_square_bracket", "left_square_bracket", "plus",
             "minus", "t", "T", "m", "1", "2", "3", "4", "5", "f", "p", "r", "l", "L", "g", "c", "s", "o", "z", "n",
             "up", "down", "k", "j", "h", "semicolon", "shift+left", "shift+right", "question_mark", "escape",
             "enter", "tab", "a", "x", "0", "9", "backspace"]


@sync
async def test_a_seeded_mash_of_2000_keys_leaves_the_app_alive_and_q_quits_it(lstm_checkpoint):
    rng = random.Random(8)
    app = app_for(lstm_checkpoint, speed=50)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            burst(app, [rng.choice(MASH_KEYS) for _ in range(40)])  # 2,000 keys in bursts of 40
            await pilot.pause()
            assert app.is_running and app.return_code is None
        await close_dialogs_and_quit(app, pilot)  # whatever dialog the mash left open, then q
    assert app.return_code == 0
