"""Each lesson's first screen, at 80×24 and 120×40: the model's view above, the lesson panel below."""

from __future__ import annotations

import pytest

from rnn_tui.core.checkpoint import load, resolve
from rnn_tui.lessons import bundled_lessons, find
from rnn_tui.tui.app import build_app


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("name", list(bundled_lessons()))
def test_lesson_first_screen(snap_compare, name, size):
    lesson = find(name)
    app = build_app(load(resolve(lesson.model_path())), seed=7, glyphs=False, lesson=lesson,
                    prime=lesson.prime or None)

    async def run_before(pilot) -> None:
        await pilot.pause()
        pilot.app.lesson_poll()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
