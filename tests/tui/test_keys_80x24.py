"""Every key the help lists does what it says at 80×24, the smallest common SSH window."""

from __future__ import annotations

import shutil

from rnn_tui.tui.app import RnnApp
from rnn_tui.tui.panels.unit_equation import UnitEquationPanel
from rnn_tui.tui.screens.help import help_rows
from tests.factories import write_snapshots

from .test_tui import app_for, press, sync


def snapshot(app) -> tuple:
    s, v, p = app.session, app.view, app.player
    return (s.cursor, s.length, s.text(), s.sampler, v, p.speed, p.playing, len(app.screen_stack),
            type(app.screen).__name__, s.model, s.clamp_label, app.query_one(UnitEquationPanel).has_class("-on"))


# what changes when the key is pressed: each key must change something, and the right thing
EFFECT = {
    "play": lambda a, b: b[6] != a[6], "step": lambda a, b: b[0] == a[0] + 1, "back": lambda a, b: b[0] == a[0] - 1,
    "forward10": lambda a, b: b[0] == a[0] + 10, "back10": lambda a, b: b[0] == a[0] - 10,
    "faster": lambda a, b: b[5] > a[5], "slower": lambda a, b: b[5] < a[5],
    "cooler": lambda a, b: b[3].temperature < a[3].temperature,
    "hotter": lambda a, b: b[3].temperature > a[3].temperature,
    "mode": lambda a, b: b[3].mode != a[3].mode, "reset": lambda a, b: b[1] < a[1],
    "layer_next": lambda a, b: b[4].layer != a[4].layer, "layer_prev": lambda a, b: b[4].layer != a[4].layer,
    "quantity": lambda a, b: b[4].quantity != a[4].quantity, "colour": lambda a, b: b[4].coloured != a[4].coloured,
    "scale": lambda a, b: b[4].shared_scale != a[4].shared_scale, "order": lambda a, b: b[4].order != a[4].order,
    "zoom": lambda a, b: b[4].zoom != a[4].zoom,
    # (the units may be in another order by now: test_tui checks the directions in index order)
    **dict.fromkeys(("unit_up", "unit_down", "unit_prev", "unit_next"), lambda a, b: b[4].unit != a[4].unit),
    **{f"take{k}": (lambda a, b: b[0] == a[0] + 1) for k in range(1, 6)},
    **dict.fromkeys(("train_earlier", "train_later"), lambda a, b: b[9] is not a[9]),
    # a random model carries no known cells: u says so and changes nothing (test_neurons: a bundled one)
    "known_cell": lambda a, b: b[4] == a[4],
    "equation": lambda a, b: b[11] != a[11], "release": lambda a, b: a[10] and not b[10],
    # no lesson is open here, so the lesson's own keys leave everything as it is (test_lessons: with one)
    **dict.fromkeys(("lesson_next", "lesson_back", "lesson_leave"), lambda a, b: b == a),
}
DIALOGS = {"force": "ForceChar", "prime": "PrimePrompt", "goto_unit": "TextPrompt", "help": "HelpScreen",
           "find": "FinderScreen", "clamp": "TextPrompt", "memory_span": "MemorySpanScreen",
           "side_by_side": "SideBySideScreen", "sampling": "SamplingScreen", "lessons": "LessonList",
           "score": "TextPrompt"}


@sync
async def test_every_key_works_at_80_by_24(lstm_checkpoint, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "m.safetensors"  # with training snapshots beside it, for < and >
    shutil.copy(lstm_checkpoint, path)
    write_snapshots(path)
    app = app_for(path, prime="The cat")
    tried = set()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, *["right_square_bracket"] * 4)
        app.view = app.view.select(app.config.hidden // 2)
        await pilot.pause()
        for b in RnnApp.BINDINGS:
            if b.id == "quit":
                continue
            for key in b.key.split(","):
                if b.id == "reset":
                    await press(pilot, "right")
                if b.id == "release":  # something to release
                    app.session.set_clamp({0: {"h": ([0], [0.0])}}, "clamp L1 h[0]=0")
                if b.id == "side_by_side":  # text every bundled model knows (a random model writes anything)
                    app.session.reset("The cat")
                before = snapshot(app)
                await press(pilot, key)
                after = snapshot(app)
                if b.id in DIALOGS:
                    assert after[8] == DIALOGS[b.id], key
                    await press(pilot, "escape")
                elif b.id == "screenshot":
                    assert list(tmp_path.glob("*.svg")), key
                else:
                    assert EFFECT[b.id](before, after), key
                if b.id == "play":
                    await press(pilot, key)  # pause again
                tried.add(b.id)
        await press(pilot, "q")
        assert not app.is_running
    assert tried | {"quit"} == {b.id for b in RnnApp.BINDINGS}
    assert len(help_rows(RnnApp.BINDINGS)) >= 25


@sync
async def test_the_help_shows_every_key_at_80_by_24_without_scrolling(lstm_checkpoint):
    """Every key row is on the first screen of the help at 80×24; the legend under them may need a scroll."""
    from textual.containers import VerticalScroll

    app = app_for(lstm_checkpoint)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "question_mark")
        box = app.screen.query_one(VerticalScroll)
        keys = app.screen.query_one("#help-keys")
        assert box.size.width >= 70 and keys.region.bottom <= box.content_region.bottom
